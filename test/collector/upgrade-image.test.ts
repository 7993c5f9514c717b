// An upgrade set on ClusterVersion (spec.desiredUpdate) before the cluster runs it: the collector adds
// the target release image to the control-plane nodes' image sets, so their agents check that the
// mirror serves it (signature included) before the cluster-version-operator needs it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeKubeApi, podObject } from '../support/fake-kube-api.js';
import { clusterVersion, mcoNode } from '../support/openshift-objects.js';
import { kubeFlags, startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';
import { ProtocolAgent } from '../support/protocol-agent.js';

const CURRENT = `quay.io/openshift-release-dev/ocp-release@sha256:${'a'.repeat(64)}`;
const TARGET = `quay.io/openshift-release-dev/ocp-release@sha256:${'b'.repeat(64)}`;
const APP = 'quay.example/team/app:1.0';

let api: FakeKubeApi;
let collector: CollectorProcess;
const agents: ProtocolAgent[] = [];

beforeAll(async () => {
  api = await new FakeKubeApi('collector-sa-token', { openshift: true }).start();
  api.upsert('clusterversions', clusterVersion(CURRENT, '4.21.0'));
  api.upsert('nodes', mcoNode('m1', 'master', { current: 'rendered-master-a' }));
  api.upsert('nodes', mcoNode('w1', 'worker', { current: 'rendered-worker-a' }));
  api.upsert('pods', podObject('shop', 'app-1', 'w1', { containers: [APP] }));
  api.upsert('pods', podObject('openshift-cluster-version', 'cvo', 'm1', { containers: [CURRENT] }));
  collector = await startCollectorProcess([...kubeFlags(api, 'mirrorscope', 'none')]);
});

afterAll(async () => {
  for (const a of agents) a.close();
  await collector?.stop();
  await api?.stop();
});

async function connect(node: string): Promise<ProtocolAgent> {
  const a = new ProtocolAgent(collector.url, node, null);
  agents.push(a);
  await a.connect(`hash-${node}`);
  await a.waitFor('welcome');
  return a;
}

it('sends the upgrade target to the control-plane agents only, and drops it once it runs', async () => {
  const [m1, w1] = [await connect('m1'), await connect('w1')];
  await m1.waitFor('images', (m) => m.images.includes(CURRENT), 20_000);
  const cv = clusterVersion(CURRENT, '4.21.0');
  api.upsert('clusterversions', {
    ...cv,
    spec: { ...cv.spec, desiredUpdate: { image: TARGET, version: '4.21.1' } },
  });
  const withTarget = await m1.waitFor('images', (m) => m.images.includes(TARGET), 20_000);
  expect(withTarget.images).toEqual([CURRENT, TARGET].sort());
  // The worker's set never had it: its last message is still just the app.
  const workerSets = await w1.waitFor('images', (m) => m.images.length > 0, 20_000);
  expect(workerSets.images).toEqual([APP]);
  expect(w1.received.filter((m) => m.type === 'images' && m.images.includes(TARGET))).toEqual([]);
  // The CVO accepted the update: status.desired is the target; nothing extra to check any more.
  const accepted = clusterVersion(TARGET, '4.21.1');
  api.upsert('clusterversions', {
    ...accepted,
    spec: { ...accepted.spec, desiredUpdate: { image: TARGET } },
  });
  const after = await m1.waitFor(
    'images',
    (m) => m.generation > withTarget.generation && !m.images.includes(TARGET),
    20_000,
  );
  expect(after.images).toEqual([CURRENT]);
});
