// The real collector process against the fake Kubernetes API, with protocol-speaking agents:
// authentication (TokenReview, SubjectAccessReview), the pod informer and its supervision, images
// pushed to agents, kubelet pull-failure events, traces, the report, metrics and the ConfigMap.
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FakeKubeApi,
  nodeObject,
  podObject,
  pullFailedEvent,
  API_AUDIENCE,
  AGENT_SA,
} from '../support/fake-kube-api.js';
import { runCli } from '../support/cli.js';
import { kubeFlags, startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';
import { finding, ProtocolAgent } from '../support/protocol-agent.js';
import type { ClusterReport } from '../../src/core/report/types.js';
import { eventually } from '../support/eventually.js';

const NS = 'mirrorscope';
const MIRROR = 'mirror.lab.example:5000';
const APP = 'quay.example/team/app:1.0';

let api: FakeKubeApi;
let collector: CollectorProcess;
const agents: ProtocolAgent[] = [];

function get(path: string, token: string | null = 'admin-token'): Promise<Response> {
  return fetch(`${collector.url}${path}`, {
    headers: token === null ? {} : { Authorization: `Bearer ${token}` },
  });
}

async function report(): Promise<ClusterReport> {
  const res = await get('/api/v1/report');
  expect(res.status).toBe(200);
  return (await res.json()) as ClusterReport;
}

function agentFor(node: string, token = `agent-token-${node}`): ProtocolAgent {
  const a = new ProtocolAgent(collector.url, node, token);
  agents.push(a);
  return a;
}

beforeAll(async () => {
  api = await new FakeKubeApi().start();
  for (const n of ['node-a', 'node-b', 'node-c', 'node-d', 'node-e']) {
    api.upsert('nodes', nodeObject(n));
    api.agentToken(`agent-token-${n}`, n);
  }
  api.upsert(
    'pods',
    podObject('shop', 'app-1', 'node-a', {
      containers: [APP],
      init: ['quay.example/team/init:2'],
      ephemeral: ['quay.example/debug:1'],
    }),
  );
  api.upsert('pods', podObject('shop', 'app-2', 'node-b', { containers: [APP] }));
  api.upsert(
    'pods',
    podObject('shop', 'done', 'node-b', { containers: ['quay.example/batch:1'] }, 'Succeeded'),
  );
  api.traceUser('admin-token', 'alice');
  api.tokens.set('nobody-token', { username: 'bob', audiences: [API_AUDIENCE] });
  api.tokens.set('other-sa-token', {
    username: `system:serviceaccount:${NS}:default`,
    audiences: ['mirrorscope'],
  });
  api.tokens.set('api-audience-agent-token', { username: AGENT_SA, audiences: [API_AUDIENCE] });
  collector = await startCollectorProcess([
    ...kubeFlags(api, NS),
    '--heartbeat-interval',
    '1',
    '--silent-after',
    '3',
    '--configmap-interval',
    '1',
    '--trace-timeout',
    '5',
  ]);
});

afterAll(async () => {
  for (const a of agents) a.close();
  await collector?.stop();
  await api?.stop();
});

describe('agent authentication at upgrade', () => {
  it('refuses an agent without a token, with a token for another audience, or of another service account', async () => {
    await expect(agentFor('node-a', null as unknown as string).connect()).rejects.toThrow('HTTP 401');
    await expect(
      new ProtocolAgent(collector.url, 'node-a', 'api-audience-agent-token').connect(),
    ).rejects.toThrow('HTTP 401');
    await expect(new ProtocolAgent(collector.url, 'node-a', 'other-sa-token').connect()).rejects.toThrow(
      'HTTP 403',
    );
    await expect(new ProtocolAgent(collector.url, 'node-a', 'no-such-token').connect()).rejects.toThrow(
      'HTTP 401',
    );
  });

  it('refuses an agent whose bound token was issued on another node', async () => {
    const impostor = agentFor('node-b', 'agent-token-node-c');
    await impostor.connect();
    expect(await impostor.closed()).toBe(1008);
  });

  it('remembers a refused token briefly: a client retrying it is not a TokenReview each time', async () => {
    const before = api.count('POST', '/apis/authentication.k8s.io/v1/tokenreviews');
    for (let i = 0; i < 3; i++)
      await expect(new ProtocolAgent(collector.url, 'node-a', 'retried-bad-token').connect()).rejects.toThrow(
        'HTTP 401',
      );
    expect(api.count('POST', '/apis/authentication.k8s.io/v1/tokenreviews') - before).toBe(1);
  });

  it('welcomes an authenticated agent and pushes its node image set, init and ephemeral containers included', async () => {
    const a = agentFor('node-a');
    await a.connect();
    const welcome = await a.waitFor('welcome');
    expect(welcome.heartbeatIntervalMs).toBe(1000);
    const images = await eventually(
      () => a.waitFor('images', (m) => m.images.length > 0, 500),
      'images for node-a',
    );
    expect(images.images).toEqual([
      'quay.example/debug:1',
      'quay.example/team/app:1.0',
      'quay.example/team/init:2',
    ]);
  });

  it('caches positive TokenReviews: reconnecting agents do not cause a TokenReview each', async () => {
    const before = api.count('POST', '/apis/authentication.k8s.io/v1/tokenreviews');
    for (let i = 0; i < 4; i++) {
      const again = new ProtocolAgent(collector.url, 'node-e', 'agent-token-node-e');
      await again.connect('h-main');
      await again.waitFor('welcome');
      again.close();
    }
    expect(api.count('POST', '/apis/authentication.k8s.io/v1/tokenreviews') - before).toBe(1);
  });
});

describe('pod informer', () => {
  it('sends the new image set (higher generation) when a pod on the node changes; terminal pods do not count', async () => {
    const b = agentFor('node-b');
    await b.connect();
    const first = await eventually(
      () => b.waitFor('images', (m) => m.images.length > 0, 500),
      'images for node-b',
    );
    expect(first.images).toEqual([APP]);
    api.upsert('pods', podObject('shop', 'app-3', 'node-b', { containers: ['quay.example/team/worker:3'] }));
    const next = await b.waitFor('images', (m) => m.images.includes('quay.example/team/worker:3'));
    expect(next.generation).toBeGreaterThan(first.generation);
  });

  it('recovers when the watch ends and the relist fails: the supervisor restarts the informer', async () => {
    const b = agents.find((x) => x.node === 'node-b' && x.received.length > 0)!;
    api.failNext('/api/v1/pods', 500, 2);
    api.endWatches();
    await new Promise((r) => setTimeout(r, 300));
    api.upsert('pods', podObject('shop', 'app-4', 'node-b', { containers: ['quay.example/team/late:4'] }));
    const m = await b.waitFor('images', (x) => x.images.includes('quay.example/team/late:4'), 20_000);
    expect(m.images).toContain('quay.example/team/late:4');
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/mirrorscope_collector_informer_restarts_total\{informer="pods"\} [1-9]/);
  });
});

