// /usr/bin/gather (dist/cli/gather-entry.js) against a fake cluster: the fake API server with its
// service proxy in front of the real collector process, and real agent processes whose pods the fake
// serves; pods/exec runs the gather's command for real on this machine (the agent's loopback API is
// here too). Checks the must-gather layout, and that none of the secrets planted in the nodes' files
// (pull secret, a TLS client key) nor any token reaches a file of it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent-process.js';
import { kubeFlags, startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';
import { REPO } from '../support/cli.js';
import { deadPort } from '../support/dead-port.js';
import { eventually } from '../support/eventually.js';
import { API_AUDIENCE, FakeKubeApi, nodeObject, type Obj } from '../support/fake-kube-api.js';
import { writeNodeRoot } from '../support/registry-lab.js';

const run = promisify(execFile);
const GATHER = path.join(REPO, 'dist/cli/gather-entry.js');
const NS = 'mirrorscope';
const NODES = ['node-a', 'node-b'] as const;

const SECRET = { password: 'Pl4nt3dGa7Qx7Vw2Rk9Zm', clientKey: 'Pl4nt3dGk9Qx7Vw2Rk9Zm' };
const b64 = (s: string) => Buffer.from(s).toString('base64');
const TOKENS = ['collector-sa-token', ...NODES.map((n) => `agent-token-${n}`)];
const NEEDLES = [SECRET.password, b64(`robot:${SECRET.password}`), SECRET.clientKey, ...TOKENS];
const PIECES = [
  ...new Set(NEEDLES.flatMap((n) => Array.from({ length: n.length - 7 }, (_, i) => n.slice(i, i + 8)))),
];

let api: FakeKubeApi;
let collector: CollectorProcess;
const agents: AgentProcess[] = [];
const dir = mkdtempSync(path.join(tmpdir(), 'mirrorscope-gather-'));
const dest = path.join(dir, 'must-gather');
let gathered: { code: number; stdout: string };

function files(root: string): string[] {
  return readdirSync(root).flatMap((name) => {
    const full = path.join(root, name);
    return statSync(full).isDirectory() ? files(full) : [full];
  });
}

function agentPod(node: string, listen: string): Obj {
  return {
    metadata: {
      name: `mirrorscope-agent-${node}`,
      namespace: NS,
      labels: { 'app.kubernetes.io/name': 'mirrorscope-agent' },
    },
    spec: {
      nodeName: node,
      containers: [
        {
          name: 'agent',
          image: 'ghcr.io/mirrorscope/mirrorscope:0.1.0',
          command: ['/nodejs/bin/node', '--jitless', '/app/dist/cli.js'],
          args: ['agent', '--root=/host', `--listen=${listen}`, '--probe-listen=0.0.0.0:9465'],
        },
      ],
    },
    status: { phase: 'Running' },
  };
}

beforeAll(async () => {
  api = await new FakeKubeApi().start();
  // must-gather runs as a cluster admin; the collector reviews the same token it sees forwarded.
  api.tokens.set(api.adminToken, { username: 'system:admin', audiences: [API_AUDIENCE] });
  api.rules.push({ user: 'system:admin', verb: 'get', resource: 'nodes' });
  for (const n of [...NODES, 'node-c']) api.upsert('nodes', nodeObject(n));
  for (const n of NODES) api.agentToken(`agent-token-${n}`, n);
  collector = await startCollectorProcess([...kubeFlags(api, NS), '--heartbeat-interval', '1']);
  api.services.set(`${NS}/mirrorscope-collector`, {
    namespace: NS,
    name: 'mirrorscope-collector',
    port: 8080,
    portName: 'http',
    scheme: 'http',
    target: collector.url,
  });
  // pods/exec runs here: the agent image's node is this machine's node.
  api.exec = async (_pod, _container, command) => {
    const [bin, ...args] = command;
    const exe = bin === '/nodejs/bin/node' ? process.execPath : bin!;
    try {
      const { stdout, stderr } = await run(exe, args, { timeout: 20_000 });
      return { stdout, stderr, exitCode: 0 };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; code?: number };
      return {
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? '',
        exitCode: typeof e.code === 'number' ? e.code : 1,
      };
    }
  };
  const mirror = `127.0.0.1:${await deadPort()}`;
  for (const node of NODES) {
    const token = path.join(dir, `token-${node}`);
    writeFileSync(token, `agent-token-${node}\n`);
    const root = await writeNodeRoot(mkdtempSync(path.join(dir, `root-${node}-`)), {
      '/etc/containers/registries.conf': `[[registry]]\nlocation = "${mirror}"\ninsecure = true\n`,
      '/etc/containers/policy.json': '{"default":[{"type":"insecureAcceptAnything"}]}\n',
      '/var/lib/kubelet/config.json': JSON.stringify({
        auths: { [mirror]: { auth: b64(`robot:${SECRET.password}`) } },
      }),
      [`/etc/containers/certs.d/${mirror}/client.cert`]:
        '-----BEGIN CERTIFICATE-----\nnot a real one\n-----END CERTIFICATE-----\n',
      [`/etc/containers/certs.d/${mirror}/client.key`]: `-----BEGIN PRIVATE KEY-----\n${SECRET.clientKey}\n-----END PRIVATE KEY-----\n`,
    });
    const agent = AgentProcess.start(
      [
        ...['--root', root, '--node', node, '--listen', '127.0.0.1:0'],
        ...['--collector', collector.url.replace(/^http/, 'ws'), '--token-file', token],
        ...['--scan-interval', '300', '--timeout', '2000', '--image', `${mirror}/team/app:1`],
      ],
      { KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' },
    );
    agents.push(agent);
    const base = await agent.httpBase();
    api.upsert('pods', agentPod(node, base.replace('http://', '')));
  }
  await eventually(async () => {
    const res = await fetch(`${collector.url}/api/v1/report`, {
      headers: { Authorization: `Bearer ${api.adminToken}` },
    });
    const report = (await res.json()) as { nodes: { name: string; agent: string; findings: unknown[] }[] };
    for (const n of NODES)
      if (!report.nodes.some((x) => x.name === n && x.agent === 'connected' && x.findings.length > 0))
        throw new Error(`${n} not reported yet`);
  }, 'both agents in the report');
  gathered = await run(process.execPath, [GATHER, '--dest', dest], {
    env: { ...process.env, KUBECONFIG: api.writeKubeconfig(dir), HOME: dir },
  }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (err: { code?: number; stdout?: string; stderr?: string }) => ({
      code: err.code ?? 1,
      stdout: `${err.stdout ?? ''}${err.stderr ?? ''}`,
    }),
  );
}, 120_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop('SIGKILL')));
  await collector?.stop();
  await api?.stop();
});

