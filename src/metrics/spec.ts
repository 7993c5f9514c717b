// What a metric is, written once as data: the agent and the collector build their prom-client
// metrics from these specs, and docs/metrics.md is generated from the same specs, so the names the
// processes export and the names the documentation (and the PrometheusRule) use cannot drift apart.

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricSpec<L extends string = string> {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly buckets?: readonly number[];
}

/**
 * Most distinct values one label of one metric gets (registry hosts, pools). Past that, values fold
 * into OVERFLOW_LABEL, so a configuration with thousands of mirrors cannot blow up the series count.
 */
export const MAX_LABEL_VALUES = 100;
/** Parentheses never occur in a host name, a pool name or a catalogue id, so this never collides. */
export const OVERFLOW_LABEL = '(other)';

/**
 * Caps the distinct values of one label: the first `max` values seen keep their name, every later
 * one becomes OVERFLOW_LABEL. For cumulative series (counters, histograms), whose values outlive a scan.
 */
export class LabelCap {
  private readonly seen = new Set<string>();

  constructor(private readonly max = MAX_LABEL_VALUES) {}

  value(v: string): string {
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return OVERFLOW_LABEL;
    this.seen.add(v);
    return v;
  }
}

/**
 * The entries a gauge recomputed from scratch shows: the `max` most important (by `weight`, then
 * name), so the hosts that fail on most nodes are never the ones folded away.
 */
export function mostImportant<T>(
  items: readonly T[],
  weight: (item: T) => number,
  name: (item: T) => string,
  max = MAX_LABEL_VALUES,
): T[] {
  if (items.length <= max) return [...items];
  return [...items]
    .sort((a, b) => weight(b) - weight(a) || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0))
    .slice(0, max);
}

/** Metric families prom-client's default metrics add under a prefix (process and Node.js runtime). */
export const DEFAULT_METRICS_NOTE =
  "prom-client's default process and Node.js runtime metrics (CPU, resident memory, heap, event-loop lag, open file descriptors, GC)";
