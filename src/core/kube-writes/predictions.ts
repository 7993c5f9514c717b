// What the cluster report predicts for one node: which of the images in use there would fail to
// pull, and the cause that explains each failure. The causes come from the report (`report.causes`,
// built by causesOf); this module only looks them up by finding key, it never groups findings.
// Node conditions, Events and PolicyReports all read these predictions, so they agree.
import { byImpact } from '../causes/impact-order.js';
import type { Cause } from '../causes/types.js';
import type { AgentState } from '../report/types.js';

/** What the node's agent said of one image in its latest scan. */
export interface ScannedImageState {
  readonly image: string;
  readonly pullable: boolean;
  /** Keys of the findings that explain a failure, in the order CRI-O tried the sources. */
  readonly findingKeys: readonly string[];
}

export interface NodeObservation {
  readonly node: string;
  readonly agent: AgentState;
  /** Epoch ms of the agent's last message; null when no agent has reported since the collector started. */
  readonly lastSeenMs: number | null;
  /** The agent's latest scan; null before its first scan. */
  readonly images: readonly ScannedImageState[] | null;
}

export interface ImagePrediction {
  readonly image: string;
  /** The most important cause among those explaining the failure; null when no finding explains it. */
  readonly cause: Cause | null;
}

export interface NodePrediction {
  readonly node: string;
  readonly agent: AgentState;
  readonly lastSeenMs: number | null;
  /** False until the agent has sent a scan: nothing is predicted yet. */
  readonly scanned: boolean;
  readonly imagesChecked: number;
  /** Images that would fail, most important cause first (unexplained last), then by name. */
  readonly failing: readonly ImagePrediction[];
  /** The causes of `failing`, in impact order, each once. */
  readonly causes: readonly Cause[];
}

/** The report's causes by finding key, with their impact rank. */
export class CauseIndex {
  private readonly byKey = new Map<string, { cause: Cause; rank: number }>();

  constructor(causes: readonly Cause[]) {
    // report.causes is already in impact order; sorting a copy keeps that true for any input.
    [...causes].sort(byImpact).forEach((cause, rank) => {
      for (const key of cause.findings) if (!this.byKey.has(key)) this.byKey.set(key, { cause, rank });
    });
  }

  /** The most important cause that explains any of `keys`, or null. */
  explaining(keys: readonly string[]): { cause: Cause; rank: number } | null {
    let best: { cause: Cause; rank: number } | null = null;
    for (const key of keys) {
      const hit = this.byKey.get(key);
      if (hit !== undefined && (best === null || hit.rank < best.rank)) best = hit;
    }
    return best;
  }
}

export function predictNode(observation: NodeObservation, index: CauseIndex): NodePrediction {
  const failing: { image: string; cause: Cause | null; rank: number }[] = [];
  for (const status of observation.images ?? []) {
    if (status.pullable) continue;
    const hit = index.explaining(status.findingKeys);
    failing.push({ image: status.image, cause: hit?.cause ?? null, rank: hit?.rank ?? Infinity });
  }
  failing.sort((a, b) => a.rank - b.rank || (a.image < b.image ? -1 : a.image > b.image ? 1 : 0));
  const causes: Cause[] = [];
  for (const f of failing) if (f.cause !== null && !causes.includes(f.cause)) causes.push(f.cause);
  return {
    node: observation.node,
    agent: observation.agent,
    lastSeenMs: observation.lastSeenMs,
    scanned: observation.images !== null,
    imagesChecked: observation.images?.length ?? 0,
    failing: failing.map(({ image, cause }) => ({ image, cause })),
    causes,
  };
}

/** `tls-ca-missing` → `TlsCaMissing`: a cause kind as a Kubernetes reason. */
export function reasonOf(kind: string): string {
  return kind
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
