// kubelet's pull-failure Events → PullEvents: the node, the image, and one result per source.
import type { CoreV1Event } from '@kubernetes/client-node';
import { parsePullFailure } from '../core/report/pull-error-text.js';
import type { PullEvent } from '../core/report/types.js';
import { eventLastSeen } from './event-time.js';

const PULL_FAILURE_REASONS = new Set(['Failed', 'ErrImagePull']);

/**
 * The latest pull failure per (node, image) seen within `maxAgeMs`. `nodeOfPod` finds the node of
 * a pod when the event does not name it (source.host is set by kubelet, but not by every emitter).
 */
export function pullEventsFrom(
  events: readonly CoreV1Event[],
  nowMs: number,
  maxAgeMs: number,
  nodeOfPod: (namespace: string, name: string) => string | undefined,
): PullEvent[] {
  const latest = new Map<string, { at: number; event: PullEvent }>();
  for (const e of events) {
    if (!PULL_FAILURE_REASONS.has(e.reason ?? '') || e.involvedObject.kind !== 'Pod') continue;
    const parsed = parsePullFailure(e.message ?? '');
    if (parsed === null) continue;
    const at = eventLastSeen(e);
    if (at === null || nowMs - at.getTime() > maxAgeMs) continue;
    const namespace = e.involvedObject.namespace ?? e.metadata.namespace ?? '';
    const pod = e.involvedObject.name ?? '';
    const node = e.source?.host ?? e.reportingInstance ?? nodeOfPod(namespace, pod);
    if (node === undefined || node === '') continue;
    const key = `${node}\u0000${parsed.image}`;
    const prev = latest.get(key);
    if (prev !== undefined && prev.at >= at.getTime()) continue;
    latest.set(key, {
      at: at.getTime(),
      event: {
        node,
        image: parsed.image,
        namespace,
        pod,
        count: e.count ?? e.series?.count ?? 1,
        lastSeen: at.toISOString(),
        error: parsed.error,
        candidates: parsed.candidates,
      },
    });
  }
  return [...latest.values()].map((v) => v.event);
}
