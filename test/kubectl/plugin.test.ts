// `kubectl mirrorscope` (the built dist/cli/kubectl-mirrorscope.js) against the fake API server's
// service proxy in front of the real collector process: the API server path it calls, the user's own
// token (the API server consumes Authorization; the collector gets the token in its own header and
// reviews it), RBAC refusals in the user's terms, not installed, an agent not connected, and the
// kubectl output formats.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { TraceResult } from '../../src/trace/types.js';
import { kubeFlags, startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';
import { finding, ProtocolAgent } from '../support/protocol-agent.js';
import { REPO } from '../support/cli.js';
import { eventually } from '../support/eventually.js';
import { API_AUDIENCE, FakeKubeApi, nodeObject, type FakeService } from '../support/fake-kube-api.js';

const PLUGIN = path.join(REPO, 'dist/cli/kubectl-mirrorscope.js');
const NS = 'mirrorscope';
const IMAGE = 'quay.example/team/app:1.0';

let api: FakeKubeApi;
let collector: CollectorProcess;
let service: FakeService;
const agents: ProtocolAgent[] = [];
const dir = mkdtempSync(path.join(tmpdir(), 'kubectl-mirrorscope-'));

function kubeconfig(user: string, token: string): string {
  const file = path.join(dir, `kubeconfig-${user}`);
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {server: '${api.url}', insecure-skip-tls-verify: true}
users:
- name: ${user}
  user: {token: ${token}}
contexts:
- name: ${user}@fake
  context: {cluster: fake, user: ${user}}
current-context: ${user}@fake
`,
  );
  return file;
}

function plugin(
  args: readonly string[],
  user = 'alice',
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [PLUGIN, ...args],
      {
        env: { ...process.env, NO_COLOR: '1', KUBECONFIG: kubeconfig(user, `${user}-token`), HOME: dir },
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

function traceOf(image: string, node: string): TraceResult {
  return {
    image,
    steps: [],
    sources: [],
    result: {
      outcome: node === 'node-b' ? 'failed' : 'pulled',
      source: node === 'node-b' ? null : `mirror.example:5000/team/app:1.0`,
      digest: node === 'node-b' ? null : `sha256:${'a'.repeat(64)}`,
      reason: node === 'node-b' ? 'mirror.example:5000: connection refused' : 'manifest found',
      signature: null,
    },
    error: null,
  };
}

beforeAll(async () => {
  api = await new FakeKubeApi().start();
  for (const n of ['node-a', 'node-b', 'node-c', 'node-d']) {
    api.upsert('nodes', nodeObject(n, n === 'node-c' || n === 'node-d' ? 'infra' : 'worker'));
    api.agentToken(`agent-token-${n}`, n);
  }
  for (const user of ['alice', 'bob', 'carol', 'dave'])
    api.tokens.set(`${user}-token`, { username: user, audiences: [API_AUDIENCE] });
  // alice: the plugin's reader and tracer. carol: may use the proxy and read, not trace. bob: nothing.
  api.rules.push(
    { user: 'alice', verb: 'get', resource: 'services' },
    { user: 'alice', verb: 'get', resource: 'services', subresource: 'proxy' },
    { user: 'alice', verb: 'get', resource: 'nodes' },
    { user: 'alice', verb: 'get', resource: 'nodes', subresource: 'proxy' },
    { user: 'carol', verb: 'get', resource: 'services', subresource: 'proxy' },
    { user: 'carol', verb: 'get', resource: 'nodes' },
    // dave: may POST through the proxy (what-if), and run what the what-if makes agents do.
    { user: 'dave', verb: 'create', resource: 'services', subresource: 'proxy' },
    { user: 'dave', verb: 'get', resource: 'nodes', subresource: 'proxy' },
  );
  collector = await startCollectorProcess([
    ...kubeFlags(api, NS),
    '--heartbeat-interval',
    '1',
    // The stand-in agents send no heartbeats: keep them "connected" for the whole test.
    '--silent-after',
    '3600',
    '--trace-timeout',
    '5',
  ]);
  service = {
    namespace: NS,
    name: 'mirrorscope-collector',
    port: 8080,
    portName: 'http',
    scheme: 'http',
    target: collector.url,
  };
  api.services.set(`${NS}/mirrorscope-collector`, service);
  // node-d reports what node-a does under the same configuration: the report lists that once, as a class.
  for (const node of ['node-a', 'node-b', 'node-d']) {
    const a = new ProtocolAgent(collector.url, node, `agent-token-${node}`);
    a.traceAnswer = (image) => ({ trace: traceOf(image, node), error: null });
    agents.push(a);
    const hash = node === 'node-d' ? 'hash-node-a' : `hash-${node}`;
    await a.connect(hash);
    await a.waitFor('welcome');
    a.snapshot({
      configHash: hash,
      findings:
        node !== 'node-b'
          ? [
              finding({
                id: 'mirror-unreachable',
                key: 'mirror-unreachable|mirror.example:5000|mirror.example:5000',
                host: 'mirror.example:5000',
                severity: 'error',
                message: 'Mirror mirror.example:5000 is unreachable: connection refused.',
              }),
              finding({
                id: 'config-unknown-key',
                key: 'config-unknown-key|/etc/containers/registries.conf:3',
                file: '/etc/containers/registries.conf',
                line: 3,
                severity: 'warning',
                message: 'Unknown key "mirrors".',
              }),
            ]
          : [],
    });
  }
  await eventually(async () => {
    const res = await fetch(`${collector.url}/api/v1/report`, {
      headers: { Authorization: 'Bearer alice-token' },
    });
    const report = (await res.json()) as { nodes: { name: string; findingClass: string | null }[] };
    if (report.nodes.find((n) => n.name === 'node-d')?.findingClass == null) throw new Error('not yet');
  }, 'node-a and node-d findings in the report, as one class');
}, 60_000);

afterAll(async () => {
  for (const a of agents) a.close();
  await collector?.stop();
  await api?.stop();
});

describe('kubectl mirrorscope through the service proxy', () => {
  it("prints the report, causes first, calling the API server with the user's own token", async () => {
    api.proxied.length = 0;
    const r = await plugin(['report']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^mirrorscope cluster report/);
    expect(r.stdout.indexOf('Causes')).toBeGreaterThan(0);
    expect(r.stdout).toContain('mirror.example:5000');
    expect(api.proxied).toEqual([
      { user: 'alice', method: 'GET', path: '/api/v1/report', authorization: 'Bearer alice-token' },
    ]);
    expect(
      api.count(
        'GET',
        `/api/v1/namespaces/${NS}/services/http:mirrorscope-collector:8080/proxy/api/v1/report`,
      ),
    ).toBe(1);
  });

  it('prints -o json and -o yaml documents', async () => {
    const json = await plugin(['report', '-o', 'json']);
    expect((JSON.parse(json.stdout) as { schemaVersion: number }).schemaVersion).toBe(1);
    const yaml = await plugin(['findings', 'node-a', '-o', 'yaml']);
    const doc = parse(yaml.stdout) as { node: string; findings: { id: string; cause: string | null }[] };
    expect(doc.node).toBe('node-a');
    expect(doc.findings.map((f) => f.id)).toEqual(['mirror-unreachable', 'config-unknown-key']);
    for (const f of doc.findings) expect(f.cause).toEqual(expect.any(String));
  });

  it("lists a node's whole findings when it shares them with others as a class", async () => {
    for (const node of ['node-a', 'node-d']) {
      const r = await plugin(['findings', node, '-o', 'json']);
      const doc = JSON.parse(r.stdout) as { findings: { id: string }[] };
      expect(doc.findings.map((f) => f.id)).toEqual(['mirror-unreachable', 'config-unknown-key']);
    }
    expect(api.proxied.at(-1)?.path).toBe('/api/v1/report?node=node-d');
  });

  it("lists a node's findings as a kubectl table, with the cause and fix in -o wide", async () => {
    const r = await plugin(['findings', 'node-a']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SEVERITY\s{3,}FINDING\s{3,}SUBJECT\s{3,}MESSAGE$/);
    expect(lines[1]).toMatch(
      /^error\s+mirror-unreachable\s+mirror\.example:5000\s+Mirror mirror\.example:5000 is unreachable/,
    );
    expect(lines[2]).toMatch(/^warning\s+config-unknown-key\s+\/etc\/containers\/registries\.conf:3\s+/);
    const wide = await plugin(['findings', 'node-a', '-o', 'wide']);
    expect(wide.stdout.split('\n')[0]).toMatch(/^SEVERITY\s+FINDING\s+SUBJECT\s+CAUSE\s+MESSAGE\s+FIX$/);
    const clean = await plugin(['findings', 'node-b']);
    expect(clean).toMatchObject({ code: 0, stdout: 'No findings on node node-b.\n' });
  });

  it('traces on one node (exit 1 when the pull fails) and fans out over a label selector', async () => {
    const a = await plugin(['trace', 'node-a', IMAGE]);
    expect(a).toMatchObject({ code: 0 });
    expect(a.stdout).toContain(`node node-a:\ntrace ${IMAGE}`);
    expect(a.stdout).toContain('PULLED from mirror.example:5000/team/app:1.0');
    const b = await plugin(['trace', 'node-b', IMAGE, '-o', 'json']);
    expect(b.code).toBe(1);
    expect((JSON.parse(b.stdout) as TraceResult).result.outcome).toBe('failed');
    const fan = await plugin(['trace', '--selector', 'node-role.kubernetes.io/worker', IMAGE, '-o', 'wide']);
    expect(fan.code).toBe(1);
    const [header, ...rows] = fan.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NODES\s+OUTCOME\s+SOURCE\s+REASON\s+NODE NAMES$/);
    expect(rows).toHaveLength(2);
    expect(rows.join('\n')).toMatch(
      /^1\s+failed\s+<none>\s+mirror\.example:5000: connection refused\s+node-b$/m,
    );
    expect(rows.join('\n')).toMatch(
      /^1\s+pulled\s+mirror\.example:5000\/team\/app:1\.0\s+manifest found\s+node-a$/m,
    );
    expect(
      api.proxied.some(
        (p) =>
          p.path.startsWith('/api/v1/trace?image=') &&
          p.path.includes('labelSelector=node-role.kubernetes.io%2Fworker'),
      ),
    ).toBe(true);
  });

  it('says which verb on which resource is missing: services/proxy at the API server', async () => {
    const r = await plugin(['report'], 'bob');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('you may not get services/proxy in namespace mirrorscope');
    expect(r.stderr).toContain('User "bob" cannot get resource "services/proxy"');
  });

  it('says which verb on which resource is missing: nodes/proxy at the collector, for traces', async () => {
    const read = await plugin(['findings', 'node-b'], 'carol');
    expect(read.code).toBe(0);
    const r = await plugin(['trace', 'node-a', IMAGE], 'carol');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('you may not get nodes/proxy, which the collector requires for traces');
  });

  it('says the credentials are refused, and never prints a token', async () => {
    const r = await plugin(['report'], 'mallory');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('does not accept your credentials');
    expect(r.stderr).not.toContain('mallory-token');
  });

  it('says when the agent on the node is not connected, or none ever reported', async () => {
    const trace = await plugin(['trace', 'node-c', IMAGE]);
    expect(trace.code).toBe(2);
    expect(trace.stderr).toContain('the agent on node node-c is not connected to the collector');
    const findings = await plugin(['findings', 'node-c']);
    expect(findings.code).toBe(2);
    expect(findings.stderr).toContain('no agent has reported from node node-c');
    const unknown = await plugin(['findings', 'node-z']);
    expect(unknown.stderr).toContain("node node-z is not in the collector's report");
  });

  it('says when the collector is not installed, or has no ready pod', async () => {
    const elsewhere = await plugin(['report', '-n', 'other']);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain('the mirrorscope collector is not installed');
    expect(elsewhere.stderr).toContain('oc apply -k');
    service.target = null;
    try {
      const down = await plugin(['report']);
      expect(down.code).toBe(2);
      expect(down.stderr).toContain('no pod of it is ready');
    } finally {
      service.target = collector.url;
    }
  });

  it('finds the collector without reading the Service when the user may not (https first, then http)', async () => {
    api.proxied.length = 0;
    const r = await plugin(['findings', 'node-a'], 'carol');
    expect(r.code).toBe(1);
    expect(
      api.count(
        'GET',
        `/api/v1/namespaces/${NS}/services/https:mirrorscope-collector:http/proxy/api/v1/report`,
      ),
    ).toBeGreaterThan(0);
    expect(
      api.count(
        'GET',
        `/api/v1/namespaces/${NS}/services/http:mirrorscope-collector:http/proxy/api/v1/report`,
      ),
    ).toBeGreaterThan(0);
  });

  it('what-if POSTs the change to the collector through the proxy, which needs create on services/proxy', async () => {
    const change = path.join(dir, 'idms.yaml');
    writeFileSync(
      change,
      'apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: team}\nspec:\n  imageDigestMirrors:\n  - source: quay.example/team\n    mirrors: [mirror.example:5000/team]\n',
    );
    const r = await plugin(['what-if', '-f', change]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('you may not create services/proxy in namespace mirrorscope');
    expect(
      api.count(
        'POST',
        `/api/v1/namespaces/${NS}/services/http:mirrorscope-collector:8080/proxy/api/v1/what-if`,
      ),
    ).toBe(1);
    expect((await plugin(['what-if'])).stderr).toContain('name at least one -f FILE');
    api.proxied.length = 0;
    const posted = await plugin(['what-if', '-f', change], 'dave');
    expect(api.proxied).toEqual([
      { user: 'dave', method: 'POST', path: '/api/v1/what-if', authorization: 'Bearer dave-token' },
    ]);
    // A plain Kubernetes: the collector says what it rendered the change over, and nothing breaks.
    expect(posted).toMatchObject({ code: 0, stderr: '' });
    expect(posted.stdout).toContain('note: no OpenShift API');
    const json = await plugin(['what-if', '-f', change, '-o', 'json'], 'dave');
    expect(JSON.parse(json.stdout)).toMatchObject({ summary: { breaks: 0 } });
  });

  it('usage errors exit 2 with the usage text', async () => {
    const r = await plugin(['trace', 'node-a']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing IMAGE');
    expect(r.stderr).toContain('usage: kubectl mirrorscope');
    expect((await plugin(['report', '-o', 'wide'])).stderr).toContain(
      '-o wide is not an output format of this command',
    );
  });

  it('open serves the report page on loopback through the API server', async () => {
    const child = spawn(process.execPath, [PLUGIN, 'open'], {
      env: { ...process.env, NO_COLOR: '1', KUBECONFIG: kubeconfig('alice', 'alice-token'), HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (m !== null) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`open exited ${code}: ${out}`)));
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('mirrorscope — cluster mirror health');
      expect(api.proxied.at(-1)).toMatchObject({ user: 'alice', path: '/' });
    } finally {
      child.kill('SIGINT');
    }
  });
});
