// What the collector process writes back to the cluster, against the fake API: the
// ImagePullsPredicted node condition (flips, flips back, Unknown, removal) and the
// PredictedPullFailure Events (pod and node, deduplicated by the Event series convention, never for a
// cause that only repeats, also across a collector restart).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageStatus, WireFinding } from '../../src/protocol/messages.js';
import { eventually } from '../support/eventually.js';
import { FakeKubeApi, nodeObject, podObject, type Obj } from '../support/fake-kube-api.js';
import { CLUSTER_POLICY_REPORT_CRD, POLICY_REPORT_CRD } from '../support/fake-kube-writes.js';
import { startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';
import { finding, ProtocolAgent } from '../support/protocol-agent.js';

const MIRROR = 'mirror.corp.example:5000';
const APP = 'quay.example/shop/app:1.0';
const WEB = 'quay.example/shop/web:2.0';

const TLS = finding({
  id: 'mirror-tls-untrusted',
  key: `mirror-tls-untrusted|${MIRROR}`,
  severity: 'error',
  message: `Mirror ${MIRROR} presents a certificate signed by an unknown authority.`,
  scope: MIRROR,
  host: MIRROR,
});
const APP_FAILS = finding({
  id: 'image-pull-fails',
  key: `image-pull-fails||${APP}`,
  severity: 'error',
  message: `${APP} cannot be pulled: x509: certificate signed by unknown authority.`,
  image: APP,
});

function images(appPulls: boolean): ImageStatus[] {
  return [
    {
      image: APP,
      pullable: appPulls,
      source: appPulls ? `${MIRROR}/shop/app:1.0` : null,
      digest: null,
      findingKeys: appPulls ? [] : [TLS.key, APP_FAILS.key],
    },
    { image: WEB, pullable: true, source: `${MIRROR}/shop/web:2.0`, digest: null, findingKeys: [] },
  ];
}
const failing = (): { findings: WireFinding[]; images: ImageStatus[] } => ({
  findings: [TLS, APP_FAILS],
  images: images(false),
});
const pulling = (): { findings: WireFinding[]; images: ImageStatus[] } => ({
  findings: [],
  images: images(true),
});

let api: FakeKubeApi;
let collector: CollectorProcess;
let agent: ProtocolAgent;
let kubeconfig: string;

function start(): Promise<CollectorProcess> {
  return startCollectorProcess([
    '--auth',
    'none',
    '--kubeconfig',
    kubeconfig,
    '--namespace',
    'mirrorscope',
    '--heartbeat-interval',
    '1',
    '--silent-after',
    '3',
    '--kube-write-interval',
    '0.3',
    '--node-condition-grace',
    '6',
  ]);
}

async function connect(): Promise<ProtocolAgent> {
  const a = new ProtocolAgent(collector.url, 'worker-1', null);
  await a.connect();
  return a;
}

type Condition = {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
};
function condition(node = 'worker-1'): Condition | undefined {
  return (api.get('nodes', node)!.status as { conditions: Condition[] }).conditions.find(
    (c) => c.type === 'ImagePullsPredicted',
  );
}
function ourEvents(): (Obj & {
  count: number;
  message: string;
  involvedObject: { kind: string; name: string };
})[] {
  return api.list('events').filter((e) => e.reason === 'PredictedPullFailure') as never;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  api = await new FakeKubeApi().start();
  api.upsert('nodes', nodeObject('worker-1'));
  api.upsert('nodes', nodeObject('worker-2'));
  // Scheduled, not started yet: the kubelet is about to pull.
  api.upsert('pods', podObject('shop', 'app-new', 'worker-1', { containers: [APP] }, 'Pending'));
  // Running with the image already pulled: a prediction about the pull comes too late for it.
  const running = podObject('shop', 'app-old', 'worker-1', { containers: [APP] });
  api.upsert('pods', {
    ...running,
    status: {
      phase: 'Running',
      containerStatuses: [
        { name: 'c0', image: APP, imageID: `${APP}@sha256:${'a'.repeat(64)}`, state: { running: {} } },
      ],
    },
  });
  api.upsert('pods', podObject('shop', 'web', 'worker-1', { containers: [WEB] }, 'Pending'));
  api.upsert('pods', podObject('batch', 'nightly', 'worker-1', { containers: [WEB] }, 'Pending'));
  api.writes.serveCrd(POLICY_REPORT_CRD);
  api.writes.serveCrd(CLUSTER_POLICY_REPORT_CRD);
  kubeconfig = api.writeKubeconfig();
  collector = await start();
  agent = await connect();
});

afterAll(async () => {
  agent?.close();
  await collector?.stop();
  await api?.stop();
});

