// The collector's current report: rebuilt when its inputs changed, reused for a short while by the
// page, the JSON, the metrics scrape and the ConfigMap publisher, and dropped once nobody asks for it
// (a 5,000-node report is tens of MiB).
import { buildReport } from '../core/report/build-report.js';
import { WeakReportMemo } from '../core/report/report-memo.js';
import type { ClusterInput, ClusterReport } from '../core/report/types.js';

export interface ReportCacheOptions {
  /** The builder's input as of now. */
  readonly input: (nowMs: number) => ClusterInput;
  /** Changes whenever an input other than time does. */
  readonly inputsVersion: () => number;
  /** A report this young is reused even though agents may have turned silent since (default 2 s). */
  readonly reuseMs?: number;
  /** Dropped this long after the last build (default 5 s). */
  readonly keepMs?: number;
  /** Called once the report is dropped that way (HeapRelease). */
  readonly onDrop?: () => void;
}

export class ReportCache {
  /** `readers`: how many `current()` calls returned it. */
  private cached: { report: ClusterReport; version: number; at: number; readers: number } | null = null;
  private dropTimer: NodeJS.Timeout | undefined;
  private readonly memo = new WeakReportMemo();
  private buildMs = 0;

  constructor(private readonly options: ReportCacheOptions) {}

  /** Milliseconds the last build took (sent as Server-Timing). */
  get lastBuildMs(): number {
    return this.buildMs;
  }

  readonly current = (): ClusterReport => {
    const now = Date.now();
    const version = this.options.inputsVersion();
    const cached = this.cached;
    if (cached !== null && cached.version === version && now - cached.at < (this.options.reuseMs ?? 2000)) {
      cached.readers++;
      return cached.report;
    }
    const started = performance.now();
    const report = buildReport(this.options.input(now), this.memo);
    this.buildMs = performance.now() - started;
    this.cached = { report, version, at: now, readers: 1 };
    clearTimeout(this.dropTimer);
    this.dropTimer = setTimeout(() => this.letGo(), this.options.keepMs ?? 5000).unref();
    return report;
  };

  /**
   * A reader that used `report` for one pass (the Kubernetes writes' reconcile, every 10 s) is done
   * with it. When that reader built it and nobody else took it, it is let go now: otherwise each
   * reconcile would keep a 15,000-node report (and the container's RSS some 100 MiB higher) for
   * half of its 10 s.
   */
  finished(report: ClusterReport): void {
    if (this.cached?.report === report && this.cached.readers === 1) this.letGo();
  }

  private letGo(): void {
    this.drop();
    this.options.onDrop?.();
  }

  /** Forgets the current report (memory is short; the next reader builds a new one). */
  drop(): void {
    clearTimeout(this.dropTimer);
    this.cached = null;
  }
}