describe('report from snapshots and events', () => {
  beforeAll(async () => {
    const files = (registries: string) => [
      { path: '/etc/containers/registries.conf', sha256: registries },
      { path: '/etc/containers/policy.json', sha256: 'p1' },
    ];
    const broken = () =>
      finding({
        id: 'mirror-unreachable',
        key: `mirror-unreachable:${MIRROR}`,
        severity: 'warning',
        host: MIRROR,
        message: `mirror ${MIRROR} refused the connection`,
      });
    const missing = finding({
      id: 'mirror-manifest-missing',
      key: `mirror-manifest-missing:${MIRROR}:${APP}`,
      host: MIRROR,
      image: APP,
      message: `${MIRROR} lacks ${APP}`,
    });
    const snapshots: Record<string, { hash: string; reachable: boolean; pullable: boolean }> = {
      'node-a': { hash: 'h-main', reachable: false, pullable: false },
      'node-b': { hash: 'h-main', reachable: false, pullable: false },
      'node-c': { hash: 'h-main', reachable: true, pullable: true },
      'node-d': { hash: 'h-drift', reachable: true, pullable: true },
    };
    for (const [node, s] of Object.entries(snapshots)) {
      let a = agents.find((x) => x.node === node && x.received.some((m) => m.type === 'welcome'));
      if (a === undefined) {
        a = agentFor(node);
        await a.connect(s.hash);
        await a.waitFor('welcome');
      }
      a.snapshot({
        configHash: s.hash,
        files: files(s.hash === 'h-main' ? 'r-main' : 'r-drift'),
        findings: s.reachable ? (node === 'node-c' ? [missing] : []) : [broken()],
        hosts: [
          {
            host: MIRROR,
            reachable: s.reachable,
            outcome: s.reachable ? 'manifest-unknown' : 'unreachable',
            latencyMs: s.reachable ? 12 : null,
            probedAt: new Date().toISOString(),
          },
          {
            host: 'quay.example',
            reachable: true,
            outcome: 'found',
            latencyMs: 40,
            probedAt: new Date().toISOString(),
          },
        ],
        images: [
          {
            image: APP,
            pullable: s.pullable,
            source: s.pullable ? `quay.example/team/app:1.0` : null,
            digest: null,
            findingKeys: s.pullable ? [] : [`mirror-unreachable:${MIRROR}`],
          },
        ],
      });
    }
    const error = `rpc error: code = Unknown desc = unable to pull image or OCI artifact: pull image err: initializing source docker://${APP}: (Mirrors also failed: [${MIRROR}/team/app:1.0: pinging container registry ${MIRROR}: Get "https://${MIRROR}/v2/": dial tcp 10.0.0.9:5000: connect: connection refused]): ${APP}: reading manifest 1.0 in quay.example/team/app: unauthorized: authentication required; artifact err: provided artifact is a container image`;
    api.upsert('events', pullFailedEvent('shop', 'app-1', 'node-a', APP, error));
  });

  it('names the broken mirror, how many nodes reach it, the image it lacks, and dedupes the outage', async () => {
    const r = await eventually(async () => {
      const r = await report();
      expect(r.mirrors.find((m) => m.host === MIRROR)?.nodesProbed).toBe(4);
      expect(r.images.find((i) => i.image === APP)?.events.length).toBe(1);
      return r;
    }, 'report with four snapshots and the event');
    const mirror = r.mirrors[0]!;
    expect(mirror.host).toBe(MIRROR);
    expect(mirror).toMatchObject({
      nodesReachable: 2,
      nodesFailing: 2,
      imagesMissing: [{ image: APP, nodes: 1 }],
    });
    expect(mirror.failing.map((f) => f.node).sort()).toEqual(['node-a', 'node-b']);
    const outage = r.problems.find((p) => p.key === `mirror-unreachable:${MIRROR}`)!;
    expect(outage.witnesses).toBe(2);
    expect([...outage.nodes!].sort()).toEqual(['node-a', 'node-b']);
    expect(r.problems.filter((p) => p.id === 'mirror-unreachable')).toHaveLength(1);
    expect(r.problems.find((p) => p.id === 'mirror-unreachable-from-nodes')?.witnesses).toBe(2);
  });

  it('reports which nodes cannot pull the image and where the others pull it from', async () => {
    const image = (await report()).images.find((i) => i.image === APP)!;
    expect([...image.nodesFailing].sort()).toEqual(['node-a', 'node-b']);
    expect(
      image.sources
        .find((s) => s.source === 'quay.example/team/app:1.0')
        ?.nodes.slice()
        .sort(),
    ).toEqual(['node-c', 'node-d']);
    expect(image.findings.map((f) => f.key)).toContain(`mirror-unreachable:${MIRROR}`);
  });

  it('splits the kubelet event per source, strips the CRI-O artifact wrapper, and links it to the simulation', async () => {
    const r = await report();
    const node = r.nodes.find((n) => n.name === 'node-a')!;
    const unreachable = node.findings.find((f) => f.id === 'pull-unreachable')!;
    expect(unreachable).toMatchObject({ host: MIRROR, image: APP, node: 'node-a' });
    expect(unreachable.message).toContain('connection refused');
    expect(unreachable.message).toContain('simulation of this node agrees');
    const primary = node.findings.find((f) => f.id === 'pull-unauthorized')!;
    expect(primary).toMatchObject({ host: 'quay.example' });
    expect(primary.message).not.toContain('artifact err');
    expect(r.images.find((i) => i.image === APP)!.events[0]!.candidates.map((c) => c.findingId)).toEqual([
      'pull-unreachable',
      'pull-unauthorized',
    ]);
  });

  it('flags the node whose registries.conf differs from its pool majority, naming the file', async () => {
    const r = await report();
    const d = r.nodes.find((n) => n.name === 'node-d')!;
    expect(d.drift).toEqual({
      majorityHash: 'h-main',
      nodesInPool: 5,
      differingFiles: ['/etc/containers/registries.conf'],
    });
    expect(d.findings.map((f) => f.id)).toContain('node-config-drift');
    expect(r.nodes.filter((n) => n.drift !== null).map((n) => n.name)).toEqual(['node-d']);
  });

  it('reports the registered node without an agent', async () => {
    const r = await report();
    const e = r.nodes.find((n) => n.name === 'node-e')!;
    // node-e's agent connected earlier (the TokenReview test) and left: it is disconnected or silent, not missing.
    expect(['disconnected', 'silent']).toContain(e.agent);
    api.upsert('nodes', nodeObject('node-f'));
    const f = await eventually(async () => {
      const n = (await report()).nodes.find((x) => x.name === 'node-f');
      expect(n).toBeDefined();
      return n!;
    }, 'node-f in the report');
    expect(f.agent).toBe('missing');
    expect(f.findings.map((x) => x.id)).toEqual(['agent-missing']);
  });

  it('marks an agent that stops talking as agent-silent', async () => {
    const quiet = await eventually(async () => {
      const n = (await report()).nodes.find((x) => x.name === 'node-e')!;
      expect(n.agent).toBe('silent');
      return n;
    }, 'node-e silent');
    expect(quiet.findings.map((f) => f.id)).toContain('agent-silent');
  });

  it('prints the report in the terminal with `mirrorscope report`, and its JSON with --json', async () => {
    const text = await runCli(['report', '--collector', collector.url], { MIRRORSCOPE_TOKEN: 'admin-token' });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`${MIRROR}: reachable from 2/4 nodes, failing on 2`);
    expect(text.stdout).toContain(`lacks: ${APP}`);
    expect(text.stdout).toContain('node-config-drift');
    const json = await runCli(['report', '--collector', collector.url, '--json'], {
      MIRRORSCOPE_TOKEN: 'admin-token',
    });
    const parsed = JSON.parse(json.stdout) as ClusterReport;
    expect(parsed.mirrors[0]!.host).toBe(MIRROR);
    const refused = await runCli(['report', '--collector', collector.url]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('HTTP 401');
  });

  it('serves cluster-level metrics', async () => {
    const text = await (await get('/metrics')).text();
    expect(text).toContain(`mirrorscope_cluster_mirror_nodes_failing{host="${MIRROR}"} 2`);
    expect(text).toContain(`mirrorscope_cluster_mirror_nodes_reachable{host="${MIRROR}"} 2`);
    expect(text).toContain('mirrorscope_cluster_nodes_config_drifted 1');
    expect(text).toMatch(/mirrorscope_collector_agents_connected [1-9]/);
  });

  it('writes the summary to the mirrorscope-report ConfigMap', async () => {
    // Written on change, at most once a second here: wait for the write that has all four snapshots.
    const cm = await eventually(() => {
      const cm = api.get('configmaps', 'mirrorscope-report', NS) as
        { data?: Record<string, string> } | undefined;
      const summary = JSON.parse(cm?.data?.['summary.json'] ?? '{}') as {
        mirrorsFailing?: { host: string }[];
        nodesDrifted?: string[];
      };
      expect(summary.mirrorsFailing?.map((m) => m.host)).toContain(MIRROR);
      expect(summary.nodesDrifted).toEqual(['node-d']);
      return cm!;
    }, 'ConfigMap written');
    expect(cm.data!['report.txt']).toContain(MIRROR);
    expect(cm.data!['report.txt']).toContain('1 drifted');
    expect(api.count('POST', `/api/v1/namespaces/${NS}/configmaps`)).toBe(1);
  });
});

