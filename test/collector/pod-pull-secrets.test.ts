// The collector with --pod-pull-secrets against the fake Kubernetes API: it reads (by name, never a
// list) the pull secrets pods name, raises mirror-credentials-only-in-pod-secret from what the
// agents say of the node's auth file, answers "cannot tell" for a secret RBAC refuses, and hands
// the kubelet's credentials to the agent for a trace of a pod, without them appearing anywhere else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dockerConfigSecret,
  FakeKubeApi,
  nodeObject,
  podObject,
  withPullSecrets,
} from '../support/fake-kube-api.js';
import { eventually } from '../support/eventually.js';
import type { ClusterReport } from '../../src/core/report/types.js';
import type { ImageStatus } from '../../src/protocol/messages.js';
import { kubeFlags, startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';
import { ProtocolAgent } from '../support/protocol-agent.js';

const NS = 'mirrorscope';
const APP = 'quay.example/team/app:1.0';
const MIRROR_PASSWORD = 'PLANTED-pod-mirror-pw-5e1f';
const SOURCE_PASSWORD = 'PLANTED-pod-source-pw-77c2';
const SA_PASSWORD = 'PLANTED-sa-only-pw-0b9d';

let api: FakeKubeApi;
let collector: CollectorProcess;
const agents: ProtocolAgent[] = [];

const get = (path: string): Promise<Response> =>
  fetch(`${collector.url}${path}`, { headers: { Authorization: 'Bearer admin-token' } });

async function report(): Promise<ClusterReport> {
  const res = await get('/api/v1/report');
  expect(res.status).toBe(200);
  return (await res.json()) as ClusterReport;
}

/** What an agent on a node whose auth file has quay.example but not the mirror reports. */
const STATUS: ImageStatus = {
  image: APP,
  pullable: false,
  source: null,
  digest: null,
  findingKeys: [],
  sources: [
    {
      reference: 'mirror.lab:5000/team/app',
      host: 'mirror.lab:5000',
      mirror: true,
      kubeletCredentials: false,
      nodeAuth: 'none',
      detail: '/var/lib/kubelet/config.json',
    },
    {
      reference: 'quay.example/team/app',
      host: 'quay.example',
      mirror: false,
      kubeletCredentials: true,
      nodeAuth: 'found',
      detail: 'quay.example',
    },
  ],
};

beforeAll(async () => {
  api = await new FakeKubeApi().start();
  for (const n of ['node-a', 'node-b']) {
    api.upsert('nodes', nodeObject(n));
    api.agentToken(`agent-token-${n}`, n);
  }
  api.upsert(
    'secrets',
    dockerConfigSecret('shop', 'regcred', {
      'mirror.lab:5000': { username: 'mirror-user', password: MIRROR_PASSWORD },
      'quay.example': { username: 'source-user', password: SOURCE_PASSWORD },
    }),
  );
  api.upsert('secrets', dockerConfigSecret('shop', 'locked', {}));
  api.forbidden.add('secrets/shop/locked');
  // The ServiceAccount's pull secret: the kubelet never reads the ServiceAccount, and the pods
  // below named their own secrets at creation, so the admission plugin did not copy it.
  api.upsert(
    'secrets',
    dockerConfigSecret('shop', 'sa-only', { 'mirror.lab:5000': { username: 'sa', password: SA_PASSWORD } }),
  );
  api.upsert('serviceaccounts', {
    metadata: { name: 'default', namespace: 'shop' },
    imagePullSecrets: [{ name: 'sa-only' }],
  });
  api.upsert(
    'pods',
    withPullSecrets(podObject('shop', 'app-1', 'node-a', { containers: [APP] }), [
      'regcred',
      'locked',
      'gone',
    ]),
  );
  api.upsert(
    'pods',
    withPullSecrets(podObject('shop', 'app-2', 'node-b', { containers: [APP] }), ['locked']),
  );
  api.traceUser('admin-token', 'alice');
  collector = await startCollectorProcess([
    ...kubeFlags(api, NS),
    '--pod-pull-secrets',
    '--trace-timeout',
    '5',
  ]);
  for (const n of ['node-a', 'node-b']) {
    const a = new ProtocolAgent(collector.url, n, `agent-token-${n}`);
    agents.push(a);
    await a.connect();
    await a.waitFor('welcome');
    a.snapshot({ images: [STATUS] });
  }
});

afterAll(async () => {
  for (const a of agents) a.close();
  await collector?.stop();
  await api?.stop();
});

describe('pods whose pull secret holds a mirror the node has no credentials for', () => {
  it('raises mirror-credentials-only-in-pod-secret on the node whose pod names that secret', async () => {
    const problem = await eventually(async () => {
      const found = (await report()).problems.find((p) => p.id === 'mirror-credentials-only-in-pod-secret');
      expect(found).toBeDefined();
      return found!;
    }, 'the finding in the report');
    expect(problem.nodes).toEqual(['node-a']);
    expect(problem.host).toBe('mirror.lab:5000');
    expect(problem.image).toBe(APP);
    expect(problem.message).toContain('shop/regcred ("mirror.lab:5000")');
    const cause = (await report()).causes.find((c) => c.kind === 'credentials-only-in-pod-secret');
    expect(cause?.id).toBe('credentials-only-in-pod-secret:mirror.lab:5000');
    expect(cause?.title).toBe('mirror.lab:5000: credentials only in pod pull secrets');
    expect(cause?.affects.images).toEqual([APP]);
  });

  it('reports a secret RBAC refuses as "cannot tell", never as missing credentials', async () => {
    const r = await eventually(async () => {
      const got = await report();
      expect(got.problems.some((p) => p.id === 'pod-pull-secret-unreadable')).toBe(true);
      return got;
    }, 'the unreadable secret');
    const locked = r.problems.find((p) => p.id === 'pod-pull-secret-unreadable')!;
    expect(locked.severity).toBe('info');
    expect(locked.message).toContain('Cannot tell whether pull secret shop/locked');
    expect(locked.message).toContain('forbidden');
    expect(locked.nodes).toEqual(['node-a', 'node-b']);
    // node-b's pod has only the refused secret: nothing is claimed about its credentials.
    const onB = r.problems.filter(
      (p) => p.id === 'mirror-credentials-only-in-pod-secret' && p.nodes?.includes('node-b'),
    );
    expect(onB).toEqual([]);
  });

  it('gets secrets by name only, never lists them, and never reads ServiceAccounts', () => {
    expect(api.count('GET', '/api/v1/namespaces/shop/secrets/regcred')).toBeGreaterThan(0);
    expect(api.count('GET', '/api/v1/secrets')).toBe(0);
    expect(api.count('GET', '/api/v1/namespaces/shop/secrets')).toBe(0);
    expect(api.count('GET', '/api/v1/namespaces/shop/secrets/sa-only')).toBe(0);
    expect(api.count('GET', '/api/v1/namespaces/shop/serviceaccounts/default')).toBe(0);
  });

  it('keeps no secret value in the report, the page, the metrics or its log', async () => {
    for (const path of ['/api/v1/report', '/', '/metrics', '/api/v1/summary']) {
      const text = await (await get(path)).text();
      for (const secret of [MIRROR_PASSWORD, SOURCE_PASSWORD, SA_PASSWORD])
        expect(text).not.toContain(secret);
    }
    expect(collector.log.join('\n')).not.toMatch(/PLANTED-/);
  });
});

describe('a trace of a pod through the collector', () => {
  it('sends the agent the credentials the kubelet would send, and shows only their names', async () => {
    const res = await get(
      `/api/v1/nodes/node-a/trace?image=${encodeURIComponent(APP)}&namespace=shop&pod=app-1`,
    );
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const body = JSON.parse(text) as { pod: { credentials: unknown; notes: string[] } };
    expect(body.pod.credentials).toEqual([{ secret: 'shop/regcred', key: 'quay.example' }]);
    expect(body.pod.notes.join('\n')).toContain('shop/locked');
    expect(body.pod.notes.join('\n')).toContain('shop/gone does not exist');
    // This stand-in agent answers without `kubelet`, as an agent before pod traces would.
    expect(body.pod.notes.join('\n')).toContain('predates traces for a pod');
    for (const secret of [MIRROR_PASSWORD, SOURCE_PASSWORD]) expect(text).not.toContain(secret);
    const request = agents[0]!.received.find(
      (m) => m.type === 'trace-request' && m.pullCredentials !== undefined,
    );
    expect(request?.type === 'trace-request' ? request.pullCredentials : null).toEqual([
      { secret: 'shop/regcred', key: 'quay.example', username: 'source-user', password: SOURCE_PASSWORD },
    ]);
    expect(collector.log.join('\n')).not.toMatch(/PLANTED-/);
  });

  it('refuses a pod without its namespace, an unknown pod, and a pod on the fan-out route', async () => {
    expect((await get(`/api/v1/nodes/node-a/trace?image=${APP}&pod=app-1`)).status).toBe(400);
    expect((await get(`/api/v1/nodes/node-a/trace?image=${APP}&namespace=shop&pod=nope`)).status).toBe(404);
    expect((await get(`/api/v1/trace?image=${APP}&namespace=shop&pod=app-1`)).status).toBe(400);
  });
});
