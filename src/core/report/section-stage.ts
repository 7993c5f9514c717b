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

/**
 * One look at each problem (300,000 in a large cluster) for both sections. Each list is made at its
 * final length and then filled: lists grown item by item to 60,000 problems a host leave megabytes of
 * outgrown copies behind, memory the heap must map in and then collect.
 */
export function problemsByPlace(problems: readonly ReportFinding[]): ProblemsByPlace {
  const places = new ProblemPlaces(problems.length);
  // Indexed loops (a loop of a function run once per build allocates an iterator result per item
  // until V8 optimizes it).
  for (let i = 0; i < problems.length; i++) places.count(problems[i]!, i);
  return places.lists(problems);
}

/**
 * The problems of each host and image, counted as each problem is looked at (by its index in some
 * list) and then listed in report order: a sort that looks at every problem anyway files them too.
 */
export class ProblemPlaces {
  private readonly hosts: Places;
  private readonly images: Places;

  constructor(problems: number) {
    this.hosts = new Places(problems);
    this.images = new Places(problems);
  }

  count(p: ReportFinding, index: number): void {
    this.hosts.count(index, p.host);
    this.images.count(index, p.image);
  }

  /** `problems` in report order; `order`: the index each was counted under, place by place (else its own). */
  lists(problems: readonly ReportFinding[], order?: Uint32Array): ProblemsByPlace {
    const hosts = this.hosts.empty();
    const images = this.images.empty();
    // One pass fills both.
    for (let k = 0; k < problems.length; k++) {
      const index = order === undefined ? k : order[k]!;
      hosts.add(index, problems[k]!);
      images.add(index, problems[k]!);
    }
    return { byHost: hosts.byName(), byImage: images.byName() };
  }
}

/** The problems of each place (a host, an image), counted first and then listed. */
class Places {
  private readonly numbers = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly sizes: number[] = [];
  /** The place of each problem (its number + 1; 0: none). */
  private readonly placeOf: Uint32Array;

  constructor(problems: number) {
    this.placeOf = new Uint32Array(problems);
  }

  count(i: number, place: string | null | undefined): void {
    if (place === null || place === undefined) return;
    let number = this.numbers.get(place);
    if (number === undefined) {
      this.numbers.set(place, (number = this.names.length));
      this.names.push(place);
      this.sizes.push(0);
    }
    this.sizes[number]!++;
    this.placeOf[i] = number + 1;
  }

  /** Lists of each place's final length, to be filled. */
  empty(): PlaceLists {
    return new PlaceLists(
      this.names,
      this.placeOf,
      this.sizes.map((size) => new Array<ReportFinding>(size)),
    );
  }
}

/** Each place's list, filled in report order. */
class PlaceLists {
  private readonly filled: number[];

  constructor(
    private readonly names: readonly string[],
    private readonly placeOf: Uint32Array,
    private readonly lists: ReportFinding[][],
  ) {
    this.filled = new Array<number>(lists.length).fill(0);
  }

  /** Adds the problem counted under `index` to its place's list. */
  add(index: number, problem: ReportFinding): void {
    const number = this.placeOf[index]!;
    if (number !== 0) this.lists[number - 1]![this.filled[number - 1]!++] = problem;
  }

  byName(): Map<string, ReportFinding[]> {
    return new Map(this.names.map((name, k) => [name, this.lists[k]!]));
  }
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
