// End to end with REAL agent processes (`mirrorscope agent`) and the real collector process, against
// the fake Kubernetes API and real registries on 127.0.0.1: a TLS mirror that lacks the image, which
// four nodes trust and one does not (its CA is missing from that node's certs.d), and a node whose
// registries.conf differs from its pool. The report names the mirror, the images, the nodes and the
// drift; a trace through the collector returns the agent's own trace; a wrong token is refused.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterReport } from '../../src/core/report/types.js';
import { FakeKubeApi, nodeObject, podObject, pullFailedEvent } from '../support/fake-kube-api.js';
import { buildOciLayout } from '../support/oci-image.js';
import { RegistryLab, writeNodeRoot, type LabRegistry } from '../support/registry-lab.js';
import { startAgentProcess, stopAgentProcesses, type AgentProcess } from '../support/connected-agent.js';
import { kubeFlags, startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';
import { eventuallyWithAgents } from '../support/eventually.js';

const NS = 'mirrorscope';
const NODES = ['node-a', 'node-b', 'node-c', 'node-d', 'node-e'] as const;

let lab: RegistryLab;
let src: LabRegistry;
let mirror: LabRegistry;
let api: FakeKubeApi;
let collector: CollectorProcess;
let app: string;
let missing: string;
const agents: AgentProcess[] = [];

function registriesConf(mirrorLocation: string, extra = ''): string {
  return `[[registry]]
prefix = "${src.host}/lab"
location = "${src.host}/lab"
insecure = true

[[registry.mirror]]
location = "${mirrorLocation}/lab"
${extra}`;
}

function startAgent(node: string, root: string, tokenFile: string): void {
  agents.push(startAgentProcess(collector.url, node, root, tokenFile));
}

async function get(p: string, token: string | null = 'admin-token'): Promise<Response> {
  return fetch(`${collector.url}${p}`, {
    headers: token === null ? {} : { Authorization: `Bearer ${token}` },
  });
}

const eventually = eventuallyWithAgents(agents);

beforeAll(async () => {
  lab = await RegistryLab.create();
  const layout = path.join(lab.dir, 'layout');
  await buildOciLayout(layout, [{ tag: 'v1', content: 'the app' }]);
  [src, mirror] = await Promise.all([
    lab.startRegistry({ name: 'src' }),
    lab.startRegistry({ name: 'mirror', tls: true }),
  ]);
  await lab.push(layout, 'v1', src, 'lab/app:v1');
  app = `${src.host}/lab/app:v1`;
  missing = `${src.host}/lab/gone:v1`;
  const ca = readFileSync((await lab.pki()).caCert);

  api = await new FakeKubeApi().start();
  api.traceUser('admin-token', 'alice');
  const tokens = mkdtempSync(path.join(lab.dir, 'tokens-'));
  for (const node of NODES) {
    api.upsert('nodes', nodeObject(node));
    api.agentToken(`token-${node}`, node);
    writeFileSync(path.join(tokens, node), `token-${node}\n`);
    api.upsert(
      'pods',
      podObject('shop', `app-${node}`, node, { containers: [app], init: node === 'node-a' ? [missing] : [] }),
    );
  }
  writeFileSync(path.join(tokens, 'bad'), 'not-a-token\n');
  collector = await startCollectorProcess([
    ...kubeFlags(api, NS),
    '--heartbeat-interval',
    '2',
    '--configmap-interval',
    '1',
    '--trace-timeout',
    '30',
  ]);

  for (const node of NODES) {
    const files: Record<string, string | Buffer> = {
      '/etc/containers/policy.json': '{"default":[{"type":"insecureAcceptAnything"}]}\n',
      '/etc/containers/registries.conf':
        node === 'node-d'
          ? registriesConf(mirror.host, '\n[[registry]]\nlocation = "drift.example.com"\nblocked = true\n')
          : registriesConf(mirror.host),
    };
    // node-c lacks the mirror's CA: it cannot reach the mirror over TLS.
    if (node !== 'node-c') files[`/etc/containers/certs.d/${mirror.host}/ca.crt`] = ca;
    const root = await writeNodeRoot(mkdtempSync(path.join(lab.dir, `root-${node}-`)), files);
    startAgent(node, root, path.join(tokens, node));
  }
  const badRoot = await writeNodeRoot(mkdtempSync(path.join(lab.dir, 'root-bad-')), {
    '/etc/containers/registries.conf': registriesConf(mirror.host),
  });
  startAgent('node-impostor', badRoot, path.join(tokens, 'bad'));
  // What kubelet on node-a really reported for the image no source has.
  api.upsert(
    'events',
    pullFailedEvent(
      'shop',
      'app-node-a',
      'node-a',
      missing,
      `rpc error: code = Unknown desc = initializing source docker://${missing}: (Mirrors also failed: [${mirror.host}/lab/gone:v1: reading manifest v1 in ${mirror.host}/lab/gone: manifest unknown]): ${missing}: reading manifest v1 in ${src.host}/lab/gone: manifest unknown`,
    ),
  );
}, 180_000);

afterAll(async () => {
  await stopAgentProcesses(agents);
  await collector?.stop();
  await api?.stop();
  await lab?.stop();
});

async function report(): Promise<ClusterReport> {
  const res = await get('/api/v1/report');
  expect(res.status).toBe(200);
  return (await res.json()) as ClusterReport;
}

describe('real agents through the collector', () => {
  it('reports the broken mirror: reachable from four nodes, failing on the one without its CA, lacking the image', async () => {
    const r = await eventually(async () => {
      const r = await report();
      const m = r.mirrors.find((x) => x.host === mirror.host);
      expect(m?.nodesProbed).toBe(5);
      return r;
    }, 'all five agents probed the mirror');
    const m = r.mirrors.find((x) => x.host === mirror.host)!;
    expect(m.nodesReachable).toBe(4);
    expect(m.failing).toEqual([{ node: 'node-c', outcome: 'tls-untrusted' }]);
    expect(m.tlsFailures).toBe(1);
    expect(m.imagesMissing.map((i) => i.image)).toContain(app);
    expect(r.problems.find((p) => p.id === 'mirror-tls-failing' && p.host === mirror.host)?.nodes).toEqual([
      'node-c',
    ]);
  });

  it('reports where each node pulls the app from and which image no node can pull', async () => {
    const r = await report();
    const img = r.images.find((i) => i.image === app)!;
    expect(img.nodesFailing).toEqual([]);
    expect(img.sources.map((s) => s.source)).toEqual([app]);
    expect([...img.sources[0]!.nodes].sort()).toEqual([...NODES]);
    const gone = r.images.find((i) => i.image === missing)!;
    expect(gone.nodesFailing).toEqual(['node-a']);
    // The kubelet event, split per source and linked to node-a's simulation (which agrees).
    expect(gone.events[0]!.candidates.map((c) => [c.host, c.findingId])).toEqual([
      [mirror.host, 'pull-manifest-unknown'],
      [src.host, 'pull-manifest-unknown'],
    ]);
    const explained = r.nodes
      .find((n) => n.name === 'node-a')!
      .findings.filter((f) => f.id === 'pull-manifest-unknown');
    expect(explained).toHaveLength(2);
    expect(explained[0]!.message).toContain('simulation of this node agrees');
  });

  it('flags the nodes whose configuration differs from their pool majority, naming the files', async () => {
    const r = await report();
    const drift = Object.fromEntries(
      r.nodes.filter((n) => n.drift !== null).map((n) => [n.name, n.drift!.differingFiles]),
    );
    expect(Object.keys(drift).sort()).toEqual(['node-c', 'node-d']);
    expect(drift['node-d']).toContain('/etc/containers/registries.conf');
    expect(drift['node-c']).not.toContain('/etc/containers/registries.conf');
    expect(r.nodes.find((n) => n.name === 'node-d')!.findings.map((f) => f.id)).toContain(
      'node-config-drift',
    );
  });

  it("returns the agent's own trace through the collector", async () => {
    const res = await get(`/api/v1/nodes/node-c/trace?image=${encodeURIComponent(app)}&all=1`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      node: string;
      trace: {
        image: string;
        sources: { host: string; outcome: string }[];
        result: { outcome: string; source: string };
      };
    };
    expect(body.node).toBe('node-c');
    expect(body.trace.sources.map((s) => [s.host, s.outcome])).toEqual([
      [mirror.host, 'tls-untrusted'],
      [src.host, 'found'],
    ]);
    expect(body.trace.result).toMatchObject({ outcome: 'pulled', source: app });
    expect((await get(`/api/v1/nodes/node-c/trace?image=${encodeURIComponent(app)}`, null)).status).toBe(401);
  });

  it('refused the agent with a token the API server does not accept', async () => {
    const r = await report();
    expect(r.nodes.map((n) => n.name)).not.toContain('node-impostor');
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/mirrorscope_collector_agent_auth_failures_total\{status="401"\} [1-9]/);
  });
});