describe('must-gather (/usr/bin/gather)', () => {
  it('writes the must-gather layout: the report, the causes, and per node findings and effective config', () => {
    expect(gathered.code, gathered.stdout).toBe(0);
    const list = files(dest)
      .map((f) => path.relative(dest, f))
      .sort();
    expect(list).toEqual(
      [
        'timestamp',
        'version',
        'mirrorscope/gather.log',
        'mirrorscope/report.json',
        'mirrorscope/report.txt',
        'mirrorscope/causes.json',
        'mirrorscope/summary.json',
        ...NODES.flatMap((n) => [
          `mirrorscope/nodes/${n}/findings.json`,
          `mirrorscope/nodes/${n}/effective-config.json`,
          `mirrorscope/nodes/${n}/agent-findings.json`,
        ]),
        // No agent there: what the report knows about the node only.
        'mirrorscope/nodes/node-c/findings.json',
      ].sort(),
    );
    const report = JSON.parse(readFileSync(path.join(dest, 'mirrorscope/report.json'), 'utf8')) as {
      causes: unknown[];
    };
    expect(JSON.parse(readFileSync(path.join(dest, 'mirrorscope/causes.json'), 'utf8'))).toEqual(
      report.causes,
    );
    expect(report.causes.length).toBeGreaterThan(0);
    expect(readFileSync(path.join(dest, 'mirrorscope/report.txt'), 'utf8')).toMatch(
      /^mirrorscope cluster report/,
    );
    const config = JSON.parse(
      readFileSync(path.join(dest, 'mirrorscope/nodes/node-a/effective-config.json'), 'utf8'),
    ) as {
      credentials: { authFile: string; keys: { key: string; credentials: string }[] };
    };
    expect(config.credentials.authFile).toBe('/var/lib/kubelet/config.json');
    expect(config.credentials.keys.length).toBeGreaterThan(0);
    const agentFindings = JSON.parse(
      readFileSync(path.join(dest, 'mirrorscope/nodes/node-a/agent-findings.json'), 'utf8'),
    ) as { findings: { id: string }[]; causes: unknown[] };
    expect(agentFindings.findings.map((f) => f.id)).toContain('image-pull-fails');
    const nodeC = JSON.parse(
      readFileSync(path.join(dest, 'mirrorscope/nodes/node-c/findings.json'), 'utf8'),
    ) as {
      agent: string;
    };
    expect(nodeC.agent).toBe('missing');
    expect(readFileSync(path.join(dest, 'version'), 'utf8')).toMatch(
      /^mirrorscope-must-gather\n\d+\.\d+\.\d+/,
    );
    const log = readFileSync(path.join(dest, 'mirrorscope/gather.log'), 'utf8');
    expect(log).toContain('agent mirrorscope-agent-node-a on node node-a: effective config and findings');
    expect(api.count('EXEC', `/api/v1/namespaces/${NS}/pods/mirrorscope-agent-node-a/exec`)).toBe(1);
  });

  it('puts no planted secret and no token in any file', () => {
    const leaks = files(dest).flatMap((f) => {
      const text = readFileSync(f, 'utf8');
      return PIECES.filter((p) => text.includes(p)).map((p) => `${path.relative(dest, f)}: ${p}`);
    });
    expect(leaks).toEqual([]);
    expect(gathered.stdout).not.toMatch(new RegExp(PIECES.join('|')));
  });

  it('says in gather.log, and by its exit status, when the collector cannot be read', async () => {
    const elsewhere = path.join(dir, 'elsewhere');
    const r = await run(process.execPath, [GATHER, '--dest', elsewhere, '-n', 'other'], {
      env: { ...process.env, KUBECONFIG: api.writeKubeconfig(dir), HOME: dir },
    }).then(
      () => 0,
      (err: { code?: number }) => err.code ?? 1,
    );
    expect(r).toBe(1);
    expect(readFileSync(path.join(elsewhere, 'mirrorscope/gather.log'), 'utf8')).toContain(
      'the mirrorscope collector is not installed',
    );
  });
});
