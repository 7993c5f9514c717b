// Keeps the policy reports (wgpolicyk8s.io or openreports.io) current where the CRDs exist: discovery
// at start and every few minutes (the CRDs may be installed or removed later), one report per
// namespace with predicted pods and one cluster report, each applied only when its results changed,
// at most `perSecond` writes a second, and a namespace's report deleted once it has nothing left to report.
// Reports of ours in the other report API (a collector that wrote it before, or `auto` that chose it
// while only it was served) are deleted: two APIs would show every result twice, one of them stale.
import type { Cause } from '../core/causes/types.js';
import type { PodView } from '../core/kube-writes/events.js';
import type { NodePrediction } from '../core/kube-writes/predictions.js';
import {
  clusterReport,
  contentFingerprint,
  namespaceReports,
  type ReportContent,
} from '../core/kube-writes/policy-reports.js';
import { describeKubeError, kubeStatusCode } from '../kube/api-error.js';
import type { Log } from './log.js';
import { RateLimiter } from './rate-limiter.js';

export interface PolicyReportsOptions {
  /**
   * The report API to write (`group/version`), whether RBAC lets us write it, and the other report
   * API where it is served too; null without the CRDs.
   */
  readonly discover: () => Promise<{
    readonly version: string;
    readonly writable: boolean;
    readonly others: readonly string[];
  } | null>;
  readonly apply: (version: string, namespace: string | null, content: ReportContent) => Promise<void>;
  /** The namespaces holding a report of ours in that API. */
  readonly existing: (version: string) => Promise<string[]>;
  /** Whether the cluster report of ours exists in that API. */
  readonly existingCluster: (version: string) => Promise<boolean>;
  /** Deletes a report of ours (namespace null: the cluster report). */
  readonly remove: (version: string, namespace: string | null) => Promise<void>;
  readonly rediscoverMs?: number;
  readonly perSecond?: number;
  readonly log: Log;
  readonly now?: () => number;
  readonly onWrite?: (action: 'apply' | 'delete', result: 'ok' | 'error') => void;
}

/** The cluster report's key among the namespaces. */
const CLUSTER = '';

export class PolicyReports {
  private version: string | null = null;
  /** What discovery last found, as a string to compare. */
  private discovered = '';
  /** namespace ('' for the cluster) → fingerprint of what the API holds; unknown content is ''. */
  private readonly written = new Map<string, string>();
  /** Reports of ours in the API not written to, to delete. */
  private retired: { readonly version: string; readonly namespace: string | null }[] = [];
  private readonly firstSeen = new Map<string, number>();
  private readonly budget: RateLimiter;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private lastErrorLogMs = 0;

  constructor(private readonly options: PolicyReportsOptions) {
    this.now = options.now ?? Date.now;
    const perSecond = options.perSecond ?? 5;
    this.budget = new RateLimiter(perSecond * 2, perSecond, this.now);
  }

  /** The report API (`group/version`) written to, null while the CRDs are absent (or not discovered yet). */
  get servedVersion(): string | null {
    return this.version;
  }

