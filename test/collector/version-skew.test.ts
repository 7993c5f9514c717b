// End to end, mid-upgrade: two nodes of pool "worker" with the same files, one on CRI-O 1.33 (OpenShift
// 4.20) and one on 1.34 (4.21) without OpenShift's 00-default pin, as the kubelet reports them in
// Node.status.nodeInfo.containerRuntimeVersion. A pod on each uses a short name. The collector sends each
// agent its node's version (the agents have no --crio-version), the 1.33 node tries every search
// registry and pulls from the first, the 1.34 node refuses the name as ambiguous, and the report says
// runtime-version-skew, naming the image, both nodes and both answers. Real agent and collector
// processes, the fake Kubernetes API, a real registry on 127.0.0.1.
import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterReport } from '../../src/core/report/types.js';
import { eventually } from '../support/eventually.js';
import { FakeKubeApi, nodeObject, podObject } from '../support/fake-kube-api.js';
import { buildOciLayout } from '../support/oci-image.js';
import { RegistryLab, writeNodeRoot, type LabRegistry } from '../support/registry-lab.js';
import { startAgentProcess, stopAgentProcesses, type AgentProcess } from '../support/connected-agent.js';
import { kubeFlags, startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';

const RUNTIMES = {
  'node-old': 'cri-o://1.33.2-3.rhaos4.20.gitabc1234.el9',
  'node-new': 'cri-o://1.34.1-2.rhaos4.21.gitdef5678.el9',
} as const;

let lab: RegistryLab;
let src: LabRegistry;
let api: FakeKubeApi;
let collector: CollectorProcess;
const agents: AgentProcess[] = [];

function startAgent(node: string, root: string, tokenFile: string, extra: readonly string[] = []): void {
  agents.push(startAgentProcess(collector.url, node, root, tokenFile, extra));
}

beforeAll(async () => {
  lab = await RegistryLab.create();
  const layout = path.join(lab.dir, 'layout');
  await buildOciLayout(layout, [{ tag: 'v1', content: 'the app' }]);
  src = await lab.startRegistry({ name: 'src' });
  await lab.push(layout, 'v1', src, 'lab/app:v1');

  api = await new FakeKubeApi().start();
  for (const [node, runtime] of Object.entries(RUNTIMES)) {
    const object = nodeObject(node);
    (object.status as Record<string, unknown>).nodeInfo = { containerRuntimeVersion: runtime };
    api.upsert('nodes', object);
    api.upsert('pods', podObject('shop', `app-${node}`, node, { containers: ['lab/app:v1'] }));
  }
  collector = await startCollectorProcess([
    ...kubeFlags(api, 'mirrorscope', 'none'),
    '--heartbeat-interval',
    '1',
    '--configmap-interval',
    '1',
  ]);
  const token = path.join(lab.dir, 'token');
  writeFileSync(token, 'unused-with-auth-none\n');
  // The search list of both nodes: the lab registry first, then a second one nothing listens on.
  const registriesConf = `unqualified-search-registries = ["${src.host}", "127.0.0.1:9"]

[[registry]]
location = "${src.host}"
insecure = true
`;
  for (const node of Object.keys(RUNTIMES)) {
    const root = await writeNodeRoot(mkdtempSync(path.join(lab.dir, `root-${node}-`)), {
      '/etc/containers/registries.conf': registriesConf,
      '/etc/containers/policy.json': '{"default":[{"type":"insecureAcceptAnything"}]}\n',
    });
    startAgent(node, root, token, ['--timeout', '3000']);
  }
}, 120_000);

afterAll(async () => {
  await stopAgentProcesses(agents);
  await collector?.stop();
  await api?.stop();
  await lab?.stop();
});

async function report(): Promise<ClusterReport> {
  const res = await fetch(`${collector.url}/api/v1/report`);
  expect(res.status).toBe(200);
  return (await res.json()) as ClusterReport;
}

describe('a pool in the middle of a CRI-O upgrade', () => {
  it('reports runtime-version-skew for the short name, naming the image, both nodes and both answers', async () => {
    const skew = await eventually(
      async () => {
        const r = await report();
        const found = r.problems.find((p) => p.id === 'runtime-version-skew');
        if (found === undefined)
          throw new Error(
            `no skew yet: ${JSON.stringify(r.nodes.map((n) => [n.name, n.runtimeVersion, n.agent]))}\n${agents.map((a) => a.output().slice(-2000)).join('\n')}`,
          );
        return { r, found };
      },
      'runtime-version-skew in the report',
      60_000,
      300,
    );
    const { r, found } = skew;
    expect(found).toMatchObject({
      severity: 'warning',
      image: 'lab/app:v1',
      scope: 'worker',
      key: 'runtime-version-skew:worker:lab/app:v1',
    });
    expect([...found.nodes!].sort()).toEqual(['node-new', 'node-old']);
    expect(found.message).toContain(
      'Pool worker runs CRI-O 1.33.2 and 1.34.1, which resolve lab/app:v1 differently',
    );
    expect(found.message).toContain(
      // CRI-O 1.33 also skips TLS for registries on 127.0.0.0/8, its built-in insecure_registries entry.
      `on CRI-O 1.33.2 (node-old): ${src.host}/lab/app:v1 (insecure) | then 127.0.0.1:9/lab/app:v1 (insecure);`,
    );
    expect(found.message).toContain(
      'on CRI-O 1.34.1 (node-new): fails: short name mode is enforcing, but image name lab/app:v1 returns ambiguous list',
    );
    expect(Object.fromEntries(r.nodes.map((n) => [n.name, n.runtimeVersion]))).toEqual({
      'node-old': '1.33.2',
      'node-new': '1.34.1',
    });
    // The page's node table says which CRI-O each node runs, beside its agent.
    const page = await (await fetch(`${collector.url}/`)).text();
    expect(page).toContain('<th>Agent</th><th>CRI-O</th>');
    expect(page).toMatch(/<tr id="node-node-old">.*?<td>1\.33\.2<\/td>/);
    expect(page).toMatch(/<tr id="node-node-new">.*?<td>1\.34\.1<\/td>/);
    // What each node would really do: 1.33 pulls from the first search registry, 1.34 cannot pull.
    const image = r.images.find((i) => i.image === 'lab/app:v1')!;
    expect(image.nodesFailing).toEqual(['node-new']);
    expect(image.sources).toContainEqual({ source: `${src.host}/lab/app:v1`, nodes: ['node-old'] });
    // The 1.34 node explains its failure with the short-name finding.
    const newNode = r.nodes.find((n) => n.name === 'node-new')!;
    expect(newNode.findings.map((f) => f.id)).toContain('short-name-ambiguous');
    const oldNode = r.nodes.find((n) => n.name === 'node-old')!;
    expect(oldNode.findings.map((f) => f.id)).not.toContain('short-name-ambiguous');
  }, 90_000);
});
