// `mirrorscope what-if` for people: the MCO's rejection, or the images that change, most harm first.
import type { PullSide, WhatIfChange, WhatIfReport } from './types.js';

function side(p: PullSide): string {
  return p.outcome === 'pulled' ? `pulls from ${p.source ?? '(unknown)'}` : `fails: ${p.reason}`;
}

function affected(c: WhatIfChange): string {
  const parts: string[] = [];
  if (c.pods > 0)
    parts.push(
      `${c.pods} pod${c.pods === 1 ? '' : 's'}${c.namespaces.length > 0 ? ` in ${c.namespaces.join(', ')}` : ''}`,
    );
  if (c.nodes.length > 0) parts.push(`nodes ${c.nodes.join(', ')}`);
  if (c.pools.length > 0) parts.push(`pool${c.pools.length === 1 ? '' : 's'} ${c.pools.join(', ')}`);
  return parts.length === 0 ? '' : ` (${parts.join('; ')})`;
}

export function renderWhatIfText(report: WhatIfReport, options: { readonly verbose?: boolean } = {}): string {
  const lines: string[] = [];
  for (const w of report.render.warnings) lines.push(`note: ${w}`);
  for (const n of report.notes) lines.push(`note: ${n}`);
  if (report.render.errors.length > 0) {
    lines.push(
      'the MCO rejects these objects: no node gets a new registries configuration, nothing else was evaluated',
    );
    for (const e of report.render.errors) {
      lines.push(`  ${e.message}`);
      lines.push(`  machine-config-controller log: ${e.mcoLog}`);
    }
    return `${lines.join('\n')}\n`;
  }
  const s = report.summary;
  lines.push(`what-if: ${s.breaks} breaks, ${s.fixes} fixes, ${s.moves} moves, ${s.unchanged} unchanged`);
  for (const c of report.changes) {
    if (c.class === 'unchanged' && options.verbose !== true) continue;
    lines.push(`${c.class.toUpperCase().padEnd(9)} ${c.image}${affected(c)}`);
    lines.push(`    before: ${side(c.before)}`);
    lines.push(`    after:  ${side(c.after)}`);
    if (c.class !== 'breaks' && c.class !== 'fixes') lines.push(`    why:    ${c.after.why}`);
  }
  return `${lines.join('\n')}\n`;
}