describe('HTTP API authorization and traces', () => {
  it('refuses report and trace calls without a token (401) or without nodes/proxy (403)', async () => {
    expect((await get('/api/v1/report', null)).status).toBe(401);
    expect((await get('/', null)).status).toBe(401);
    expect((await get(`/api/v1/nodes/node-a/trace?image=${APP}`, null)).status).toBe(401);
    const forbidden = await get(`/api/v1/nodes/node-a/trace?image=${APP}`, 'nobody-token');
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { error: string }).error).toContain('bob may not get nodes/proxy');
    expect((await get('/healthz', null)).status).toBe(200);
  });

  it("forwards a trace to the node's agent and returns the agent's trace", async () => {
    const a = agents.find((x) => x.node === 'node-a' && x.received.length > 0)!;
    a.traceAnswer = (image) => ({
      trace: {
        image,
        marker: 'from-node-a',
        result: { outcome: 'failed', source: null, reason: 'no source' },
      },
      error: null,
    });
    const res = await get(`/api/v1/nodes/node-a/trace?image=${encodeURIComponent(APP)}&all=1`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { node: string; trace: { marker: string; image: string } };
    expect(body).toMatchObject({ node: 'node-a', trace: { marker: 'from-node-a', image: APP } });
    const request = await a.waitFor('trace-request', (m) => m.image === APP);
    expect(request.all).toBe(true);
    expect((await get('/api/v1/nodes/node-zz/trace?image=x')).status).toBe(404);
    expect((await get('/api/v1/nodes/node-a/trace')).status).toBe(400);
  });

  it('fans a trace out to every connected node (or a label-selected set) and groups the answers', async () => {
    const res = await get(`/api/v1/trace?image=${encodeURIComponent(APP)}`);
    const body = (await res.json()) as { nodes: number; groups: { outcome: string; nodes: string[] }[] };
    expect(res.status).toBe(200);
    expect(body.groups.find((g) => g.outcome === 'failed')?.nodes).toEqual(['node-a']);
    expect(body.groups.find((g) => g.outcome === 'pulled')?.nodes.length).toBe(body.nodes - 1);
    api.upsert('nodes', {
      ...nodeObject('node-c'),
      metadata: { name: 'node-c', labels: { 'node-role.kubernetes.io/worker': '', zone: 'z1' } },
    });
    const selected = await eventually(async () => {
      const b = (await (
        await get(`/api/v1/trace?image=${encodeURIComponent(APP)}&labelSelector=zone%3Dz1`)
      ).json()) as { nodes: number; groups: { nodes: string[] }[] };
      expect(b.nodes).toBe(1);
      return b;
    }, 'label-selected fan-out');
    expect(selected.groups[0]!.nodes).toEqual(['node-c']);
  });

  it('rate limits trace requests per user', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push((await get(`/api/v1/nodes/node-c/trace?image=x`)).status);
    expect(statuses).toContain(429);
  });
});

