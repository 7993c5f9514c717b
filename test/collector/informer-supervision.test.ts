// The informer supervisor against the fake Kubernetes API, through the same client-node calls the
// collector makes: a watch that goes silent is replaced (watchdog), and the replacement relists, so
// changes made meanwhile are not lost.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadKubeClients } from '../../src/kube/kube-clients.js';
import { podInformer } from '../../src/kube/watched-objects.js';
import type { SupervisedInformer } from '../../src/kube/supervised-informer.js';
import type { V1Pod } from '@kubernetes/client-node';
import { FakeKubeApi, podObject } from '../support/fake-kube-api.js';
import { eventually } from '../support/eventually.js';

let api: FakeKubeApi;
let informer: SupervisedInformer<V1Pod>;
const log: string[] = [];

beforeAll(async () => {
  api = await new FakeKubeApi().start();
  api.upsert('pods', podObject('a', 'p1', 'n1', { containers: ['x:1'] }));
});

afterAll(async () => {
  await informer?.stop();
  await api?.stop();
});

it('replaces an informer whose watch stays silent, and the replacement relists what changed', async () => {
  const kube = loadKubeClients(api.writeKubeconfig());
  informer = podInformer(kube, { log: (_l, m) => log.push(m), watchdogMs: 600 }, () => undefined);
  informer.start();
  await eventually(() => expect(informer.list().map((p) => p.metadata?.name)).toEqual(['p1']));
  // Nothing happens on the watch: the watchdog replaces the informer (a relist each time).
  await eventually(() => expect(informer.restarts).toBeGreaterThanOrEqual(2));
  expect(api.count('GET', '/api/v1/pods')).toBeGreaterThanOrEqual(3);
  expect(log.some((m) => m.includes('pod informer silent'))).toBe(true);
  // A pod added while the informer is being replaced still shows up.
  api.upsert('pods', podObject('a', 'p2', 'n1', { containers: ['y:1'] }));
  await eventually(() =>
    expect(
      informer
        .list()
        .map((p) => p.metadata?.name)
        .sort(),
    ).toEqual(['p1', 'p2']),
  );
});

it('restarts with backoff after list errors instead of stopping for good', async () => {
  const before = informer.restarts;
  api.failNext('/api/v1/pods', 500, 3);
  api.endWatches();
  await eventually(() => expect(log.some((m) => m.includes('pod informer failed (HTTP 500'))).toBe(true));
  api.upsert('pods', podObject('a', 'p3', 'n1', { containers: ['z:1'] }));
  await eventually(() => expect(informer.list().map((p) => p.metadata?.name)).toContain('p3'));
  expect(informer.restarts).toBeGreaterThan(before);
});
