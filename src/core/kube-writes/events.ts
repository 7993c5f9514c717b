// Which Warning Events the predictions call for. An Event announces something new: a pod whose image
// is predicted to fail on its node before that container has started (so before, or while, the
// kubelet tries), and a cause that newly makes images fail on a node. Each occurrence has a stable
// key; the writer emits an Event when a key appears, never while it only persists.
import { traceCommand } from '../causes/commands.js';
import { plural, type NodePrediction } from './predictions.js';

export const EVENT_REASON = 'PredictedPullFailure';

export interface PodContainerView {
  readonly name: string;
  readonly image: string;
  /** `spec.containers{name}`, `spec.initContainers{name}`: where kubelet's own Events point. */
  readonly fieldPath: string;
  /** The container has run or its image was pulled: a prediction about the pull comes too late. */
  readonly started: boolean;
}

export interface PodView {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly node: string;
  readonly containers: readonly PodContainerView[];
}

export interface EventObjectRef {
  readonly kind: 'Pod' | 'Node';
  readonly name: string;
  readonly uid: string;
  /** Empty for a Node. */
  readonly namespace: string;
  readonly fieldPath?: string;
}

export interface EventOccurrence {
  /** Stable for the same object, image and cause: what "the same Event" means. */
  readonly key: string;
  /** The node whose prediction it comes from. */
  readonly node: string;
  readonly object: EventObjectRef;
  readonly message: string;
  /** Node events go first when the budget is short: one says what many pod events would. */
  readonly priority: 0 | 1;
}

/** A prediction fresh enough to announce anything from (the agent talks and has scanned). */
export function announces(p: NodePrediction): boolean {
  return p.scanned && (p.agent === 'connected' || p.agent === 'disconnected');
}

export function nodeOccurrences(p: NodePrediction, nodeUid: string): EventOccurrence[] {
  return p.causes.map((cause) => {
    const images = p.failing.filter((f) => f.cause === cause).map((f) => f.image);
    return {
      key: `node|${p.node}|${cause.id}`,
      node: p.node,
      object: { kind: 'Node', name: p.node, uid: nodeUid, namespace: '' },
      message: `${cause.title}: ${plural(images.length, 'image')} in use on this node would fail to pull (${images[0]}${images.length > 1 ? ', …' : ''}). Trace: ${traceCommand({ kind: 'cluster' }, images[0]!, p.node)}`,
      priority: 0,
    };
  });
}

export function podOccurrences(pod: PodView, p: NodePrediction): EventOccurrence[] {
  const out: EventOccurrence[] = [];
  const seen = new Set<string>();
  for (const c of pod.containers) {
    if (c.started || seen.has(c.image)) continue;
    const failing = p.failing.find((f) => f.image === c.image);
    if (failing === undefined) continue;
    seen.add(c.image);
    const why = failing.cause?.title ?? 'no finding explains it yet';
    out.push({
      key: `pod|${pod.uid}|${c.image}|${failing.cause?.id ?? ''}`,
      node: p.node,
      object: { kind: 'Pod', name: pod.name, uid: pod.uid, namespace: pod.namespace, fieldPath: c.fieldPath },
      message: `Image ${c.image} is predicted to fail to pull on node ${p.node}: ${why}. Trace: ${traceCommand({ kind: 'cluster' }, c.image, p.node)}`,
      priority: 1,
    });
  }
  return out;
}

/**
 * Per node, the keys active after the last reconcile. A node whose prediction cannot be trusted now
 * (agent silent or not scanned) keeps its keys: its causes have not gone, we just cannot see them.
 */
export class OccurrenceTracker {
  private readonly active = new Map<string, ReadonlySet<string>>();

  /** The occurrences that are new this time (in the order given); the node's active set becomes `now`. */
  update(node: string, now: readonly EventOccurrence[]): EventOccurrence[] {
    const before = this.active.get(node) ?? new Set<string>();
    this.active.set(node, new Set(now.map((o) => o.key)));
    return now.filter((o) => !before.has(o.key));
  }

  isActive(o: EventOccurrence): boolean {
    return this.active.get(o.node)?.has(o.key) === true;
  }

  /** Forgets nodes that no longer exist. */
  retain(nodes: ReadonlySet<string>): void {
    for (const node of [...this.active.keys()]) if (!nodes.has(node)) this.active.delete(node);
  }
}
