// End to end: mirror credentials only in the pod's pull secret (cri-o#4941, kubernetes#122821).
// Real agent processes and the real collector (--pod-pull-secrets) against the fake Kubernetes API,
// and two docker-registry instances on 127.0.0.1: the source (the requested registry, htpasswd Basic
// auth, lacking the image as on a disconnected cluster) and a mirror on another port, so another
// domain, with Bearer token auth (a token server that grants nothing to an anonymous request). The pod's secret holds credentials for both. node-a's auth file has the
// source only, node-b's has the mirror too. As CRI-O does (v1.25.0 … v1.36.0, server/image_pull.go
// and containers/image docker_image_src.go newImageSourceAttempt), the kubelet's credentials reach
// the source only: node-a's mirror answers unauthorized, node-b pulls from it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterReport } from '../../src/core/report/types.js';
import type { TraceResult } from '../../src/trace/types.js';
import type { KubeletTrace } from '../../src/agent/kubelet-trace.js';
import {
  dockerConfigSecret,
  FakeKubeApi,
  nodeObject,
  podObject,
  withPullSecrets,
} from '../support/fake-kube-api.js';
import { buildOciLayout } from '../support/oci-image.js';
import {
  authEntry,
  RegistryLab,
  writeNodeRoot,
  type LabRegistry,
  type LabUser,
} from '../support/registry-lab.js';
import { eventuallyWithAgents } from '../support/eventually.js';
import { runCli } from '../support/cli.js';
import { startAgentProcess, stopAgentProcesses, type AgentProcess } from '../support/connected-agent.js';
import { kubeFlags, startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';

const NS = 'mirrorscope';
const SOURCE_USER: LabUser = { username: 'source-user', password: 'PLANTED-lab-source-pw-3a1c' };
const MIRROR_USER: LabUser = { username: 'mirror-user', password: 'PLANTED-lab-mirror-pw-9d27' };

let lab: RegistryLab;
let src: LabRegistry;
let mirror: LabRegistry;
let api: FakeKubeApi;
let collector: CollectorProcess;
let app: string;
const agents: AgentProcess[] = [];

type PodTrace = {
  pod: { credentials: { secret: string; key: string }[] };
  trace: TraceResult & { kubelet: KubeletTrace };
};

const get = (p: string): Promise<Response> =>
  fetch(`${collector.url}${p}`, { headers: { Authorization: 'Bearer admin-token' } });

const eventually = eventuallyWithAgents(agents);

async function podTrace(node: string, pod: string): Promise<{ text: string; body: PodTrace }> {
  const res = await get(
    `/api/v1/nodes/${node}/trace?image=${encodeURIComponent(app)}&namespace=shop&pod=${pod}`,
  );
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return { text, body: JSON.parse(text) as PodTrace };
}

beforeAll(async () => {
  lab = await RegistryLab.create();
  const layout = path.join(lab.dir, 'layout');
  await buildOciLayout(layout, [{ tag: 'v1', content: 'the app' }]);
  [src, mirror] = await Promise.all([
    lab.startRegistry({ name: 'src', basic: SOURCE_USER }),
    lab.startRegistry({ name: 'mirror', token: await lab.startTokenServer([MIRROR_USER]) }),
  ]);
  await lab.push(layout, 'v1', mirror, 'lab/app:v1', MIRROR_USER);
  app = `${src.host}/lab/app:v1`;

  api = await new FakeKubeApi().start();
  api.traceUser('admin-token', 'alice');
  api.upsert(
    'secrets',
    dockerConfigSecret('shop', 'regcred', { [src.host]: SOURCE_USER, [mirror.host]: MIRROR_USER }),
  );
  const tokens = mkdtempSync(path.join(lab.dir, 'tokens-'));
  collector = await startCollectorProcess([
    ...kubeFlags(api, NS),
    '--pod-pull-secrets',
    '--trace-timeout',
    '30',
  ]);
  const conf = `[[registry]]\nprefix = "${src.host}/lab"\nlocation = "${src.host}/lab"\ninsecure = true\n\n[[registry.mirror]]\nlocation = "${mirror.host}/lab"\ninsecure = true\n`;
  for (const node of ['node-a', 'node-b']) {
    api.upsert('nodes', nodeObject(node));
    api.agentToken(`token-${node}`, node);
    writeFileSync(path.join(tokens, node), `token-${node}\n`);
    api.upsert(
      'pods',
      withPullSecrets(podObject('shop', `app-${node}`, node, { containers: [app] }), ['regcred']),
    );
    const auths: Record<string, { auth: string }> = { [src.host]: authEntry(SOURCE_USER) };
    if (node === 'node-b') auths[mirror.host] = authEntry(MIRROR_USER);
    const root = await writeNodeRoot(mkdtempSync(path.join(lab.dir, `root-${node}-`)), {
      '/etc/containers/policy.json': '{"default":[{"type":"insecureAcceptAnything"}]}\n',
      '/etc/containers/registries.conf': conf,
      '/var/lib/kubelet/config.json': JSON.stringify({ auths }),
    });
    agents.push(startAgentProcess(collector.url, node, root, path.join(tokens, node)));
  }
  await eventually(async () => {
    const report = (await (await get('/api/v1/report')).json()) as ClusterReport;
    expect(
      report.nodes
        .filter((n) => n.agent === 'connected')
        .map((n) => n.name)
        .sort(),
    ).toEqual(['node-a', 'node-b']);
  }, 'both agents connected');
}, 120_000);

afterAll(async () => {
  await stopAgentProcesses(agents);
  await collector?.stop();
  await api?.stop();
  await lab?.stop();
});

describe('mirror credentials only in the pod pull secret, with real registries', () => {
  it('raises mirror-credentials-only-in-pod-secret for node-a only', async () => {
    const problem = await eventually(async () => {
      const res = await get('/api/v1/report');
      const report = (await res.json()) as ClusterReport;
      const found = report.problems.find((p) => p.id === 'mirror-credentials-only-in-pod-secret');
      expect(found).toBeDefined();
      return found!;
    }, 'the finding');
    expect(problem.nodes).toEqual(['node-a']);
    expect(problem.host).toBe(mirror.host);
    expect(problem.message).toContain(`shop/regcred ("${mirror.host}")`);
    expect(problem.message).toContain(`only for sources on ${src.host}`);
    // docker-registry refuses an anonymous token's scope: "denied" (insufficient_scope).
    expect(problem.message).toContain("it answers denied (the agents' probes)");
  });

  it("traces node-a's pull as the kubelet makes it: the mirror never gets the pod's credentials", async () => {
    const { text, body } = await podTrace('node-a', 'app-node-a');
    expect(body.pod.credentials).toEqual([{ secret: 'shop/regcred', key: src.host }]);
    const { trace } = body;
    // The pod's credential, then the node keyring's (its config.json matches the source too).
    expect(trace.kubelet.attempts.map((a) => [a.credentials, a.outcome])).toEqual([
      [`pull secret shop/regcred, key "${src.host}"`, 'failed'],
      [`node keyring /var/lib/kubelet/config.json, key "${src.host}"`, 'failed'],
    ]);
    const [viaMirror, viaSource] = trace.sources;
    expect(viaMirror).toMatchObject({ host: mirror.host, outcome: 'denied', credentials: null });
    const mirrorCredentials = trace.steps.find((s) => s.source === 0 && s.kind === 'credentials')!;
    expect(mirrorCredentials.message).toContain('are not used here');
    expect(viaSource!.host).toBe(src.host);
    expect(viaSource!.outcome).toBe('manifest-unknown');
    expect(trace.result.outcome).toBe('failed');
    for (const secret of [SOURCE_USER.password, MIRROR_USER.password]) expect(text).not.toContain(secret);
  });

  it('pulls on node-b, whose auth file has the mirror', async () => {
    const { body } = await podTrace('node-b', 'app-node-b');
    expect(body.trace.result.outcome).toBe('pulled');
    expect(body.trace.result.source).toBe(`${mirror.host}/lab/app:v1`);
    expect(body.trace.kubelet.attempts).toHaveLength(1);
  });

  it('mirrorscope trace --node --pod prints the kubelet attempts, names only', async () => {
    const r = await runCli(
      ['trace', '--node', 'node-a', '--pod', 'shop/app-node-a', '--collector', collector.url, app],
      {
        MIRRORSCOPE_TOKEN: 'admin-token',
      },
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`kubelet PullImage 1: pull secret shop/regcred, key "${src.host}": failed`);
    expect(r.stdout).toContain('containers/image drops them for a source on another domain');
    for (const secret of [SOURCE_USER.password, MIRROR_USER.password])
      expect(r.stdout + r.stderr).not.toContain(secret);
    const bad = await runCli([
      'trace',
      '--node',
      'node-a',
      '--pod',
      'app-node-a',
      '--collector',
      collector.url,
      app,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--pod takes NAMESPACE/NAME');
  });

  it('never prints or logs a password: collector log, agent output', () => {
    const logs = [collector.log.join('\n'), ...agents.map((a) => a.output())].join('\n');
    expect(logs).not.toContain(SOURCE_USER.password);
    expect(logs).not.toContain(MIRROR_USER.password);
  });
});
