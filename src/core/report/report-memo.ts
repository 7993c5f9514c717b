// What one report build may reuse from the previous one. The builder stays a function of its input:
// the collector owns a memo and hands it in; without one, every build starts from nothing.
import type { Severity } from '../findings/types.js';
import type { NodeFinding } from '../findings/types.js';
import type { ReportFinding } from './types.js';

export interface ReportMemo {
  /** The problem built last time for this finding, if its witnesses are still at `version` and `count`. */
  problem(finding: NodeFinding, version: number, count: number): ReportFinding | undefined;
  rememberProblem(finding: NodeFinding, version: number, problem: ReportFinding): void;
  /** Severity counts of a list of findings (lists are replaced, never changed, by the store). */
  counts(findings: readonly NodeFinding[]): Readonly<Record<Severity, number>> | undefined;
  rememberCounts(findings: readonly NodeFinding[], counts: Readonly<Record<Severity, number>>): void;
}

/** Remembers nothing: the default, so that a build without a memo is plainly a function of its input. */
export const NO_MEMO: ReportMemo = {
  problem: () => undefined,
  rememberProblem: () => undefined,
  counts: () => undefined,
  rememberCounts: () => undefined,
};

/** Keyed weakly by the store's interned objects: what the store drops, the memo drops with it. */
export class WeakReportMemo implements ReportMemo {
  private readonly problems = new WeakMap<NodeFinding, { version: number; problem: ReportFinding }>();
  private readonly countsByList = new WeakMap<readonly NodeFinding[], Readonly<Record<Severity, number>>>();

  problem(finding: NodeFinding, version: number, count: number): ReportFinding | undefined {
    const cached = this.problems.get(finding);
    return cached !== undefined && cached.version === version && cached.problem.witnesses === count
      ? cached.problem
      : undefined;
  }

  rememberProblem(finding: NodeFinding, version: number, problem: ReportFinding): void {
    this.problems.set(finding, { version, problem });
  }

  counts(findings: readonly NodeFinding[]): Readonly<Record<Severity, number>> | undefined {
    return this.countsByList.get(findings);
  }

  rememberCounts(findings: readonly NodeFinding[], counts: Readonly<Record<Severity, number>>): void {
    this.countsByList.set(findings, counts);
  }
}
