// Writes the PredictedPullFailure Warning Events: on a Pod whose image is predicted to fail on its
// node before that container started, and on a Node for a cause that newly makes images fail there.
// An occurrence that persists is never announced again; one that went away and came back adds to
// the same Event's count (client-go's series convention). At most `perMinute` writes a minute; what
// does not fit waits in a bounded queue, node Events first, and is dropped if it stops being true.
import {
  announces,
  EVENT_REASON,
  nodeOccurrences,
  OccurrenceTracker,
  podOccurrences,
  type EventObjectRef,
  type EventOccurrence,
  type PodView,
} from '../core/kube-writes/events.js';
import type { NodePrediction } from '../core/kube-writes/predictions.js';
import { describeKubeError, kubeStatusCode } from '../kube/api-error.js';
import type { Log } from './log.js';
import { RateLimiter } from './rate-limiter.js';

export interface WrittenEventRef {
  readonly name: string;
  readonly namespace: string;
  readonly count: number;
}

export interface PredictedEventsOptions {
  readonly name: (object: EventObjectRef, key: string) => string;
  readonly namespaceOf: (object: EventObjectRef) => string;
  readonly create: (name: string, object: EventObjectRef, reason: string, message: string) => Promise<void>;
  readonly patch: (event: WrittenEventRef, message: string) => Promise<void>;
  readonly countOf: (namespace: string, name: string) => Promise<number>;
  /** The Events a previous collector wrote (they may still be current). */
  readonly existing: () => Promise<WrittenEventRef[]>;
  readonly perMinute: number;
  readonly maxQueue?: number;
  readonly log: Log;
  readonly now?: () => number;
  readonly onWrite?: (action: 'create' | 'patch', result: 'ok' | 'error') => void;
}

export class PredictedPullEvents {
  private readonly tracker = new OccurrenceTracker();
  /** `namespace/name` → what exists in the API, as far as this collector knows. */
  private readonly ledger = new Map<string, WrittenEventRef>();
  /** Events found at start whose occurrence has not been seen yet: seen again, they only repeat. */
  private readonly inherited = new Set<string>();
  /** What waits for the budget, node Events apart (they go first), each in arrival order. */
  private readonly queue = new OccurrenceQueue();
  private readonly budget: RateLimiter;
  private readonly now: () => number;
  private ready = false;
  private sending = false;
  private dropped = 0;
  private lastLogMs = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: PredictedEventsOptions) {
    this.now = options.now ?? Date.now;
    this.budget = new RateLimiter(options.perMinute, options.perMinute / 60, this.now);
  }

  get queued(): number {
    return this.queue.size;
  }

  /** Reads the Events a previous collector left, then starts sending. */
  async start(pumpEveryMs = 1000): Promise<void> {
    try {
      for (const e of await this.options.existing()) {
        const id = `${e.namespace}/${e.name}`;
        this.ledger.set(id, e);
        this.inherited.add(id);
      }
    } catch (err) {
      this.warn(
        `cannot list the Events a previous collector wrote (${describeKubeError(err)}); repeats may be announced once`,
      );
    }
    this.ready = true;
    this.timer = setInterval(() => void this.pump(), pumpEveryMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  reconcile(
    predictions: readonly NodePrediction[],
    pods: readonly PodView[],
    nodeUid: (node: string) => string | undefined,
  ): void {
    if (!this.ready) return;
    const podsByNode = new Map<string, PodView[]>();
    for (const pod of pods) {
      const list = podsByNode.get(pod.node);
      if (list === undefined) podsByNode.set(pod.node, [pod]);
      else list.push(pod);
    }
    const nodes = new Set<string>();
    for (const p of predictions) {
      nodes.add(p.node);
      const uid = nodeUid(p.node);
      if (uid === undefined || !announces(p)) continue;
      const now = [
        ...nodeOccurrences(p, uid),
        ...(podsByNode.get(p.node) ?? []).flatMap((pod) => podOccurrences(pod, p)),
      ];
      for (const o of this.tracker.update(p.node, now)) {
        const id = this.idOf(o);
        if (this.inherited.delete(id)) continue;
        this.enqueue(o);
      }
    }
    this.tracker.retain(nodes);
    this.queue.retain((o) => this.tracker.isActive(o));
    void this.pump();
  }

  private idOf(o: EventOccurrence): string {
    return `${this.options.namespaceOf(o.object)}/${this.options.name(o.object, o.key)}`;
  }

  private enqueue(o: EventOccurrence): void {
    if (this.queue.size >= (this.options.maxQueue ?? 1000) && !this.queue.has(o)) {
      // Full: a node Event may push out the newest pod Event, never the reverse.
      this.dropped++;
      if (o.priority !== 0 || !this.queue.dropNewestPodEvent()) return this.logDropped();
    }
    this.queue.set(o);
    this.logDropped();
  }

  private logDropped(): void {
    if (this.dropped === 0 || this.now() - this.lastLogMs < 60_000) return;
    this.lastLogMs = this.now();
    this.warn(
      `${this.dropped} PredictedPullFailure Event(s) not written: over the budget of ${this.options.perMinute} a minute`,
    );
  }

  async pump(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      for (;;) {
        const next = this.queue.first();
        if (next === undefined || this.budget.take('events') > 0) return;
        this.queue.delete(next);
        await this.write(next);
      }
    } finally {
      this.sending = false;
    }
  }

  private async write(o: EventOccurrence): Promise<void> {
    const name = this.options.name(o.object, o.key);
    const namespace = this.options.namespaceOf(o.object);
    const id = `${namespace}/${name}`;
    const known = this.ledger.get(id);
    let action: 'create' | 'patch' = known === undefined ? 'create' : 'patch';
    try {
      if (known !== undefined) {
        try {
          await this.options.patch(known, o.message);
          this.ledger.set(id, { ...known, count: known.count + 1 });
          return this.options.onWrite?.('patch', 'ok');
        } catch (err) {
          // Expired (the API server's --event-ttl, one hour by default): start a new one.
          if (kubeStatusCode(err) !== 404) throw err;
          action = 'create';
        }
      }
      try {
        await this.options.create(name, o.object, EVENT_REASON, o.message);
        this.ledger.set(id, { name, namespace, count: 1 });
      } catch (err) {
        if (kubeStatusCode(err) !== 409) throw err;
        // Written by an earlier collector after we listed: one more occurrence of it.
        action = 'patch';
        const existing = { name, namespace, count: await this.options.countOf(namespace, name) };
        await this.options.patch(existing, o.message);
        this.ledger.set(id, { ...existing, count: existing.count + 1 });
      }
      this.options.onWrite?.(action, 'ok');
    } catch (err) {
      this.options.onWrite?.(action, 'error');
      // Tried again (within the budget) while still true, unless the collector may not write Events.
      if (kubeStatusCode(err) !== 403 && this.tracker.isActive(o)) this.queue.set(o);
      if (this.now() - this.lastLogMs >= 60_000) {
        this.lastLogMs = this.now();
        const hint =
          kubeStatusCode(err) === 403
            ? ' (the collector needs create and patch on events; --no-events turns them off)'
            : '';
        this.warn(
          `cannot write a ${EVENT_REASON} Event on ${o.object.kind} ${o.object.namespace ? `${o.object.namespace}/` : ''}${o.object.name}: ${describeKubeError(err)}${hint}`,
        );
      }
    }
  }

  private warn(message: string): void {
    this.options.log.warn(message);
  }
}

