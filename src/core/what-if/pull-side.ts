// A trace's answer reduced to what a what-if compares: where the pull is served from, whether it
// succeeds, and why. Structural, so the trace engine's result and an agent's JSON both fit.
import type { PullSide } from './types.js';

export interface TracedPull {
  readonly error: { readonly message: string } | null;
  readonly result: {
    readonly outcome: 'pulled' | 'failed';
    readonly source: string | null;
    readonly digest: string | null;
    readonly reason: string;
    readonly signature: unknown;
  };
  readonly sources: readonly {
    readonly reference: string;
    readonly outcome: string;
    readonly reason: string;
    readonly reachedByCrio: boolean;
  }[];
}

const SKIPPED = new Set(['skipped-digest-only', 'skipped-tag-only']);

/**
 * When no source serves the pull, every source CRI-O tried and what it answered, in order (the
 * trace's reason names only the last): a mirror lacking the image is the cause, not the blocked
 * source tried after it.
 */
function failureReason(trace: TracedPull): string {
  const tried = trace.sources.filter((s) => s.reachedByCrio && !SKIPPED.has(s.outcome));
  if (trace.result.signature !== null || tried.length < 2) return trace.result.reason;
  return tried.map((s) => `${s.reference}: ${s.outcome}: ${s.reason}`).join('; then ');
}

export function pullSideOf(trace: TracedPull): PullSide {
  if (trace.error !== null)
    return { outcome: 'failed', source: null, digest: null, reason: trace.error.message };
  return {
    outcome: trace.result.outcome,
    source: trace.result.source,
    digest: trace.result.digest,
    reason: trace.result.outcome === 'failed' ? failureReason(trace) : trace.result.reason,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** An agent's trace JSON (untrusted) as a pull side; `unknown` when it is not a trace. */
export function pullSideOfJson(value: unknown): PullSide {
  const unreadable: PullSide = {
    outcome: 'unknown',
    source: null,
    digest: null,
    reason: "the agent's answer is not a trace",
  };
  if (!isRecord(value)) return unreadable;
  const error = isRecord(value.error) ? { message: str(value.error.message) ?? 'the trace failed' } : null;
  const result = isRecord(value.result) ? value.result : null;
  if (result === null)
    return error === null ? unreadable : { ...unreadable, outcome: 'failed', reason: error.message };
  const outcome = result.outcome;
  if (outcome !== 'pulled' && outcome !== 'failed') return unreadable;
  const sources = Array.isArray(value.sources) ? value.sources.filter(isRecord) : [];
  return pullSideOf({
    error,
    result: {
      outcome,
      source: str(result.source),
      digest: str(result.digest),
      reason: str(result.reason) ?? '',
      signature: result.signature ?? null,
    },
    sources: sources.map((s) => ({
      reference: str(s.reference) ?? '',
      outcome: str(s.outcome) ?? '',
      reason: str(s.reason) ?? '',
      reachedByCrio: s.reachedByCrio === true,
    })),
  });
}
