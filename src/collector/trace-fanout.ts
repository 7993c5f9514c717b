// Runs one trace on many nodes (bounded concurrency) and groups the answers: nodes that would pull
// the image the same way, from the same source, for the same reason form one group.
import type { TraceOutcome } from './trace-broker.js';

export interface NodeTraceAnswer {
  readonly node: string;
  readonly outcome: TraceOutcome;
}

export interface TraceGroup {
  readonly outcome: string;
  readonly source: string | null;
  readonly reason: string;
  readonly nodes: string[];
}

export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return results;
}

function summarize(outcome: TraceOutcome): { outcome: string; source: string | null; reason: string } {
  if (outcome.kind === 'timeout')
    return { outcome: 'no-answer', source: null, reason: 'the agent did not answer in time' };
  if (outcome.kind === 'disconnected')
    return { outcome: 'no-answer', source: null, reason: 'the agent disconnected' };
  const { message } = outcome;
  if (message.error !== null)
    return {
      outcome: 'agent-error',
      source: null,
      reason: `${message.error.code}: ${message.error.message}`,
    };
  const result = (
    message.trace as { result?: { outcome?: unknown; source?: unknown; reason?: unknown } } | null
  )?.result;
  return {
    outcome: typeof result?.outcome === 'string' ? result.outcome : 'unknown',
    source: typeof result?.source === 'string' ? result.source : null,
    reason: typeof result?.reason === 'string' ? result.reason : '',
  };
}

export function groupAnswers(answers: readonly NodeTraceAnswer[]): TraceGroup[] {
  const groups = new Map<string, TraceGroup>();
  for (const a of answers) {
    const s = summarize(a.outcome);
    const key = JSON.stringify([s.outcome, s.source, s.reason]);
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { ...s, nodes: [a.node] });
    else g.nodes.push(a.node);
  }
  return [...groups.values()].sort((a, b) => b.nodes.length - a.nodes.length);
}
