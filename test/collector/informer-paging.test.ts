// The pod and node informers list in pages and project each page before asking for the next, so a
// large cluster's full objects are never all held parsed at once (src/kube/watched-objects.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { projectPod } from '../../src/collector/watched-projections.js';
import { loadKubeClients } from '../../src/kube/kube-clients.js';
import type { SupervisedInformer } from '../../src/kube/supervised-informer.js';
import { eventInformer, pagedProjectedList, podInformer } from '../../src/kube/watched-objects.js';
import { FakeKubeApi, podObject, pullFailedEvent, type Obj } from '../support/fake-kube-api.js';
import { eventually } from '../support/eventually.js';

const pod = (name: string): Obj & V1Pod =>
  ({
    ...podObject('shop', name, 'worker-1', { containers: ['quay.io/shop/web:1'] }),
    // What nothing reads, as a real Pod carries it.
    spec: {
      nodeName: 'worker-1',
      containers: [{ name: 'c0', image: 'quay.io/shop/web:1', env: [{ name: 'MODE', value: 'x' }] }],
      volumes: [{ name: 'data', emptyDir: {} }],
    },
  }) as Obj & V1Pod;

describe('paged, projected lists', () => {
  it('asks page by page with the continue token, projects each page, keeps the first version', async () => {
    const all = ['a', 'b', 'c', 'd', 'e'].map(pod);
    const asked: { limit: number; _continue?: string }[] = [];
    const projectedBefore: number[] = [];
    let projected = 0;
    const list = pagedProjectedList<V1Pod>(
      async (page) => {
        asked.push(page);
        projectedBefore.push(projected);
        const offset = Number(page._continue ?? '0');
        const end = offset + page.limit;
        return {
          metadata: {
            resourceVersion: offset === 0 ? '41' : '99',
            _continue: end < all.length ? String(end) : undefined,
          },
          items: all.slice(offset, end),
        };
      },
      (p) => {
        projected++;
        return projectPod(p);
      },
      2,
    );
    const result = await list();
    expect(asked).toEqual([{ limit: 2 }, { limit: 2, _continue: '2' }, { limit: 2, _continue: '4' }]);
    // Each page was projected before the next one was asked for.
    expect(projectedBefore).toEqual([0, 2, 4]);
    expect(result.items.map((p) => p.metadata?.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(result.items.every((p) => p.spec?.volumes === undefined)).toBe(true);
    expect(result.metadata?.resourceVersion).toBe('41');
    expect(result.metadata?._continue).toBeUndefined();
  });
});

describe('the pod informer against the API', () => {
  let api: FakeKubeApi;
  let informer: SupervisedInformer<V1Pod> | undefined;

  beforeAll(async () => {
    api = await new FakeKubeApi().start();
    for (const name of ['p1', 'p2', 'p3', 'p4', 'p5']) api.upsert('pods', pod(name));
  });

  afterAll(async () => {
    await informer?.stop();
    await api?.stop();
  });

  it('lists every pod in pages, keeps projections, and watches from the list on', async () => {
    const kube = loadKubeClients(api.writeKubeconfig());
    informer = podInformer(kube, { log: () => undefined, listPageSize: 2 }, () => undefined, projectPod);
    informer.start();
    await eventually(() => expect(informer!.list()).toHaveLength(5));
    // Three pages, then the watch (unpaged: one list, then the watch).
    await eventually(() => expect(api.count('GET', '/api/v1/pods')).toBe(4));
    expect(informer.list().every((p) => p.spec?.volumes === undefined)).toBe(true);
    api.upsert('pods', pod('p6'));
    await eventually(() => expect(informer!.list()).toHaveLength(6));
  });

  it('lists and watches only Warning events about pods: kubelet reports pull failures so', async () => {
    const failed = pullFailedEvent('shop', 'p1', 'worker-1', 'quay.io/shop/web:1', 'manifest unknown');
    const pulled = {
      ...failed,
      metadata: { ...failed.metadata, name: 'p1.pulled' },
      type: 'Normal',
      reason: 'Pulled',
      message: 'Successfully pulled image "quay.io/shop/web:1"',
    };
    api.upsert('events', failed);
    api.upsert('events', pulled);
    const kube = loadKubeClients(api.writeKubeconfig());
    const events: SupervisedInformer<CoreV1Event> = eventInformer(
      kube,
      { log: () => undefined },
      () => undefined,
    );
    events.start();
    try {
      await eventually(() => expect(events.list().map((e) => e.reason)).toEqual(['Failed']));
      api.upsert('events', {
        ...pulled,
        metadata: { ...pulled.metadata, name: 'p1.started' },
        reason: 'Started',
      });
      api.upsert('events', { ...failed, metadata: { ...failed.metadata, name: 'p1.failed-2' } });
      await eventually(() => expect(events.list()).toHaveLength(2));
      expect(events.list().every((e) => e.type === 'Warning')).toBe(true);
    } finally {
      await events.stop();
    }
  });
});
