// What-if through the collector, end to end: the fake API serving an OpenShift cluster (pools, the
// template MachineConfig, pods), the real collector and REAL agent processes on three nodes, and
// docker-registry instances on 127.0.0.1. A proposed change is posted; per pool the collector
// renders it, and one agent per group of nodes traces the images whose sources change with the
// proposed files sent in the trace-request (never written to the node).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShownWhatIf } from '../../src/core/what-if/render-html.js';
import { MCO_TEMPLATE_REGISTRIES_CONF } from '../../src/core/mco/template.js';
import { launchChromium } from '../support/chromium.js';
import { runCli } from '../support/cli.js';
import { eventuallyWithAgents } from '../support/eventually.js';
import { API_AUDIENCE, FakeKubeApi, podObject } from '../support/fake-kube-api.js';
import { standardSources, templateConfig } from '../support/mco-cluster.js';
import type { BuiltImage } from '../support/oci-image.js';
import { machineConfigPool, mcoNode } from '../support/openshift-objects.js';
import { writeNodeRoot, type LabRegistry, type RegistryLab } from '../support/registry-lab.js';
import { mirrorObjectYaml, startMirrorLab } from '../support/mirror-lab.js';
import { startAgentProcess, stopAgentProcesses, type AgentProcess } from '../support/connected-agent.js';
import { kubeFlags, startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';

const NS = 'mirrorscope';
const NODES = { w1: 'worker', w2: 'worker', m1: 'master' } as const;

let lab: RegistryLab;
let src: LabRegistry;
let full: LabRegistry;
let partial: LabRegistry;
let hello: BuiltImage;
let app: BuiltImage;
let api: FakeKubeApi;
let collector: CollectorProcess;
const agents: AgentProcess[] = [];
const roots = new Map<string, string>();
let dir: string;

const ref = {
  app: () => `${src.host}/lab/app@${app.digest}`,
  hello: () => `${src.host}/lab/hello@${hello.digest}`,
  tagOnly: () => `${src.host}/lab/tagonly:v1`,
};

const eventually = eventuallyWithAgents(agents);

function file(name: string, yaml: string): string {
  const p = path.join(dir, `${name}.yaml`);
  writeFileSync(p, yaml);
  return p;
}

function mirrorSet(
  kind: 'ImageDigestMirrorSet' | 'ImageTagMirrorSet',
  name: string,
  mirror: string,
  policy = '',
): string {
  return mirrorObjectYaml(kind, name, `${src.host}/lab`, `${mirror}/lab`, policy);
}

async function post(files: string[], token: string | null = 'admin-token'): Promise<Response> {
  const layers = files.map((p) => [{ path: p, text: readFileSync(p, 'utf8') }]);
  return fetch(`${collector.url}/api/v1/what-if`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({ layers, delete: [] }),
  });
}

async function whatIf(files: string[]): Promise<ShownWhatIf> {
  const res = await post(files);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as ShownWhatIf;
}

function change(w: ShownWhatIf, image: string, pool: string) {
  const c = w.changes.find((x) => x.image === image && x.pools.includes(pool));
  expect(c, `${image} on pool ${pool}: ${JSON.stringify(w, null, 1)}`).toBeDefined();
  return c!;
}