/**
 * Occurrences waiting to be written, by key: node Events (priority 0) before pod Events, each in
 * arrival order. Every operation is O(1) (amortized): a full queue meets thousands of new
 * occurrences when many nodes connect at once.
 */
class OccurrenceQueue {
  private readonly byPriority = [new Map<string, EventOccurrence>(), new Map<string, EventOccurrence>()];
  /** Pod Event keys in the order they were queued (stale keys are skipped when popped). */
  private podKeys: string[] = [];

  get size(): number {
    return this.byPriority[0]!.size + this.byPriority[1]!.size;
  }

  has(o: EventOccurrence): boolean {
    return this.byPriority[o.priority]!.has(o.key);
  }

  set(o: EventOccurrence): void {
    this.byPriority[o.priority]!.set(o.key, o);
    if (o.priority === 1) this.podKeys.push(o.key);
  }

  delete(o: EventOccurrence): void {
    this.byPriority[o.priority]!.delete(o.key);
  }

  first(): EventOccurrence | undefined {
    for (const map of this.byPriority) for (const o of map.values()) return o;
    return undefined;
  }

  retain(keep: (o: EventOccurrence) => boolean): void {
    for (const map of this.byPriority) for (const [key, o] of map) if (!keep(o)) map.delete(key);
    if (this.podKeys.length > 2 * this.byPriority[1]!.size + 64)
      this.podKeys = this.podKeys.filter((k) => this.byPriority[1]!.has(k));
  }

  /** Drops the pod Event queued last; false when none is queued. */
  dropNewestPodEvent(): boolean {
    const pods = this.byPriority[1]!;
    for (let key = this.podKeys.pop(); key !== undefined; key = this.podKeys.pop())
      if (pods.delete(key)) return true;
    return false;
  }
}
