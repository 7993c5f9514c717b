// Human text for resolve results: one block per image, sources numbered in pull order.
import type { VersionNote } from '../core/crio/versions.js';
import type { ConfigNote } from '../core/registries/types.js';
import {
  where,
  type CandidateResolution,
  type ResolveResult,
  type SourceResolution,
} from '../core/resolve/types.js';
import type { Style } from '../core/style.js';

function sourceLine(s: SourceResolution, n: number, style: Style): string {
  const kind = s.mirror ? 'mirror ' : 'primary';
  const flags: string[] = [];
  if (s.blocked)
    flags.push(style.bad(`BLOCKED by [[registry]] "${s.blockedBy?.prefix}" (${where(s.blockedBy)})`));
  if (s.insecure) flags.push(style.warn(`insecure (${where(s.insecureOrigin)})`));
  if (s.pullFromMirror) flags.push(`pull-from-mirror = "${s.pullFromMirror}"`);
  if (s.host !== s.reference.split('/')[0]) flags.push(`contacted as ${s.host}`);
  const from = s.origin ? style.dim(where(s.origin)) : style.dim('no [[registry]] entry');
  return `    ${n}. ${kind} ${style.strong(s.reference)}  ${from}${flags.length ? `  ${flags.join(', ')}` : ''}`;
}

function candidateBlock(c: CandidateResolution, label: string | null, style: Style): string[] {
  const lines = label === null ? [] : [`  ${label}${style.strong(c.image)}`];
  if (c.registry) {
    const rewrite =
      c.registry.location && c.registry.location !== c.registry.prefix
        ? ` → location "${c.registry.location}"`
        : '';
    lines.push(`    [[registry]] "${c.registry.prefix}"${rewrite}  ${style.dim(where(c.registry))}`);
  } else {
    lines.push(`    no [[registry]] matches: pulled directly, no mirrors`);
  }
  c.sources.forEach((s, i) => lines.push(sourceLine(s, i + 1, style)));
  for (const skipped of c.skippedMirrors) lines.push(`    ${style.warn('–')} ${skipped.explanation}`);
  if (c.error) lines.push(`    ${style.bad('error:')} ${c.error.message}`);
  for (const line of c.explanation.slice(1)) {
    if (!c.skippedMirrors.some((s) => s.explanation === line) && line !== c.error?.message)
      lines.push(`    ${style.dim(line)}`);
  }
  return lines;
}

export function renderResolveResult(result: ResolveResult, style: Style): string {
  const lines = [style.strong(result.input)];
  if (result.error && result.candidates.length === 0) {
    lines.push(`  ${style.bad('error:')} ${result.error.message}`);
    if (result.error.upstream && result.error.upstream !== result.error.message)
      lines.push(`  ${style.dim(`containers/image: ${result.error.upstream}`)}`);
    for (const line of result.explanation.slice(1)) lines.push(`  ${style.dim(line)}`);
    return lines.join('\n');
  }
  for (const line of result.explanation) lines.push(`  ${line}`);
  result.candidates.forEach((c, i) => {
    const several = result.candidates.length > 1;
    const label = several ? `candidate ${i + 1}: ` : c.image === result.input ? null : '→ ';
    lines.push(...candidateBlock(c, label, style));
  });
  return lines.join('\n');
}

export function renderNotes(notes: readonly (ConfigNote | VersionNote)[], style: Style): string {
  return notes
    .map((n) => {
      if (!('behaviours' in n)) return `${style.warn('note:')} ${where(n.origin)}: ${n.message}`;
      const lines = [`${style.warn('note:')} ${n.message}`];
      for (const b of n.behaviours) {
        lines.push(`  ${style.strong(b.behaviour)}: applied ${b.applied}`);
        if (b.older !== null) lines.push(`    ${style.dim(`older: ${b.older}`)}`);
        if (b.newer !== null) lines.push(`    ${style.dim(`newer: ${b.newer}`)}`);
      }
      return lines.join('\n');
    })
    .join('\n');
}
