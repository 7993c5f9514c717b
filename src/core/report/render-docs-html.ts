// GET /docs/causes and /docs/findings: the cause and finding catalogues as the collector's own
// pages, so a fix on the report page links to its documentation inside the cluster (the same text as
// docs/causes.md and docs/findings.md, which are generated from the same catalogues).
import { FINDING_CAUSE_KINDS } from '../causes/finding-kinds.js';
import { CAUSE_KINDS, type CauseKind } from '../causes/kinds.js';
import { CATALOGUE } from '../findings/catalogue.js';
import { esc } from './html.js';

export const CAUSES_DOC_PATH = '/docs/causes';
export const FINDINGS_DOC_PATH = '/docs/findings';

export function causeDocLink(kind: string): string {
  return `${CAUSES_DOC_PATH}#${encodeURIComponent(kind)}`;
}

export function findingDocLink(id: string): string {
  return `${FINDINGS_DOC_PATH}#${encodeURIComponent(id)}`;
}

const CSS = `body{font:14px/1.5 system-ui,sans-serif;margin:0 auto;max-width:1000px;padding:16px 28px;color:#1d2430}
dt{font-weight:700;margin-top:14px}dd{margin:2px 0 0 0}code{font:12px ui-monospace,monospace;background:#f1f3f6;padding:0 3px}
.sev{border-radius:4px;padding:0 6px;font-size:11px;font-weight:700;text-transform:uppercase;color:#fff}
.sev-error{background:#b3261e}.sev-warning{background:#ef8f00}.sev-info{background:#5c6bc0}.dim{color:#667}
:target{background:#fff7d6}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${CSS}</style></head><body><p><a href="/">← report</a> · <a href="${CAUSES_DOC_PATH}">causes</a> · <a href="${FINDINGS_DOC_PATH}">findings</a></p><h1>${esc(title)}</h1>${body}</body></html>\n`;
}

export function renderCausesDocHtml(): string {
  const items = (Object.keys(CAUSE_KINDS) as CauseKind[]).sort().map((kind) => {
    const d = CAUSE_KINDS[kind];
    const ids = Object.entries(FINDING_CAUSE_KINDS)
      .filter(([, k]) => k === kind)
      .map(([id]) => `<a href="${findingDocLink(id)}"><code>${esc(id)}</code></a>`)
      .join(', ');
    return `<dt id="${esc(kind)}"><code>${esc(kind)}</code></dt><dd>${esc(d.title)}<div><b>Why it matters:</b> ${esc(d.explanation)}</div><div><b>Usual fix:</b> ${esc(d.fix)}</div><div class="dim">Findings: ${ids || 'none yet'}</div></dd>`;
  });
  return page('mirrorscope cause kinds', `<dl>${items.join('')}</dl>`);
}

export function renderFindingsDocHtml(): string {
  const items = Object.keys(CATALOGUE)
    .sort()
    .map((id) => {
      const d = CATALOGUE[id as keyof typeof CATALOGUE];
      const kind = FINDING_CAUSE_KINDS[id];
      return `<dt id="${esc(id)}"><span class="sev sev-${d.severity}">${d.severity}</span> <code>${esc(id)}</code></dt><dd>${esc(d.title)}<div><b>Usual fix:</b> ${esc(d.fix)}</div>${kind === undefined ? '' : `<div class="dim">Cause kind: <a href="${causeDocLink(kind)}"><code>${esc(kind)}</code></a></div>`}</dd>`;
    });
  return page('mirrorscope findings', `<dl>${items.join('')}</dl>`);
}
