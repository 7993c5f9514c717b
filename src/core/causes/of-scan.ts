// The causes of one node's scan (the agent, `check`) and how surfaces count them. The causes of a
// cluster report are built with the report (`ClusterReport.causes`).
import type { Severity } from '../findings/types.js';
import { causesOf } from './build-causes.js';
import type { Cause, CauseFinding, CauseInput } from './types.js';

/** What the cause model needs of one image's status in a scan. */
export interface ScannedImage {
  readonly image: string;
  readonly pullable: boolean;
  /** Keys of the findings that explain a failure, in the order CRI-O tried the sources. */
  readonly findingKeys: readonly string[];
}

/**
 * The causes of one node's findings, most important first. `node` names the node in the causes (and
 * in their trace commands) — null on the machine the command runs on.
 */
export function causesOfScan(
  findings: readonly CauseFinding[],
  images: readonly ScannedImage[] = [],
  node: string | null = null,
  options: Pick<CauseInput, 'pods' | 'place'> = {},
): Cause[] {
  return causesOf({
    findings,
    failures: images.filter((i) => !i.pullable).map((i) => ({ image: i.image, node, keys: i.findingKeys })),
    node,
    ...options,
  });
}

/** Finding key → the id of the cause that explains it. */
export function causeIdByFinding(causes: readonly Cause[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const c of causes) for (const key of c.findings) map.set(key, c.id);
  return map;
}

/** Causes per kind and severity: the `mirrorscope_agent_causes` and `mirrorscope_cluster_causes{kind,severity}` series. */
export function countCauses(
  causes: readonly Cause[],
): Map<string, { kind: string; severity: Severity; count: number }> {
  const counts = new Map<string, { kind: string; severity: Severity; count: number }>();
  for (const c of causes) {
    const id = `${c.kind}|${c.severity}`;
    const seen = counts.get(id);
    if (seen === undefined) counts.set(id, { kind: c.kind, severity: c.severity, count: 1 });
    else seen.count++;
  }
  return counts;
}
