// Writes the report digest to the ConfigMap `mirrorscope-report` when it changes, at most once per
// `minIntervalMs`, so `oc get cm mirrorscope-report -o yaml` works without the page. The report is
// only rebuilt to look for a change when the collector's state moved, or once a minute (agents turn
// silent with time alone): a 5,000-node build is not free.
import { digestFingerprint, digestOf } from '../core/report/summary.js';
import { renderReportText } from '../core/report/render-text.js';
import type { ClusterReport } from '../core/report/types.js';
import { describeKubeError } from '../kube/api-error.js';
import type { Log } from './log.js';

export type ConfigMapWrite = (data: Record<string, string>) => Promise<unknown>;

export class ReportPublisher {
  private lastFingerprint: string | null = null;
  private lastWriteMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private writing = false;
  private checkedVersion = -1;
  private checkedAtMs = 0;

  constructor(
    private readonly report: () => ClusterReport,
    private readonly write: ConfigMapWrite,
    private readonly log: Log,
    private readonly minIntervalMs: number,
    private readonly onResult: (result: 'ok' | 'error') => void = () => {},
    /** Changes whenever something the report shows may have changed (besides time). */
    private readonly stateVersion: () => number = () => 0,
    private readonly recheckMs = 60_000,
  ) {}

  start(checkEveryMs = Math.min(5000, this.minIntervalMs)): void {
    this.timer = setInterval(() => void this.tick(), checkEveryMs);
    this.timer.unref();
    void this.tick();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  async tick(): Promise<void> {
    const now = Date.now();
    if (this.writing || now - this.lastWriteMs < this.minIntervalMs) return;
    const version = this.stateVersion();
    if (version === this.checkedVersion && now - this.checkedAtMs < this.recheckMs) return;
    this.checkedVersion = version;
    this.checkedAtMs = now;
    const report = this.report();
    const digest = digestOf(report);
    const fingerprint = digestFingerprint(digest);
    if (fingerprint === this.lastFingerprint) return;
    this.writing = true;
    try {
      await this.write({
        'summary.json': `${JSON.stringify(digest, null, 2)}\n`,
        'report.txt': renderReportText(report).split('\n').slice(0, 400).join('\n'),
        generatedAt: report.generatedAt,
      });
      this.lastFingerprint = fingerprint;
      this.lastWriteMs = Date.now();
      this.onResult('ok');
    } catch (err) {
      this.lastWriteMs = Date.now();
      this.checkedVersion = -1;
      this.onResult('error');
      this.log.warn(`cannot write the report ConfigMap: ${describeKubeError(err)}`);
    } finally {
      this.writing = false;
    }
  }
}
