// core/v1 Events the collector writes, with the Event series convention of client-go's event
// correlator: the first occurrence creates the Event (count 1), a later occurrence of the same
// Event patches count and lastTimestamp. Names are derived from the occurrence key, so a restarted
// collector finds its Events again; a label lets it list them all in one request.
import { createHash } from 'node:crypto';
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type CoreV1Event } from '@kubernetes/client-node';
import type { EventObjectRef } from '../core/kube-writes/events.js';

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'mirrorscope' } as const;
const COMPONENT = 'mirrorscope';

/** `<object>.<16 hex of the key's hash>`, within the 253 characters of a name. */
export function eventName(object: EventObjectRef, key: string): string {
  return `${object.name.slice(0, 200)}.${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/** Where an Event about the object lives: the Pod's namespace; `default` for a Node (legacy rule). */
export function eventNamespace(object: EventObjectRef): string {
  return object.namespace === '' ? 'default' : object.namespace;
}

export interface WrittenEvent {
  readonly name: string;
  readonly namespace: string;
  readonly count: number;
}

export async function createEvent(
  core: CoreV1Api,
  name: string,
  object: EventObjectRef,
  reason: string,
  message: string,
  instance: string,
  now: Date,
): Promise<void> {
  const namespace = eventNamespace(object);
  const body: CoreV1Event = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace, labels: { ...MANAGED_BY } },
    involvedObject: {
      apiVersion: 'v1',
      kind: object.kind,
      name: object.name,
      uid: object.uid,
      ...(object.namespace === '' ? {} : { namespace: object.namespace }),
      ...(object.fieldPath === undefined ? {} : { fieldPath: object.fieldPath }),
    },
    reason,
    message,
    type: 'Warning',
    count: 1,
    firstTimestamp: now,
    lastTimestamp: now,
    source: { component: COMPONENT },
    reportingComponent: COMPONENT,
    reportingInstance: instance,
  };
  await core.createNamespacedEvent({ namespace, body });
}

/** One more occurrence of an Event that exists: count, lastTimestamp and the current wording. */
export async function patchEventSeries(
  core: CoreV1Api,
  event: WrittenEvent,
  message: string,
  now: Date,
): Promise<void> {
  await core.patchNamespacedEvent(
    {
      name: event.name,
      namespace: event.namespace,
      body: { count: event.count + 1, lastTimestamp: now.toISOString(), message },
    },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
}

/** Every Event the collector wrote that still exists (they expire after the API server's --event-ttl). */
export async function listOwnEvents(core: CoreV1Api): Promise<WrittenEvent[]> {
  const out: WrittenEvent[] = [];
  let cont: string | undefined;
  do {
    const page = await core.listEventForAllNamespaces({
      labelSelector: 'app.kubernetes.io/managed-by=mirrorscope',
      limit: 500,
      ...(cont === undefined ? {} : { _continue: cont }),
    });
    for (const e of page.items)
      if (e.metadata.name !== undefined && e.metadata.namespace !== undefined)
        out.push({ name: e.metadata.name, namespace: e.metadata.namespace, count: e.count ?? 1 });
    cont = page.metadata?._continue || undefined;
  } while (cont !== undefined);
  return out;
}

/** The count of an Event that exists (a create found it already there); listed, since RBAC grants list, not get. */
export async function readEventCount(core: CoreV1Api, namespace: string, name: string): Promise<number> {
  const list = await core.listEventForAllNamespaces({
    fieldSelector: `metadata.namespace=${namespace},metadata.name=${name}`,
  });
  return list.items[0]?.count ?? 1;
}
