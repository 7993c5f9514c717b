// The collector's API objects as the Admission section's inputs: live pods with their containers
// and labels, and FailedCreate events that quote an admission webhook's denial.
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import type { DenialEventInput, PodAdmissionInput } from '../core/admission/cluster-section.js';
import type { NodeInput } from '../core/report/types.js';
import { parseAdmissionDenials } from '../core/admission/denial-events.js';
import { eventLastSeen } from './event-time.js';

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
    const at = eventLastSeen(e);
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

/** Where the nodes' agents pull each image from (the winning source of their traces). */
export function pullSourcesByImage(nodes: readonly NodeInput[]): Map<string, string[]> {
  const sources = new Map<string, Set<string>>();
  for (const n of nodes)
    for (const i of n.agent?.images ?? []) {
      if (i.source === null) continue;
      let set = sources.get(i.image);
      if (set === undefined) sources.set(i.image, (set = new Set()));
      set.add(i.source);
    }
  return new Map([...sources].map(([image, set]) => [image, [...set].sort()]));
}