beforeAll(async () => {
  ({ lab, src, full, partial, hello, app } = await startMirrorLab());
  dir = lab.dir;

  api = await new FakeKubeApi('collector-sa-token', { openshift: true }).start();
  api.traceUser('admin-token', 'alice');
  api.tokens.set('reader-token', { username: 'bob', audiences: [API_AUDIENCE] });
  api.rules.push({ user: 'bob', verb: 'get', resource: 'nodes' });
  for (const pool of ['worker', 'master']) {
    api.upsert('machineconfigs', templateConfig(pool));
    api.upsert(
      'machineconfigpools',
      machineConfigPool(pool, { target: `rendered-${pool}-a`, sources: standardSources(pool) }),
    );
  }
  const tokens = mkdtempSync(path.join(lab.dir, 'tokens-'));
  for (const [node, role] of Object.entries(NODES)) {
    api.upsert('nodes', mcoNode(node, role, { current: `rendered-${role}-a` }));
    api.agentToken(`token-${node}`, node);
    writeFileSync(path.join(tokens, node), `token-${node}\n`);
  }
  api.upsert('pods', podObject('shop', 'web', 'w1', { containers: [ref.app(), ref.hello()] }));
  const api2 = podObject('shop', 'api', 'w2', { containers: [ref.app()] });
  api.upsert('pods', {
    ...api2,
    spec: { ...(api2.spec as object), imagePullSecrets: [{ name: 'shop-pull' }] },
  });
  api.upsert('pods', podObject('batch', 'tags', 'w1', { containers: [ref.tagOnly()] }));
  api.upsert('pods', podObject('ops', 'hello', 'm1', { containers: [ref.hello()] }));
  collector = await startCollectorProcess([
    ...kubeFlags(api, NS),
    '--heartbeat-interval',
    '2',
    '--trace-timeout',
    '30',
  ]);
  for (const node of Object.keys(NODES)) {
    // No mirror objects yet: every node has the pool's template registries.conf.
    const root = await writeNodeRoot(mkdtempSync(path.join(lab.dir, `root-${node}-`)), {
      '/etc/containers/registries.conf': MCO_TEMPLATE_REGISTRIES_CONF,
      '/etc/containers/policy.json': '{"default":[{"type":"insecureAcceptAnything"}]}\n',
    });
    roots.set(node, root);
    // CRI-O 1.29 (OpenShift 4.16) treats 127.0.0.0/8 as insecure: the lab registries speak HTTP.
    agents.push(
      startAgentProcess(collector.url, node, root, path.join(tokens, node), ['--crio-version', '1.29']),
    );
  }
  await eventually(async () => {
    const r = (await (
      await fetch(`${collector.url}/api/v1/report`, { headers: { Authorization: 'Bearer admin-token' } })
    ).json()) as { nodes: { name: string; agent: string }[] };
    expect(
      r.nodes
        .filter((n) => n.agent === 'connected')
        .map((n) => n.name)
        .sort(),
    ).toEqual(['m1', 'w1', 'w2']);
  }, 'the three agents connected');
}, 180_000);

afterAll(async () => {
  await stopAgentProcesses(agents);
  await collector?.stop();
  await api?.stop();
  await lab?.stop();
});

