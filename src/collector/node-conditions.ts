// Keeps the ImagePullsPredicted condition of every node current, without flooding the API server:
// each reconcile decides per node what is due (a status flip, a new or changed condition, a removal,
// a heartbeat), coalesces it with what is still queued for that node, and a token bucket sends the
// queue at most `qps` requests a second (`burst` at once), most urgent first. Heartbeats stretch with
// the cluster size so they never take more than half the budget (effectiveHeartbeatMs).
import {
  CONDITION_TYPE,
  conditionTarget,
  conditionWrite,
  effectiveHeartbeatMs,
  WRITE_PRIORITY,
  type ConditionWrite,
  type NodeCondition,
  type WriteReason,
} from '../core/kube-writes/node-condition.js';
import type { NodePrediction } from '../core/kube-writes/predictions.js';
import { describeKubeError, kubeStatusCode } from '../kube/api-error.js';
import type { Log } from './log.js';
import { RateLimiter } from './rate-limiter.js';

export interface NodeConditionsOptions {
  /** Server-side apply of the node's condition (null: remove it). */
  readonly apply: (node: string, condition: NodeCondition | null) => Promise<void>;
  /** The node's condition of our type as the Node informer last saw it; undefined when it has none. */
  readonly current: (node: string) => NodeCondition | undefined;
  /** Whether the Node object exists (only those are written). */
  readonly exists: (node: string) => boolean;
  readonly qps: number;
  readonly burst: number;
  readonly heartbeatMs: number;
  readonly goneAfterMs: number;
  /** Requests in flight at once (default 4). */
  readonly concurrency?: number;
  readonly log: Log;
  readonly now?: () => number;
  readonly onWrite?: (reason: WriteReason, result: 'ok' | 'error') => void;
}

/** A write just sent counts as the node's state until the informer has surely caught up. */
const SETTLE_MS = 60_000;
/** After the API server refuses (403) or asks to slow down (429 without Retry-After), pause this long. */
const PAUSE_MS = 60_000;

/** The condition of our type in a Node's status conditions (as client-node or the fake returns them). */
export function conditionOf(conditions: readonly unknown[] | undefined): NodeCondition | undefined {
  const c = conditions?.find((x) => (x as { type?: unknown }).type === CONDITION_TYPE) as
    Record<string, unknown> | undefined;
  if (c === undefined) return undefined;
  const time = (v: unknown): string => (v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : '');
  return {
    type: CONDITION_TYPE,
    status: c.status as NodeCondition['status'],
    reason: typeof c.reason === 'string' ? c.reason : '',
    message: typeof c.message === 'string' ? c.message : '',
    lastTransitionTime: time(c.lastTransitionTime),
    lastHeartbeatTime: time(c.lastHeartbeatTime),
  };
}

export class NodeConditions {
  private readonly queue = new Map<string, ConditionWrite>();
  private readonly inFlight = new Set<string>();
  private readonly written = new Map<string, { condition: NodeCondition | null; atMs: number }>();
  private readonly budget: RateLimiter;
  private readonly now: () => number;
  private readonly startedMs: number;
  private timer: NodeJS.Timeout | null = null;
  private pausedUntilMs = 0;
  private failures = 0;
  private lastFailureLogMs = 0;
  /** Requests sent, for tests and the bench. */
  sent = 0;

  constructor(private readonly options: NodeConditionsOptions) {
    this.now = options.now ?? Date.now;
    this.startedMs = this.now();
    this.budget = new RateLimiter(options.burst, options.qps, this.now);
  }

  get queued(): number {
    return this.queue.size;
  }

  /** Nothing queued and nothing in flight. */
  get idle(): boolean {
    return this.queue.size === 0 && this.inFlight.size === 0;
  }

  /** Decides what each node needs now; replaces whatever was still queued for it. */
  reconcile(predictions: Iterable<NodePrediction>): void {
    const nowMs = this.now();
    const list = [...predictions].filter((p) => this.options.exists(p.node));
    const heartbeatMs = effectiveHeartbeatMs(this.options.heartbeatMs, list.length, this.options.qps);
    const seen = new Set<string>();
    for (const p of list) {
      seen.add(p.node);
      if (this.inFlight.has(p.node)) continue;
      const target = conditionTarget(p, {
        nowMs,
        startedMs: this.startedMs,
        goneAfterMs: this.options.goneAfterMs,
      });
      const write = conditionWrite(target, this.currentOf(p.node, nowMs), nowMs, heartbeatMs);
      if (write === null) this.queue.delete(p.node);
      else this.queue.set(p.node, write);
    }
    for (const node of [...this.queue.keys()]) if (!seen.has(node)) this.queue.delete(node);
    for (const node of [...this.written.keys()]) if (!seen.has(node)) this.written.delete(node);
    this.pump();
  }

  start(tickMs = Math.max(20, Math.floor(1000 / this.options.qps))): void {
    this.timer = setInterval(() => this.pump(), tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private currentOf(node: string, nowMs: number): NodeCondition | undefined {
    const mine = this.written.get(node);
    if (mine !== undefined && nowMs - mine.atMs < SETTLE_MS) return mine.condition ?? undefined;
    return this.options.current(node);
  }

  /** Sends queued writes, most urgent first, as far as the budget and the concurrency allow. */
  pump(): void {
    if (this.queue.size === 0 || this.now() < this.pausedUntilMs) return;
    const room = (this.options.concurrency ?? 4) - this.inFlight.size;
    if (room <= 0) return;
    for (let i = 0; i < room; i++) {
      const next = this.mostUrgent();
      if (next === undefined || this.budget.take('nodes/status') > 0) return;
      this.queue.delete(next[0]);
      void this.send(next[0], next[1]);
    }
  }

  /** The queued write to send first: by WRITE_PRIORITY, then node name (a scan: the queue is large, `room` small). */
  private mostUrgent(): [string, ConditionWrite] | undefined {
    let best: [string, ConditionWrite] | undefined;
    for (const entry of this.queue) {
      if (best === undefined) best = entry;
      else {
        const d = WRITE_PRIORITY[entry[1].reason] - WRITE_PRIORITY[best[1].reason];
        if (d < 0 || (d === 0 && entry[0] < best[0])) best = entry;
      }
    }
    return best;
  }

  private async send(node: string, write: ConditionWrite): Promise<void> {
    this.inFlight.add(node);
    this.sent++;
    try {
      await this.options.apply(node, write.condition);
      this.written.set(node, { condition: write.condition, atMs: this.now() });
      this.options.onWrite?.(write.reason, 'ok');
    } catch (err) {
      this.options.onWrite?.(write.reason, 'error');
      this.failed(node, err);
    } finally {
      this.inFlight.delete(node);
    }
  }

  private failed(node: string, err: unknown): void {
    const code = kubeStatusCode(err);
    if (code === 404) return; // the node is gone; the informer will say so
    if (code === 403 || code === 429) this.pausedUntilMs = this.now() + PAUSE_MS;
    this.failures++;
    const nowMs = this.now();
    if (nowMs - this.lastFailureLogMs < 60_000) return;
    this.lastFailureLogMs = nowMs;
    const hint =
      code === 403
        ? ' (the collector needs patch on nodes/status: the mirrorscope-collector ClusterRole grants it; --no-node-conditions turns these writes off)'
        : '';
    this.log(
      `cannot update the ${CONDITION_TYPE} condition of node ${node}: ${describeKubeError(err)}${hint}; ${this.failures} failed write(s) so far, retried at the next reconcile`,
    );
  }

  private log(message: string): void {
    this.options.log.warn(message);
  }
}
