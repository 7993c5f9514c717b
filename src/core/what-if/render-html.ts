// The report page's "Last what-if" section: the MCO's rejection, or the images that change.
import { esc } from '../report/html.js';
import type { PullSide, WhatIfReport } from './types.js';

export interface ShownWhatIf extends WhatIfReport {
  /** ISO time it ran. */
  readonly at: string;
  /** The files and deletions it was asked about. */
  readonly proposal: readonly string[];
}

const MAX_ROWS = 200;

function side(p: PullSide): string {
  if (p.outcome === 'pulled') return `pulls from <code>${esc(p.source ?? '(unknown)')}</code>`;
  if (p.outcome === 'failed') return `<span class="fail">fails</span>: ${esc(p.reason)}`;
  return `<span class="dim">${esc(p.reason)}</span>`;
}

export function whatIfSectionHtml(w: ShownWhatIf): string {
  const head = `<h2>Last what-if <span class="dim">(${esc(w.at)}: ${esc(w.proposal.join(', '))})</span></h2>`;
  const notes = [...w.render.warnings, ...w.notes].map((n) => `<li class="dim">${esc(n)}</li>`).join('');
  const noteList = notes === '' ? '' : `<ul class="plain">${notes}</ul>`;
  if (w.render.errors.length > 0) {
    const errors = w.render.errors.map((e) => `<li><code>${esc(e.message)}</code></li>`).join('');
    return `<section id="what-if">${head}<p>The MCO rejects these objects: no node gets a new registries configuration, nothing else was evaluated.</p><ul class="plain">${errors}</ul>${noteList}</section>`;
  }
  const s = w.summary;
  const summary = `<p id="what-if-summary">${s.breaks} breaks, ${s.fixes} fixes, ${s.moves} moves, ${s.unchanged} unchanged</p>`;
  const rows = w.changes
    .filter((c) => c.class !== 'unchanged')
    .slice(0, MAX_ROWS)
    .map(
      (c) =>
        `<tr class="what-if-${c.class}"><td>${c.class}</td><td><code>${esc(c.image)}</code></td><td>${side(c.before)}</td><td>${side(c.after)}<div class="dim">${esc(c.after.why)}</div></td><td>${c.pods}${(c.podNames ?? []).length > 0 ? `<div class="dim">${esc((c.podNames ?? []).join(', '))}</div>` : ''}</td><td>${esc(c.nodes.join(', '))}</td><td>${esc(c.pools.join(', '))}</td></tr>`,
    )
    .join('');
  const table =
    rows === ''
      ? '<p>No image changes how it pulls.</p>'
      : `<table id="what-if-changes"><thead><tr><th>Class</th><th>Image</th><th>Before</th><th>After</th><th>Pods</th><th>Nodes</th><th>Pools</th></tr></thead><tbody>${rows}</tbody></table>`;
  return `<section id="what-if">${head}${summary}${table}${noteList}</section>`;
}

/** The page with the section added before the end of its main part (unchanged without a what-if). */
export function withWhatIfSection(page: string, w: ShownWhatIf | null): string {
  if (w === null) return page;
  const at = page.lastIndexOf('</main>');
  return at < 0 ? page : `${page.slice(0, at)}${whatIfSectionHtml(w)}\n${page.slice(at)}`;
}