describe('POST /api/v1/what-if with real agents', () => {
  it('an IDMS pointing at a mirror that lacks one image: breaks it, naming the pods, nodes and pool', async () => {
    const w = await whatIf([
      file('partial', mirrorSet('ImageDigestMirrorSet', 'partial', partial.host, 'NeverContactSource')),
    ]);
    expect(w.render.errors).toEqual([]);
    const broken = change(w, ref.app(), 'worker');
    expect(broken).toMatchObject({
      class: 'breaks',
      before: { outcome: 'pulled', source: ref.app() },
      after: { outcome: 'failed' },
      pods: 2,
      podNames: ['shop/api', 'shop/web'],
      namespaces: ['shop'],
      nodes: ['w1', 'w2'],
      pools: ['worker'],
    });
    expect(broken.after.why).toContain(`${partial.host}/lab/app@${app.digest}: manifest-unknown`);
    // Both pools render the same files (same template): one group, one verdict, both pools named.
    expect(change(w, ref.hello(), 'master')).toMatchObject({
      class: 'moves',
      after: { outcome: 'pulled', source: `${partial.host}/lab/hello@${hello.digest}` },
      nodes: ['m1', 'w1'],
      pools: ['master', 'worker'],
      podNames: ['ops/hello', 'shop/web'],
      namespaces: ['ops', 'shop'],
    });
    expect(w.summary).toEqual({ breaks: 1, fixes: 0, moves: 1, unchanged: 1 });
    // shop/api pulls with its own pull secret: the what-if says it traced with the node's only.
    expect(w.notes.find((n) => n.startsWith("traced with the nodes' credentials only"))).toContain(ref.app());
    expect(change(w, ref.tagOnly(), 'worker')).toMatchObject({
      class: 'unchanged',
      after: { outcome: 'failed' },
    });
    // One agent per group traced, for all three nodes; the proposed files never reached a disk.
    expect(w.notes).toContain(
      'pool master, worker: 3 image(s) whose sources change traced on node m1 for its 3 node(s)',
    );
    for (const root of roots.values())
      expect(readFileSync(path.join(root, 'etc/containers/registries.conf'), 'utf8')).toBe(
        MCO_TEMPLATE_REGISTRIES_CONF,
      );
  });

  it('an ITMS that fixes a tag pull the source cannot serve', async () => {
    const w = await whatIf([file('tags', mirrorSet('ImageTagMirrorSet', 'tags', full.host))]);
    expect(change(w, ref.tagOnly(), 'worker')).toMatchObject({
      class: 'fixes',
      before: { outcome: 'failed' },
      after: { outcome: 'pulled', source: `${full.host}/lab/tagonly:v1` },
      podNames: ['batch/tags'],
    });
    expect(w.summary).toMatchObject({ breaks: 0, fixes: 1 });
  });

  it('NeverContactSource added with a complete mirror: every image moves, none breaks', async () => {
    const w = await whatIf([
      file('complete', mirrorSet('ImageDigestMirrorSet', 'complete', full.host, 'NeverContactSource')),
    ]);
    expect(w.summary.breaks).toBe(0);
    expect(change(w, ref.app(), 'worker')).toMatchObject({
      class: 'moves',
      after: { source: `${full.host}/lab/app@${app.digest}` },
      nodes: ['w1', 'w2'],
    });
    expect(change(w, ref.hello(), 'master').class).toBe('moves');
  });

  it('a mixed ICSP/IDMS set the MCO rejects: its error, and nothing evaluated', async () => {
    const icsp = mirrorObjectYaml(
      'ImageContentSourcePolicy',
      'legacy',
      `${src.host}/lab`,
      `${full.host}/lab`,
    );
    const w = await whatIf([
      file(
        'mixed',
        `${icsp}---\n${mirrorSet('ImageDigestMirrorSet', 'strict', full.host, 'NeverContactSource')}`,
      ),
    ]);
    expect(w.render.errors.map((e) => e.message)).toEqual([
      `conflicting mirrorSourcePolicy is set for the same source "${src.host}/lab" in imagedigestmirrorsets, imagetagmirrorsets, or imagecontentsourcepolicies`,
    ]);
    expect(w.changes).toEqual([]);
  });

  it('needs the trace permission; GET answers the last what-if; bad input is a 400 naming the file', async () => {
    const f = file('perm', mirrorSet('ImageDigestMirrorSet', 'perm', full.host));
    expect((await post([f], null)).status).toBe(401);
    expect((await post([f], 'reader-token')).status).toBe(403);
    const last = await fetch(`${collector.url}/api/v1/what-if`, {
      headers: { Authorization: 'Bearer reader-token' },
    });
    expect(last.status).toBe(200);
    expect(((await last.json()) as ShownWhatIf).render.errors).toHaveLength(1);
    const broken = file(
      'broken',
      'kind: ImageDigestMirrorSet\napiVersion: config.openshift.io/v1\nmetadata: {name: x}\nspec:\n  imageDigestMirrors: 7\n',
    );
    const bad = await post([broken]);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain(`${broken}:5`);
  });

  it('mirrorscope what-if --collector: the same answer, exit 1 when something breaks', async () => {
    const env = { MIRRORSCOPE_TOKEN: 'admin-token' };
    const f = file('cli', mirrorSet('ImageDigestMirrorSet', 'partial', partial.host, 'NeverContactSource'));
    const json = await runCli(['what-if', '-f', f, '--collector', collector.url, '--json'], env);
    expect(json.code, json.stderr).toBe(1);
    expect((JSON.parse(json.stdout) as ShownWhatIf).summary.breaks).toBe(1);
    const text = await runCli(['what-if', '-f', f, '--collector', collector.url], env);
    expect(text.stdout).toContain(`BREAKS    ${ref.app()} (2 pods in shop; nodes w1, w2; pool worker)`);
    const ok = await runCli(
      [
        'what-if',
        '-f',
        file('cli-ok', mirrorSet('ImageTagMirrorSet', 'tags', full.host)),
        '--collector',
        collector.url,
      ],
      env,
    );
    expect(ok.code, ok.stderr).toBe(0);
    const usage = await runCli(['what-if', '-f', f, '--collector', collector.url, '--root', '/'], env);
    expect(usage.code).toBe(2);
  });

  it('the report page shows the last what-if', async () => {
    const chromium = await launchChromium();
    try {
      await chromium.browser.setExtraHTTPHeaders({ Authorization: 'Bearer admin-token' });
      const page = await chromium.browser.newPage();
      await page.goto(`${collector.url}/`);
      const section = page.locator('#what-if');
      await expect.poll(() => section.count()).toBe(1);
      expect(await page.locator('#what-if-summary').innerText()).toMatch(
        /^0 breaks, 1 fixes, 0 moves, \d+ unchanged$/,
      );
      expect(await page.locator('#what-if-changes tr.what-if-fixes').count()).toBe(1);
    } finally {
      await chromium.close();
    }
  });
});
