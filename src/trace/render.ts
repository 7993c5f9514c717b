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

interface SignatureDetail {
  readonly policy?: { readonly file: string; readonly scope: string; readonly line: number | null };
  readonly store?: {
    readonly kind: string;
    readonly url: string | null;
    readonly file: string | null;
    readonly line: number | null;
  } | null;
}

const at = (file: string | null | undefined, line: number | null | undefined): string =>
  file ? `${file}${line === null || line === undefined ? '' : `:${line}`}` : 'the built-in default';

/** Where the policy requires the signature and which store was read: what to open when it fails. */
function signatureLines(result: TraceResult): string[] {
  const sig = result.result.signature as (TraceResult['result']['signature'] & SignatureDetail) | null;
  if (sig === null || !sig.required) return [];
  const out: string[] = [];
  if (sig.policy)
    out.push(`  signature required by ${at(sig.policy.file, sig.policy.line)} (scope "${sig.policy.scope}")`);
  if (sig.store)
    out.push(
      `  signature store read: ${sig.store.url ?? 'the registry API (X-Registry-Supports-Signatures)'} (from ${at(sig.store.file, sig.store.line)})`,
    );
  return out;
}

/**
 * The outcome of every source CRI-O tried, as containers/image words a failed pull:
 * "(Mirrors also failed: [ref: err] [ref: err]): primaryRef: err".
 */
function everySource(result: TraceResult): string {
  const tried = result.sources.filter(
    (s) => s.reachedByCrio && s.outcome !== 'found' && !s.outcome.startsWith('skipped'),
  );
  const last = tried.at(-1);
  if (last === undefined) return result.result.reason;
  const text = (s: (typeof tried)[number]) => `${s.reference}: ${s.reason || s.outcome}`;
  const before = tried.slice(0, -1);
  return before.length === 0
    ? text(last)
    : `(Mirrors also failed: ${before.map((s) => `[${text(s)}]`).join(' ')}): ${text(last)}`;
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
  lines.push(...signatureLines(result));
  const r = result.result;
  const sourcesFailed = r.outcome === 'failed' && r.signature === null && result.error === null;
  const verdict =
    r.outcome === 'pulled'
      ? style.good(`PULLED from ${r.source} ${r.digest ?? ''}`.trim())
      : style.bad(`FAILED: ${sourcesFailed ? everySource(result) : r.reason}`);
  lines.push(style.strong(verdict));
  for (const note of result.notes ?? []) {
    lines.push(`${style.warn('note:')} ${note.message}`);
    if ('behaviours' in note)
      for (const b of note.behaviours)
        if (b.older !== null) lines.push(style.dim(`  ${b.behaviour}: older ${b.older}`));
  }
  return lines.join('\n');
}
