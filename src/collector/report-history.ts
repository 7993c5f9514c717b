// The reports that paged reads are going through: a continue token names its report, so that its
// pages come from one build even while newer ones replace the current report. Bounded: a few
// reports, each dropped when unread for a while; the memory guard may drop them all (the readers
// then get 410 and start again).
import type { ClusterReport } from '../core/report/types.js';

const MAX_REPORTS = 3;
const IDLE_MS = 5 * 60_000;

export class ReportHistory {
  private readonly reports = new Map<string, { report: ClusterReport; usedAt: number }>();
  private readonly ids = new WeakMap<ClusterReport, string>();
  private next = 0;

  /** The report's id, keeping it for the pages that follow. */
  keep(report: ClusterReport, nowMs = Date.now()): string {
    let id = this.ids.get(report);
    if (id === undefined) this.ids.set(report, (id = `r${++this.next}`));
    this.reports.delete(id);
    this.reports.set(id, { report, usedAt: nowMs });
    this.expire(nowMs);
    return id;
  }

  get(id: string, nowMs = Date.now()): ClusterReport | undefined {
    this.expire(nowMs);
    const entry = this.reports.get(id);
    if (entry === undefined) return undefined;
    entry.usedAt = nowMs;
    return entry.report;
  }

  clear(): void {
    this.reports.clear();
  }

  get size(): number {
    return this.reports.size;
  }

  private expire(nowMs: number): void {
    for (const [id, e] of this.reports)
      if (nowMs - e.usedAt > IDLE_MS || this.reports.size > MAX_REPORTS) this.reports.delete(id);
  }
}
