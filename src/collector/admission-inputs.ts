// The collector's API objects as the Admission section's inputs: live pods with their containers
// and labels, and FailedCreate events that quote an admission webhook's denial.
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import type { DenialEventInput, PodAdmissionInput } from '../core/admission/cluster-section.js';
import { parseAdmissionDenials } from '../core/admission/denial-events.js';

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

export function podAdmissionInputs(pods: readonly V1Pod[]): PodAdmissionInput[] {
  const out: PodAdmissionInput[] = [];
  for (const pod of pods) {
    if (TERMINAL_PHASES.has(pod.status?.phase ?? '')) continue;
    const spec = pod.spec;
    if (spec === undefined) continue;
    const containers: PodAdmissionInput['containers'][number][] = [];
    for (const c of spec.containers ?? [])
      if (c.image) containers.push({ field: 'containers', name: c.name, image: c.image });
    for (const c of spec.initContainers ?? [])
      if (c.image) containers.push({ field: 'initContainers', name: c.name, image: c.image });
    for (const c of spec.ephemeralContainers ?? [])
      if (c.image) containers.push({ field: 'ephemeralContainers', name: c.name, image: c.image });
    out.push({
      namespace: pod.metadata?.namespace ?? '',
      name: pod.metadata?.name ?? '',
      labels: new Map(Object.entries(pod.metadata?.labels ?? {})),
      containers,
    });
  }
  return out;
}

function lastSeen(e: CoreV1Event): Date | null {
  const t =
    e.lastTimestamp ??
    e.series?.lastObservedTime ??
    e.eventTime ??
    e.firstTimestamp ??
    e.metadata.creationTimestamp;
  if (t === undefined || t === null) return null;
  const d = t instanceof Date ? t : new Date(String(t));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** FailedCreate events within `maxAgeMs` that quote an admission denial. */
export function denialEventInputs(
  events: readonly CoreV1Event[],
  nowMs: number,
  maxAgeMs: number,
): DenialEventInput[] {
  const out: DenialEventInput[] = [];
  for (const e of events) {
    if (e.reason !== 'FailedCreate') continue;
    const denials = parseAdmissionDenials(e.message ?? '');
    if (denials.length === 0) continue;
    const at = lastSeen(e);
    if (at === null || nowMs - at.getTime() > maxAgeMs) continue;
    out.push({
      namespace: e.involvedObject.namespace ?? e.metadata.namespace ?? '',
      object: { kind: e.involvedObject.kind ?? '', name: e.involvedObject.name ?? '' },
      count: e.count ?? e.series?.count ?? 1,
      lastSeen: at.toISOString(),
      denials,
    });
  }
  return out;
}