describe('liveness and abuse', () => {
  it('terminates a peer that stops answering pings (a half-open connection cannot hold its slot)', async () => {
    const dead = agentFor('node-e');
    await dead.connect('h-main', { autoPong: false });
    await dead.waitFor('welcome');
    // Heartbeat interval 1 s: the first ping goes unanswered, the next check terminates the socket.
    expect(await dead.closed()).toBe(1006);
  });

  it('disconnects an agent that floods messages', async () => {
    const noisy = agentFor('node-e');
    await noisy.connect('h-main');
    await noisy.waitFor('welcome');
    for (let i = 0; i < 400; i++)
      noisy.send({ v: 1, type: 'heartbeat', seq: i, at: new Date().toISOString() });
    expect(await noisy.closed()).toBe(1008);
  });
});

describe('command line', () => {
  it('refuses --auth none on a listener that is not loopback, before touching anything', async () => {
    const r = await runCli([
      'collector',
      '--auth',
      'none',
      '--listen',
      '127.0.0.1:0',
      '--listen',
      '0.0.0.0:0',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      '--auth none is only allowed when every listener is on loopback; http://0.0.0.0:0 is not',
    );
  });

  it('refuses --auth kube without a Kubernetes configuration, and a malformed --listen', async () => {
    const missing = await runCli([
      'collector',
      '--listen',
      '127.0.0.1:0',
      '--kubeconfig',
      '/nonexistent/kubeconfig',
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot load the Kubernetes configuration /nonexistent/kubeconfig');
    const bad = await runCli(['collector', '--auth', 'none', '--listen', 'localhost']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--listen localhost: expected HOST:PORT');
  });

  it('says clearly when the collector cannot be reached', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const r = await runCli(['report', '--collector', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `mirrorscope report: cannot reach the collector at http://127.0.0.1:${port}: ECONNREFUSED\n`,
    );
  });
});
