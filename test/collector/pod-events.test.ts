// The PredictedPullFailure Event writer on a driven clock: the per-minute budget, node Events before
// pod Events, an occurrence dropped once it is no longer true, the series count on a return, a
// create that finds the Event already there (409) and an expired Event (404) created anew.
import { describe, expect, it } from 'vitest';
import type { Cause } from '../../src/core/causes/types.js';
import type { EventObjectRef, PodView } from '../../src/core/kube-writes/events.js';
import { CauseIndex, predictNode, type NodePrediction } from '../../src/core/kube-writes/predictions.js';
import { silentLog } from '../../src/collector/log.js';
import { PredictedPullEvents, type WrittenEventRef } from '../../src/collector/pod-events.js';

const CA: Cause = {
  id: 'tls-ca-missing:mirror.corp.example:5000',
  kind: 'tls-ca-missing',
  severity: 'error',
  title: 'The CA of mirror.corp.example:5000 is missing on the node',
  explanation: '',
  fix: { text: '', commands: [] },
  evidence: [],
  affects: { nodes: [], pods: 0, images: [], mirrors: [] },
  findings: ['tls'],
};
const index = new CauseIndex([CA]);
const IMAGES = Array.from({ length: 10 }, (_, i) => `quay.example/app${i}:1`);

function prediction(failing: boolean, node = 'worker-1'): NodePrediction {
  return predictNode(
    {
      node,
      agent: 'connected',
      lastSeenMs: 0,
      images: IMAGES.map((image) => ({ image, pullable: !failing, findingKeys: failing ? ['tls'] : [] })),
    },
    index,
  );
}

const pods: PodView[] = IMAGES.map((image, i) => ({
  namespace: 'shop',
  name: `app-${i}`,
  uid: `uid-${i}`,
  node: 'worker-1',
  containers: [{ name: 'c0', image, fieldPath: 'spec.containers{c0}', started: false }],
}));

function writer(
  clock: { now: number },
  apiErrors: Map<string, number> = new Map(),
  limits: { perMinute: number; maxQueue?: number } = { perMinute: 6 },
) {
  const created: { name: string; kind: string; at: number }[] = [];
  const patched: { name: string; count: number; at: number }[] = [];
  const fail = (name: string): void => {
    const code = apiErrors.get(name);
    if (code !== undefined) {
      apiErrors.delete(name);
      throw Object.assign(new Error(`HTTP ${code}`), { code, body: '', headers: {} });
    }
  };
  const events = new PredictedPullEvents({
    name: (object: EventObjectRef, key: string) => `${object.name}.${key.length}`,
    namespaceOf: (object) => object.namespace || 'default',
    create: async (name, object) => {
      fail(name);
      created.push({ name, kind: object.kind, at: clock.now });
    },
    patch: async (event: WrittenEventRef) => {
      fail(`patch ${event.name}`);
      patched.push({ name: event.name, count: event.count + 1, at: clock.now });
    },
    countOf: async () => 4,
    existing: async () => [],
    ...limits,
    log: silentLog,
    now: () => clock.now,
  });
  return { events, created, patched };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('PredictedPullFailure Events', () => {
  it('writes at most the per-minute budget, the node Event first, the rest as the budget refills', async () => {
    const clock = { now: 0 };
    const { events, created } = writer(clock);
    await events.start(60_000);
    events.reconcile([prediction(true)], pods, () => 'uid-node');
    await settle();
    expect(created).toHaveLength(6);
    expect(created[0]!.kind).toBe('Node');
    expect(events.queued).toBe(5);
    for (let s = 1; s <= 60; s++) {
      clock.now = s * 1000;
      await events.pump();
    }
    // 6 a minute: after the burst, one more about every 10 s, never faster.
    const later = created.filter((c) => c.at > 0).map((c) => c.at);
    expect(later.length).toBeGreaterThanOrEqual(4);
    expect(later.length).toBeLessThanOrEqual(5);
    for (let i = 1; i < later.length; i++) expect(later[i]! - later[i - 1]!).toBeGreaterThanOrEqual(10_000);
    events.stop();
  });

  it('drops what stopped being true before its turn, and counts a return on the same Event', async () => {
    const clock = { now: 0 };
    const { events, created, patched } = writer(clock);
    await events.start(60_000);
    events.reconcile([prediction(true)], pods, () => 'uid-node');
    await settle();
    expect(created).toHaveLength(6);
    clock.now = 5000;
    events.reconcile([prediction(false)], pods, () => 'uid-node');
    expect(events.queued).toBe(0);
    clock.now = 120_000;
    events.reconcile([prediction(true)], pods, () => 'uid-node');
    await settle();
    // The six written before come back as count 2; the budget leaves the other five for later.
    expect(patched.map((p) => p.count)).toEqual([2, 2, 2, 2, 2, 2]);
    expect(created).toHaveLength(6);
    events.stop();
  });

  it('a create that finds the Event already there adds to its count; an expired one is created anew', async () => {
    const clock = { now: 0 };
    const errors = new Map<string, number>();
    const { events, created, patched } = writer(clock, errors);
    await events.start(60_000);
    const one = [{ ...prediction(true), failing: prediction(true).failing.slice(0, 1) }];
    const onePod = pods.slice(0, 1);
    // The node Event's name is taken already (a previous collector wrote it after our list).
    const nodeEvent = `worker-1.${`node|worker-1|${CA.id}`.length}`;
    errors.set(nodeEvent, 409);
    events.reconcile(one, onePod, () => 'uid-node');
    await settle();
    expect(patched).toEqual([{ name: nodeEvent, count: 5, at: 0 }]);
    expect(created.map((c) => c.kind)).toEqual(['Pod']);
    clock.now = 1000;
    events.reconcile([prediction(false)], onePod, () => 'uid-node');
    // The pod Event expired meanwhile (the API server's --event-ttl): patch 404 → create.
    errors.set(`patch ${created[0]!.name}`, 404);
    clock.now = 600_000;
    events.reconcile(one, onePod, () => 'uid-node');
    await settle();
    expect(created.map((c) => c.kind)).toEqual(['Pod', 'Pod']);
    expect(patched.map((p) => p.count)).toEqual([5, 6]);
    events.stop();
  });

  it('a full queue drops new pod Events, and a new node Event pushes out the newest pod Event', async () => {
    const clock = { now: 0 };
    const { events, created } = writer(clock, new Map(), { perMinute: 1, maxQueue: 3 });
    await events.start(60_000);
    const uid = (): string => 'uid-node';
    // worker-1's node Event is written at once; two of its ten pod Events fit in the queue.
    events.reconcile([prediction(true)], pods, uid);
    await settle();
    expect(created.map((c) => c.name)).toEqual([`worker-1.${`node|worker-1|${CA.id}`.length}`]);
    expect(events.queued).toBe(2);
    // worker-2's node Event fills the queue; worker-3's pushes out the pod Event queued last.
    const failing = ['worker-1', 'worker-2', 'worker-3'].map((n) => prediction(true, n));
    events.reconcile(failing.slice(0, 2), pods, uid);
    expect(events.queued).toBe(3);
    events.reconcile(failing, pods, uid);
    expect(events.queued).toBe(3);
    for (let minute = 1; minute <= 3; minute++) {
      clock.now = minute * 60_000;
      await events.pump();
    }
    expect(created.map((c) => `${c.kind} ${c.name.split('.')[0]}`)).toEqual([
      'Node worker-1',
      'Node worker-2',
      'Node worker-3',
      'Pod app-0',
    ]);
    expect(events.queued).toBe(0);
    events.stop();
  });
});