  async start(): Promise<void> {
    await this.discover();
    this.timer = setInterval(() => void this.discover(), this.options.rediscoverMs ?? 300_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async discover(): Promise<void> {
    try {
      const found = await this.options.discover();
      const state =
        found === null ? 'absent' : `${found.version} ${found.writable} ${found.others.join(' ')}`;
      // Said and acted on when it changes (CRDs installed or removed, the component applied).
      if (state === this.discovered && (this.version !== null || found?.writable !== true)) return;
      const version = found?.writable === true ? found.version : null;
      this.written.clear();
      this.retired = [];
      this.version = version;
      if (found === null) {
        this.discovered = state;
        return this.options.log.info(
          'no policy report CRDs (wgpolicyk8s.io or openreports.io): no policy reports written',
        );
      }
      if (version === null) {
        this.discovered = state;
        return this.options.log.info(
          `the ${found.version} report CRDs exist but the collector may not write them: apply daemonset/components/policy-reports (or pass --no-policy-reports)`,
        );
      }
      // Reports a previous collector left: unknown content, so rewritten or pruned at the next reconcile.
      for (const namespace of await this.options.existing(version)) this.written.set(namespace, '');
      const retired: typeof this.retired = [];
      for (const other of found.others) {
        for (const namespace of await this.options.existing(other))
          retired.push({ version: other, namespace });
        if (await this.options.existingCluster(other)) retired.push({ version: other, namespace: null });
      }
      this.retired = retired;
      // Only now: a listing that failed is tried again at the next discovery.
      this.discovered = state;
      this.options.log.info(`writing ${version} policy reports`);
      if (retired.length > 0)
        this.options.log.info(
          `deleting the ${retired.length} mirrorscope report(s) in ${[...new Set(retired.map((r) => r.version))].join(', ')}: the collector writes ${version}, and a result in both APIs would show twice`,
        );
    } catch (err) {
      this.error(`policy report discovery failed: ${describeKubeError(err)}`);
    }
  }

  private since = (key: string): number => {
    let seconds = this.firstSeen.get(key);
    if (seconds === undefined) this.firstSeen.set(key, (seconds = Math.floor(this.now() / 1000)));
    return seconds;
  };

  async reconcile(
    predictions: readonly NodePrediction[],
    pods: readonly PodView[],
    causes: readonly Cause[],
    nodeUid: (node: string) => string | undefined,
  ): Promise<void> {
    const version = this.version;
    if (version === null || this.busy) return;
    this.busy = true;
    try {
      const desired = namespaceReports(predictions, pods, this.since);
      desired.set(CLUSTER, clusterReport(predictions, causes, nodeUid, this.since));
      for (const [namespace, content] of desired) {
        const fingerprint = contentFingerprint(content);
        if (this.written.get(namespace) === fingerprint) continue;
        if (this.budget.take('policyreports') > 0) return; // the rest at the next reconcile
        await this.write('apply', namespace, () =>
          this.options.apply(version, namespace === CLUSTER ? null : namespace, content),
        );
        this.written.set(namespace, fingerprint);
      }
      for (const namespace of [...this.written.keys()]) {
        if (namespace === CLUSTER || desired.has(namespace)) continue;
        if (this.budget.take('policyreports') > 0) return;
        await this.write('delete', namespace, () => this.options.remove(version, namespace), [404]);
        this.written.delete(namespace);
      }
      while (this.retired.length > 0) {
        const { version: old, namespace } = this.retired[0]!;
        if (this.budget.take('policyreports') > 0) return;
        await this.write(
          'delete',
          namespace ?? CLUSTER,
          () => this.options.remove(old, namespace),
          [404],
          old,
        );
        this.retired.shift();
      }
      for (const key of [...this.firstSeen.keys()])
        if (!desired.has(key.slice(0, key.indexOf('|')))) this.firstSeen.delete(key);
    } catch {
      // Said in write(); the next reconcile tries again.
    } finally {
      this.busy = false;
    }
  }

  private async write(
    action: 'apply' | 'delete',
    namespace: string,
    send: () => Promise<void>,
    fine: readonly number[] = [],
    /** The API written, when it is not the one the collector keeps its reports in. */
    retiredApi?: string,
  ): Promise<void> {
    try {
      await send();
      this.options.onWrite?.(action, 'ok');
    } catch (err) {
      const code = kubeStatusCode(err);
      if (code !== null && fine.includes(code)) return this.options.onWrite?.(action, 'ok');
      this.options.onWrite?.(action, 'error');
      // The CRDs went away: find out again before the next write.
      if (code === 404) this.version = null;
      const report = retiredApi === undefined ? 'policy report' : `${retiredApi} report`;
      const what = namespace === CLUSTER ? `the cluster ${report}` : `the ${report} in ${namespace}`;
      const hint =
        code === 403
          ? ' (apply daemonset/components/policy-reports, which grants the mirrorscope-collector-policy-reports ClusterRole, or pass --no-policy-reports)'
          : '';
      this.error(`cannot ${action} ${what}: ${describeKubeError(err)}${hint}`);
      throw err;
    }
  }

  private error(message: string): void {
    if (this.now() - this.lastErrorLogMs < 60_000) return;
    this.lastErrorLogMs = this.now();
    this.options.log.warn(message);
  }
}
