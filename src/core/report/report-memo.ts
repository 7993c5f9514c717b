// What one report build may reuse from the previous one. The builder stays a function of its input:
// the collector owns a memo and hands it in; without one, every build starts from nothing. With one,
// a build over mostly unchanged input reuses the problems, causes and orders of the last build (the
// same objects: two reports alive at once share them), and pays for what changed.
import { CauseMemo } from '../causes/cause-memo.js';
import type { Severity } from '../findings/types.js';
import type { NodeFinding } from '../findings/types.js';
import { inOrder } from '../sorted-index.js';
import { SortedReuse } from '../sorted-reuse.js';
import {
  bySeverityThenWitnesses,
  severityThenWitnessesOrder,
  sortedBySeverityThenWitnesses,
} from './report-findings.js';
import { ProblemPlaces, problemsByPlace, type ProblemsByPlace } from './section-stage.js';
import type { ReportFinding } from './types.js';
import { INDEX_MADE, type ProblemSlot } from './witnesses.js';

export interface ReportMemo {
  /** The problem built last time from this witness entry, if its witnesses are still at `version` and `count`. */
  problem(slot: ProblemSlot, version: number, count: number): ReportFinding | undefined;
  rememberProblem(slot: ProblemSlot, version: number, problem: ReportFinding): void;
  /** Severity counts of a list of findings (lists are replaced, never changed, by the store). */
  counts(findings: readonly NodeFinding[]): Readonly<Record<Severity, number>> | undefined;
  rememberCounts(findings: readonly NodeFinding[], counts: Readonly<Record<Severity, number>>): void;
  /** The problem the last build made with the same key, when equal to `problem`; else `problem`. */
  stable(problem: ReportFinding): ReportFinding;
  /** The problems in report order (bySeverityThenWitnesses). */
  sortProblems(problems: readonly ReportFinding[]): readonly ReportFinding[];
  /** The problems of each host and image, of problems in report order. */
  problemsByPlace(problems: readonly ReportFinding[]): ProblemsByPlace;
  /** For the causes of the cluster (null: built from nothing). */
  readonly causes: CauseMemo | null;
  /** A build starts. */
  begin(): void;
  /** The build is over: what it did not use is forgotten. */
  done(): void;
}

/** Remembers nothing: the default, so that a build without a memo is plainly a function of its input. */
export const NO_MEMO: ReportMemo = {
  problem: () => undefined,
  rememberProblem: () => undefined,
  counts: () => undefined,
  rememberCounts: () => undefined,
  stable: (problem) => problem,
  sortProblems: (problems) => sortedBySeverityThenWitnesses(problems),
  problemsByPlace,
  causes: null,
  begin: () => undefined,
  done: () => undefined,
};

/** Same fields, the same values (witness lists element by element). */
function sameProblem(a: ReportFinding, b: ReportFinding): boolean {
  if (a === b) return true;
  const keys = Object.keys(a) as (keyof ReportFinding)[];
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) {
    if (k !== 'nodes') {
      if (a[k] !== b[k]) return false;
      continue;
    }
    const x = a.nodes!;
    const y = b.nodes;
    if (y === undefined || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}

/**
 * Keyed weakly by the store's interned objects, and keeping problems in the witness index's entries:
 * what the store drops, the memo drops with it.
 */
export class WeakReportMemo implements ReportMemo {
  private readonly countsByList = new WeakMap<readonly NodeFinding[], Readonly<Record<Severity, number>>>();
  /** Problems the builder makes afresh (the collector's own, merged ones), by key: last build's, this one's. */
  private made = new Map<string, ReportFinding>();
  private making = new Map<string, ReportFinding>();
  private readonly problemOrder = new SortedReuse<ReportFinding>();
  /** The problems by place of the last problem order (`placesOf`), while a report holds them. */
  private placesOf: readonly ReportFinding[] | null = null;
  private places: WeakRef<ProblemsByPlace> | null = null;
  /** Those the sort of every problem filed, held until the build takes them (the report holds them then). */
  private freshPlaces: ProblemsByPlace | null = null;
  readonly causes = new CauseMemo();

  problem(slot: ProblemSlot, version: number, count: number): ReportFinding | undefined {
    const cached = slot.problem;
    return cached !== null &&
      (slot.owner === this || slot.owner === INDEX_MADE) &&
      slot.problemVersion === version &&
      cached.witnesses === count
      ? cached
      : undefined;
  }

  rememberProblem(slot: ProblemSlot, version: number, problem: ReportFinding): void {
    slot.owner = this;
    slot.problemVersion = version;
    slot.problem = problem;
  }

  counts(findings: readonly NodeFinding[]): Readonly<Record<Severity, number>> | undefined {
    return this.countsByList.get(findings);
  }

  rememberCounts(findings: readonly NodeFinding[], counts: Readonly<Record<Severity, number>>): void {
    this.countsByList.set(findings, counts);
  }

  stable(problem: ReportFinding): ReportFinding {
    const last = this.made.get(problem.key);
    const kept = last !== undefined && sameProblem(problem, last) ? last : problem;
    this.making.set(problem.key, kept);
    return kept;
  }

  sortProblems(problems: readonly ReportFinding[]): readonly ReportFinding[] {
    const sortedAll: { list?: ReportFinding[]; byPlace?: ProblemsByPlace } = {};
    const answer = this.problemOrder.sort(problems, bySeverityThenWitnesses, (items) => {
      if (items !== problems) return sortedBySeverityThenWitnesses(items);
      // Every problem is sorted (a first build): each is filed by host and image in the same look,
      // not in a second pass over 300,000 problems scattered over the heap.
      const places = new ProblemPlaces(items.length);
      const order = severityThenWitnessesOrder(items, (p, i) => places.count(p, i));
      const list = inOrder(items, order);
      sortedAll.list = list;
      sortedAll.byPlace = places.lists(list, order);
      return list;
    });
    if (sortedAll.list === answer && sortedAll.byPlace !== undefined) {
      this.placesOf = answer;
      this.places = new WeakRef(sortedAll.byPlace);
      this.freshPlaces = sortedAll.byPlace;
    }
    return answer;
  }

  /**
   * The last build's lists when the problem order is the very same list (nothing changed) and the
   * report that holds them is still alive: filing 300,000 problems again cost a 15,000-agent rebuild
   * 40 of its 245 ms. Held weakly, as the causes are: kept between builds they would be another
   * 4.6 MiB when no report is. The lists are only read, so two reports may share them.
   */
  problemsByPlace(problems: readonly ReportFinding[]): ProblemsByPlace {
    const fresh = this.freshPlaces;
    this.freshPlaces = null;
    const last = this.placesOf === problems ? (fresh ?? this.places?.deref()) : undefined;
    if (last !== undefined) return last;
    const byPlace = problemsByPlace(problems);
    this.placesOf = problems;
    this.places = new WeakRef(byPlace);
    return byPlace;
  }

  begin(): void {
    this.causes.begin();
  }

  done(): void {
    this.made = this.making;
    this.making = new Map();
  }
}
