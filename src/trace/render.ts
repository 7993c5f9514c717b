// The human form of a trace: a clean podman debug log, one line per step, the decisive line marked.
import type { Style } from '../core/style.js';
import type { TraceResult, TraceStep } from './types.js';

function paint(step: TraceStep, style: Style, text: string): string {
  if (step.decisive) return style.strong(step.level === 'ok' ? style.good(text) : style.bad(text));
  switch (step.level) {
    case 'ok':
      return style.good(text);
    case 'warn':
      return style.warn(text);
    case 'fail':
      return style.bad(text);
    default:
      return text;
  }
}

export function renderTrace(result: TraceResult, style: Style): string {
  const lines: string[] = [style.strong(`trace ${result.image}`)];
  for (const step of result.steps) {
    const time = step.durationMs === null ? '' : style.dim(` (${step.durationMs} ms)`);
    const marker = step.decisive ? '» ' : '  ';
    const indent = step.source === null || step.kind === 'source' ? '' : '    ';
    const label = step.kind === 'source' && step.source !== null ? `[${step.source + 1}] ` : '';
    lines.push(`${marker}${indent}${label}${paint(step, style, step.message)}${time}`);
  }
  const r = result.result;
  const verdict =
    r.outcome === 'pulled'
      ? style.good(`PULLED from ${r.source} ${r.digest ?? ''}`.trim())
      : style.bad(`FAILED: ${r.reason}`);
  lines.push(style.strong(verdict));
  for (const note of result.notes ?? []) {
    lines.push(`${style.warn('note:')} ${note.message}`);
    if ('behaviours' in note)
      for (const b of note.behaviours)
        if (b.older !== null) lines.push(style.dim(`  ${b.behaviour}: older ${b.older}`));
  }
  return lines.join('\n');
}
