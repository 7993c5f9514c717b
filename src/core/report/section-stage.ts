// Report build, stage "sections": the per-mirror and per-image views, each pointing at the problems
// that concern it.
import { percentile } from './percentile.js';
import { imageAcc, type ImageAcc, type MirrorAcc } from './node-stage.js';
import { bySeverityThenWitnesses, pushTo } from './report-findings.js';
import type { ImageReport, MirrorReport, PullEvent, ReportFinding } from './types.js';

/** The problems about each host and each image, in report order. */
export interface ProblemsByPlace {
  readonly byHost: ReadonlyMap<string, ReportFinding[]>;
  readonly byImage: ReadonlyMap<string, ReportFinding[]>;
}

/** One pass over the problems (300,000 in a large cluster) for both sections. */
export function problemsByPlace(problems: readonly ReportFinding[]): ProblemsByPlace {
  const byHost = new Map<string, ReportFinding[]>();
  const byImage = new Map<string, ReportFinding[]>();
  // An indexed loop (a loop of a function run once per build allocates an iterator result per item
  // until V8 optimizes it).
  for (let i = 0; i < problems.length; i++) {
    const p = problems[i]!;
    if (p.host !== null && p.host !== undefined) pushTo(byHost, p.host, p);
    if (p.image !== null && p.image !== undefined) pushTo(byImage, p.image, p);
  }
  return { byHost, byImage };
}

export function mirrorReports(
  mirrors: ReadonlyMap<string, MirrorAcc>,
  { byHost: problemsByHost }: ProblemsByPlace,
): MirrorReport[] {
  const counted = (map: Map<string, number>) =>
    [...map.entries()]
      .map(([image, nodes]) => ({ image, nodes }))
      .sort((a, b) => b.nodes - a.nodes || (a.image < b.image ? -1 : 1));
  const reports: MirrorReport[] = [...mirrors.entries()].map(([host, m]) => {
    const sorted = m.latencies.sort((a, b) => a - b);
    return {
      host,
      nodesProbed: m.probed,
      nodesReachable: m.reachable,
      nodesFailing: m.failing.length,
      failing: m.failing,
      latencyMs: sorted.length === 0 ? null : { p50: percentile(sorted, 50), p95: percentile(sorted, 95) },
      authFailures: m.auth.length,
      tlsFailures: m.tls.length,
      imagesMissing: counted(m.missing),
      imagesStale: counted(m.stale),
      findings: problemsByHost.get(host) ?? [],
    };
  });
  return reports.sort(
    (a, b) =>
      Number(b.nodesFailing > 0 || b.findings.length > 0) -
        Number(a.nodesFailing > 0 || a.findings.length > 0) || (a.host < b.host ? -1 : 1),
  );
}

/** Adds the images only kubelet's pull events name, so that every failing image has an entry. */
export function addEventImages(images: Map<string, ImageAcc>, events: readonly PullEvent[]): void {
  for (const e of events) imageAcc(images, e.image);
}

export function imageReports(
  images: ReadonlyMap<string, ImageAcc>,
  events: readonly PullEvent[],
  { byImage: problemsByImage }: ProblemsByPlace,
  problemByKey: { get(key: string): ReportFinding | undefined },
): ImageReport[] {
  const imageEvents = new Map<string, PullEvent[]>();
  for (const e of events) pushTo(imageEvents, e.image, e);
  const reports: ImageReport[] = [...images.entries()].map(([image, acc]) => {
    const findings = new Map<string, ReportFinding>();
    for (const p of problemsByImage.get(image) ?? []) findings.set(p.key, p);
    for (const k of acc.keys) {
      const p = problemByKey.get(k);
      if (p !== undefined) findings.set(k, p);
    }
    return {
      image,
      nodesFailing: acc.failing,
      nodesPulling: acc.pulling,
      sources: [...acc.sources.entries()]
        .map(([source, nodes]) => ({ source, nodes }))
        .sort((a, b) => b.nodes.length - a.nodes.length),
      findings: [...findings.values()].sort(bySeverityThenWitnesses),
      events: imageEvents.get(image) ?? [],
    };
  });
  return reports.sort(
    (a, b) =>
      b.nodesFailing.length - a.nodesFailing.length ||
      b.events.length - a.events.length ||
      (a.image < b.image ? -1 : 1),
  );
}