describe('the ImagePullsPredicted condition and the PredictedPullFailure Events', () => {
  it('a predicted failure: condition False on the node, a Warning Event on the pod about to pull and on the node', async () => {
    agent.snapshot(failing());
    const c = await eventually(() => {
      const c = condition();
      expect(c?.status).toBe('False');
      return c!;
    }, 'the condition');
    expect(c.reason).toBe('TlsCaMissing');
    expect(c.message).toBe(
      `1 of 2 images in use would fail to pull: The CA of ${MIRROR} is missing on the node. Trace: mirrorscope trace --node worker-1 ${APP}`,
    );
    const events = await eventually(() => {
      const e = ourEvents();
      expect(e).toHaveLength(2);
      return e;
    }, 'two events');
    const pod = events.find((e) => e.involvedObject.kind === 'Pod')!;
    expect(pod).toMatchObject({
      type: 'Warning',
      reason: 'PredictedPullFailure',
      count: 1,
      metadata: { namespace: 'shop' },
      involvedObject: { name: 'app-new', namespace: 'shop', fieldPath: 'spec.containers{c0}' },
      source: { component: 'mirrorscope' },
      reportingComponent: 'mirrorscope',
    });
    expect(pod.message).toBe(
      `Image ${APP} is predicted to fail to pull on node worker-1: The CA of ${MIRROR} is missing on the node. Trace: mirrorscope trace --node worker-1 ${APP}`,
    );
    const node = events.find((e) => e.involvedObject.kind === 'Node')!;
    expect(node).toMatchObject({
      metadata: { namespace: 'default' },
      involvedObject: { name: 'worker-1' },
      count: 1,
    });
    expect(node.message).toContain('1 image in use on this node would fail to pull');
    // No agent on worker-2 yet: nothing is claimed about it.
    expect(condition('worker-2')).toBeUndefined();
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toContain(
      'mirrorscope_collector_kube_writes_total{write="node-condition-new",result="ok"} 1',
    );
    expect(metrics).toContain('mirrorscope_collector_kube_writes_total{write="event-create",result="ok"} 2');
  });

  it('PolicyReports: the failing pods in their namespace, the node in the ClusterPolicyReport; pruned when a namespace empties', async () => {
    const shop = await eventually(() => {
      const r = api.writes.objects(POLICY_REPORT_CRD).find((o) => o.metadata.namespace === 'shop');
      expect(r).toMatchObject({ summary: { fail: 2, pass: 1 } });
      return r as Obj & { results: { policy: string; result: string; resources: { name: string }[] }[] };
    }, 'the shop PolicyReport');
    expect(shop.results.map((r) => [r.policy, r.result, r.resources.map((x) => x.name)])).toEqual([
      ['tls-ca-missing', 'fail', ['app-new', 'app-old']],
      ['image-pulls-predicted', 'pass', ['web']],
    ]);
    await eventually(
      () => expect(api.writes.objects(CLUSTER_POLICY_REPORT_CRD)).toHaveLength(1),
      'the ClusterPolicyReport',
    );
    expect(api.writes.objects(CLUSTER_POLICY_REPORT_CRD)).toEqual([
      expect.objectContaining({
        results: [
          expect.objectContaining({
            policy: 'tls-ca-missing',
            result: 'fail',
            resources: [expect.objectContaining({ name: 'worker-1' })],
          }),
        ],
      }),
    ]);
    expect(
      api.writes
        .objects(POLICY_REPORT_CRD)
        .map((o) => o.metadata.namespace)
        .sort(),
    ).toEqual(['batch', 'shop']);
    api.remove('pods', 'nightly', 'batch');
    await eventually(
      () => expect(api.writes.objects(POLICY_REPORT_CRD).map((o) => o.metadata.namespace)).toEqual(['shop']),
      'the batch report pruned',
    );
  });

  it('a cause that only repeats writes nothing more', async () => {
    const applies = api.writes.statusApplies.length;
    agent.snapshot(failing());
    await sleep(1500);
    expect(ourEvents().map((e) => e.count)).toEqual([1, 1]);
    expect(api.writes.statusApplies.length).toBe(applies);
  });

  it('flips to True when the image pulls, and back to False, counting the Events of the returning cause', async () => {
    const before = condition()!;
    agent.snapshot(pulling());
    const ok = await eventually(() => {
      const c = condition();
      expect(c?.status).toBe('True');
      return c!;
    }, 'the flip to True');
    expect(ok).toMatchObject({
      reason: 'ImagesPullable',
      message: 'All 2 images in use on this node are predicted to pull.',
    });
    expect(ok.lastTransitionTime >= before.lastTransitionTime).toBe(true);
    await sleep(400);
    agent.snapshot(failing());
    const back = await eventually(() => {
      const c = condition();
      expect(c?.status).toBe('False');
      return c!;
    }, 'the flip back');
    expect(back.lastTransitionTime >= ok.lastTransitionTime).toBe(true);
    await eventually(() => expect(ourEvents().map((e) => e.count)).toEqual([2, 2]), 'the Event series');
  });

  it('a restarted collector finds its Events and does not announce what only repeats', async () => {
    agent.close();
    await collector.stop();
    collector = await start();
    agent = await connect();
    agent.snapshot(failing());
    await eventually(
      () => expect(collector.log.join('\n')).toContain('image sets changed'),
      'the pod informer',
    );
    await sleep(1500);
    expect(ourEvents().map((e) => e.count)).toEqual([2, 2]);
    expect(condition()?.status).toBe('False');
  });

  it('Unknown once the agent is silent, removed after the grace period, the kubelet conditions untouched', async () => {
    agent.close();
    await eventually(
      () => expect(condition()).toMatchObject({ status: 'Unknown', reason: 'AgentSilent' }),
      'Unknown',
      10_000,
    );
    await eventually(() => expect(condition()).toBeUndefined(), 'removal', 15_000);
    expect((api.get('nodes', 'worker-1')!.status as { conditions: Condition[] }).conditions).toEqual([
      { type: 'Ready', status: 'True' },
    ]);
  }, 30_000);
});
