// The real agent process (`node dist/cli.js agent`) against real registries on 127.0.0.1
// (docker-registry: plain HTTP, TLS, Basic auth), a node root written by the test, and a real
// WebSocket server playing the collector. `npm test` builds dist/ first.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cause } from '../../src/core/causes/types.js';
import type {
  ImageStatus,
  SnapshotMessage,
  TraceResultMessage,
  WireFinding,
} from '../../src/protocol/messages.js';
import { runCli } from '../support/cli.js';
import { buildOciLayout, type BuiltImage } from '../support/oci-image.js';
import { authEntry, RegistryLab, writeNodeRoot, type LabRegistry } from '../support/registry-lab.js';
import { AgentProcess } from '../support/agent-process.js';
import { FakeCollector } from '../support/fake-collector.js';
import { RECORD_LOADS } from '../support/record-loads.js';
import { loadsBesidesBundle } from '../support/bundle-loads.js';

const SECRET = 'planted-Secret-9f3c1a-never-print';
const USER = { username: 'puller', password: SECRET };
const TOKEN = 'sa-token-for-the-collector-7d1e';
const SECRETS = [SECRET, authEntry(USER).auth, Buffer.from(SECRET).toString('base64')];

let lab: RegistryLab;
let imageA: BuiltImage;
let imageB: BuiltImage;
let src: LabRegistry; // the source registry (plain HTTP)
let mirror: LabRegistry; // plain HTTP: a stale lab/app:v1, no lab/hello
let tls: LabRegistry; // TLS + Basic: has lab/hello:v1, credentials under its exact key
let tls2: LabRegistry; // TLS + Basic: the pull secret names it without the port
let tlsNoCa: LabRegistry; // TLS, its CA is not in certs.d
let dead: string;
let root: string;
let tokenFile: string;

// Blocking applies to the physical reference (containers/image looks the pulled reference up again),
// so the blocked sources are named by their own location.
const IMG = {
  team: 'lab.example/team/hello:v1',
  stale: 'lab.example/team/app:v1',
  secure: '',
  blocked: '',
  digest: 'lab.example/digest/hello:v1',
  pinned: '',
};

function registriesConf(options: { blockedMirrorInsecure: boolean }): string {
  const reg = (
    prefix: string,
    location: string,
    extra: string[],
    mirrors: { host: string; insecure?: boolean }[],
  ) => [
    '[[registry]]',
    `prefix = "${prefix}"`,
    `location = "${location}"`,
    ...extra,
    ...mirrors.flatMap((m) => [
      '[[registry.mirror]]',
      `location = "${m.host}/lab"`,
      ...(m.insecure ? ['insecure = true'] : []),
    ]),
    '',
  ];
  return [
    // Each [[registry]] needs its own location (containers/image refuses conflicting duplicates).
    ...reg(
      'lab.example/team',
      `${src.host}/team`,
      ['insecure = true'],
      [
        { host: dead, insecure: true },
        { host: mirror.host, insecure: true },
      ],
    ),
    ...reg(
      `${src.host}/secure`,
      `${src.host}/secure`,
      ['insecure = true', 'blocked = true'],
      [{ host: tls2.host }, { host: tlsNoCa.host }, { host: tls.host }],
    ),
    ...reg(
      `${src.host}/blocked`,
      `${src.host}/blocked`,
      ['blocked = true'],
      [{ host: mirror.host, insecure: options.blockedMirrorInsecure }],
    ),
    ...reg(
      'lab.example/digest',
      `${src.host}/digest`,
      ['insecure = true', 'mirror-by-digest-only = true'],
      [{ host: tls.host }],
    ),
  ].join('\n');
}

async function writeRegistriesConf(options: { blockedMirrorInsecure: boolean }): Promise<void> {
  // As the MCO does: a new file renamed over the old one (a new inode).
  const target = path.join(root, 'etc/containers/registries.conf');
  await writeFile(`${target}.tmp`, registriesConf(options));
  await rename(`${target}.tmp`, target);
}

beforeAll(async () => {
  lab = await RegistryLab.create();
  const layout = path.join(lab.dir, 'layout');
  [imageA, imageB] = (await buildOciLayout(layout, [
    { tag: 'a', content: 'agent test image A' },
    { tag: 'b', content: 'agent test image B' },
  ])) as [BuiltImage, BuiltImage];
  [src, mirror, tls, tls2, tlsNoCa] = await Promise.all([
    lab.startRegistry({ name: 'src' }),
    lab.startRegistry({ name: 'mirror' }),
    lab.startRegistry({ name: 'tls', tls: true, basic: USER }),
    lab.startRegistry({ name: 'tls2', tls: true, basic: USER }),
    lab.startRegistry({ name: 'tls-no-ca', tls: true }),
  ]);
  await Promise.all([
    lab.push(layout, 'a', src, 'team/hello:v1'),
    lab.push(layout, 'b', src, 'team/app:v1'),
    lab.push(layout, 'a', src, 'digest/hello:v1'),
    lab.push(layout, 'a', mirror, 'lab/app:v1'),
    lab.push(layout, 'a', tls, 'lab/hello:v1', USER),
    lab.push(layout, 'a', tls2, 'lab/hello:v1', USER),
    lab.push(layout, 'a', tlsNoCa, 'lab/hello:v1'),
  ]);
  dead = `127.0.0.1:${await lab.deadPort()}`;
  IMG.secure = `${src.host}/secure/hello:v1`;
  IMG.blocked = `${src.host}/blocked/hello:v1`;
  // The mirror has this tag, but as image A: its copy did not preserve the digest.
  IMG.pinned = `lab.example/team/app:v1@${imageB.digest}`;
  root = path.join(lab.dir, 'node-root');
  const ca = await readFile((await lab.pki()).caCert);
  await writeNodeRoot(root, {
    '/etc/containers/registries.conf': registriesConf({ blockedMirrorInsecure: false }),
    '/etc/containers/policy.json': '{"default":[{"type":"insecureAcceptAnything"}]}',
    '/etc/containers/registries.d/default.yaml':
      'default-docker:\n  lookaside: file:///var/lib/containers/sigstore\n',
    [`/etc/containers/certs.d/${tls.host}/ca.crt`]: ca,
    [`/etc/docker/certs.d/${tls2.host}/ca.crt`]: ca,
    '/etc/crio/crio.conf.d/00-default': '[crio.image]\nshort_name_mode = "enforcing"\n',
    // The planted secret: the password of the one entry that is really used, and of the entry whose
    // key lacks the port.
    '/var/lib/kubelet/config.json': JSON.stringify({
      auths: { [tls.host]: authEntry(USER), '127.0.0.1': authEntry(USER) },
    }),
  });
  tokenFile = path.join(lab.dir, 'token');
  await writeFile(tokenFile, `${TOKEN}\n`);
}, 180_000);

afterAll(async () => {
  await lab?.stop();
});

/** What containers/image (skopeo) pulls for IMAGE under the node's registries.conf: the manifest digest. */
function skopeoDigest(image: string): Promise<{ ok: boolean; digest: string | null }> {
  return new Promise((resolve) => {
    execFile(
      'skopeo',
      [
        'inspect',
        '--raw',
        '--registries-conf',
        path.join(root, 'etc/containers/registries.conf'),
        `docker://${image}`,
      ],
      { encoding: 'buffer', timeout: 30_000, env: { PATH: process.env.PATH, HOME: lab.dir } },
      (err, stdout) => {
        if (err) resolve({ ok: false, digest: null });
        else resolve({ ok: true, digest: `sha256:${createHash('sha256').update(stdout).digest('hex')}` });
      },
    );
  });
}

function ids(findings: readonly { id: string }[]): string[] {
  return [...new Set(findings.map((f) => f.id))].sort();
}

function expectNoSecret(text: string, what: string): void {
  for (const s of SECRETS) expect(text.includes(s), `${what} contains a secret`).toBe(false);
}

describe('mirrorscope agent --once', () => {
  it('prints the findings like check --json and exits 1 when one is an error', async () => {
    const r = await runCli([
      'agent',
      '--once',
      '--root',
      root,
      '--node',
      'node-once',
      '--timeout',
      '5000',
      ...Object.values(IMG).flatMap((i) => ['--image', i]),
    ]);
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as { causes: Cause[]; findings: WireFinding[] };
    expect(Object.keys(doc)).toEqual(['causes', 'findings']);
    for (const f of doc.findings)
      expect(Object.keys(f).sort()).toEqual([
        'file',
        'fix',
        'host',
        'id',
        'image',
        'key',
        'line',
        'message',
        'scope',
        'severity',
      ]);
    // Every finding belongs to exactly one cause; the causes are in impact order.
    expect(doc.causes.flatMap((c) => c.findings).sort()).toEqual(doc.findings.map((f) => f.key).sort());
    expect(doc.causes.map((c) => c.severity)).toEqual(
      [...doc.causes.map((c) => c.severity)].sort((a, b) =>
        a === b ? 0 : a === 'error' ? -1 : b === 'error' ? 1 : 0,
      ),
    );
    // The static and the probed auth-key findings for the TLS mirror are one cause.
    const authCause = doc.causes.find((c) => c.id === `auth-key-host-mismatch:${tls2.host}`)!;
    expect(authCause.affects.mirrors).toEqual([tls2.host]);
    expect(authCause.findings.map((k) => doc.findings.find((f) => f.key === k)!.id).sort()).toEqual([
      'auth-key-host-mismatch',
      'mirror-auth-key-mismatch',
    ]);
    expect(ids(doc.findings)).toEqual(
      [
        'auth-key-host-mismatch',
        'mirror-auth-key-mismatch',
        'mirror-digest-mismatch',
        'mirror-http-not-insecure',
        'mirror-manifest-missing',
        'mirror-stale-tag',
        'mirror-tls-untrusted',
        'mirror-unreachable',
        'source-blocked-no-working-mirror',
        'tag-pull-bypasses-mirrors',
      ].sort(),
    );
    const mismatch = doc.findings.find((f) => f.id === 'mirror-auth-key-mismatch')!;
    expect(mismatch.message).toContain(`"127.0.0.1"`);
    expect(mismatch.message).toContain(tls2.host);
    expect(doc.findings.find((f) => f.id === 'mirror-manifest-missing')!.message).toContain(
      `${mirror.host}/lab/hello:v1`,
    );
    expect(doc.findings.find((f) => f.id === 'mirror-stale-tag')!.message).toContain(imageB.digest);
    expect(doc.findings.find((f) => f.id === 'source-blocked-no-working-mirror')!.severity).toBe('error');
    expect(doc.findings.find((f) => f.id === 'mirror-http-not-insecure')!).toMatchObject({
      severity: 'warning',
      file: '/etc/containers/registries.conf',
    });
    expectNoSecret(r.stdout + r.stderr, '--once output');
  }, 60_000);

  it('runs the signature policy on what it pulls: a required signature the mirror lacks', async () => {
    const signed = path.join(lab.dir, 'node-root-signed');
    await cp(root, signed, { recursive: true });
    await writeNodeRoot(signed, {
      '/etc/containers/policy.json': JSON.stringify({
        default: [{ type: 'insecureAcceptAnything' }],
        transports: {
          docker: {
            [`${src.host}/secure`]: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/etc/pki/lab.gpg' }],
          },
        },
      }),
      '/etc/pki/lab.gpg': 'not needed: no signature gets as far as its key\n',
    });
    const r = await runCli([
      'agent',
      '--once',
      '--root',
      signed,
      '--node',
      'node-once',
      '--image',
      IMG.secure,
    ]);
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as { findings: WireFinding[] };
    // Served by the mirror: the signature is looked up there, and CRI-O does not fall back.
    const missing = doc.findings.find((f) => f.id === 'mirror-signature-missing');
    expect(missing, JSON.stringify(doc.findings.map((f) => f.id))).toBeDefined();
    expect(missing!.message).toContain('A signature was required, but no signature exists');
    expect(ids(doc.findings)).toContain('signature-storage-local-only');
  }, 60_000);

  it('runs from its one-file bundle, every package it needs inside it', async () => {
    // Resident memory on every node: one module, not ~230 (src/cli/agent-entry.ts).
    const preload = path.join(lab.dir, 'record-loads.cjs');
    const loadsFile = path.join(lab.dir, 'agent-loads.txt');
    await writeFile(preload, RECORD_LOADS);
    const p = AgentProcess.start(
      ['--once', '--root', root, '--node', 'node-once', '--image', IMG.team],
      { MIRRORSCOPE_TEST_LOADS: loadsFile },
      ['--require', preload],
    );
    const exit = await p.exited;
    expect(exit.code, p.stderr).toBe(0);
    const loads = [...new Set((await readFile(loadsFile, 'utf8')).split('\n'))].filter((l) => l !== '');
    expect(loads.filter((l) => l.endsWith('/dist/agent.mjs'))).toHaveLength(1);
    // Nothing of dist/ besides dist/cli.js and the bundle, and no package file of its own but bufferutil.
    const separate = loadsBesidesBundle(loads, /\/dist\/(cli\.js|agent\.mjs)$/);
    expect(separate).toEqual([]);
    // It ran the scan (the test below checks its findings in detail).
    expect(ids((JSON.parse(p.stdout) as { findings: WireFinding[] }).findings)).toContain(
      'mirror-manifest-missing',
    );
  }, 60_000);

  it('exits 0 when no finding is an error, and never loads the Kubernetes client', async () => {
    // A loader hook that fails any import of @kubernetes/client-node: the run proves it is not imported.
    const hook = `data:text/javascript,${encodeURIComponent(
      "import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent(\"export async function resolve(s, c, n) { if (s.startsWith('@kubernetes/')) throw new Error('client-node imported'); return n(s, c); }\"));",
    )}`;
    const p = AgentProcess.start(['--once', '--root', root, '--node', 'node-once', '--image', IMG.team], {}, [
      '--import',
      hook,
    ]);
    const exit = await p.exited;
    expect(p.stderr).not.toContain('client-node imported');
    expect(exit.code, p.stderr).toBe(0);
    expect(ids((JSON.parse(p.stdout) as { findings: WireFinding[] }).findings)).toEqual([
      'auth-key-host-mismatch',
      'mirror-manifest-missing',
      'mirror-unreachable',
    ]);
  }, 60_000);
});

/** Every HTTP body the agent served, for the secret check. */
const served: string[] = [];

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  const text = await res.text();
  served.push(text);
  return { status: res.status, text };
}

async function getJson<T>(url: string): Promise<T> {
  return JSON.parse((await get(url)).text) as T;
}

describe('mirrorscope agent (long-running)', () => {
  let collector: FakeCollector;
  let agent: AgentProcess;
  let base: string;

  beforeAll(async () => {
    collector = new FakeCollector(TOKEN);
    await collector.start();
    agent = AgentProcess.start([
      '--root',
      root,
      '--node',
      'node-a',
      '--listen',
      '127.0.0.1:0',
      '--collector',
      collector.url,
      '--token-file',
      tokenFile,
      '--scan-interval',
      '3600',
      '--config-poll',
      '1',
      '--timeout',
      '5000',
      '--image',
      IMG.team,
      '--image',
      IMG.stale,
      '--image',
      IMG.secure,
      '--image',
      IMG.blocked,
    ]);
    base = await agent.httpBase();
    await agent.waitFor((l) => l.event === 'scan');
  }, 60_000);

  afterAll(async () => {
    await agent?.stop('SIGKILL');
    await collector?.stop();
  });

  it('logs one JSON line per finding (with node and code) and a summary line per scan', () => {
    const appeared = agent.lines.filter((l) => l.event === 'finding-appeared');
    expect(ids(appeared.map((l) => ({ id: String(l.code) })))).toEqual(
      [
        'auth-key-host-mismatch',
        'mirror-auth-key-mismatch',
        'mirror-http-not-insecure',
        'mirror-manifest-missing',
        'mirror-stale-tag',
        'mirror-tls-untrusted',
        'mirror-unreachable',
        'source-blocked-no-working-mirror',
      ].sort(),
    );
    for (const l of agent.lines) expect(l.node).toBe('node-a');
    const unreachable = appeared.find((l) => l.code === 'mirror-unreachable')!;
    // Each finding line names the cause it belongs to.
    expect(unreachable.cause).toBe(`connection-refused:${dead}`);
    expect(unreachable.msg).toMatch(
      new RegExp(
        `^Warning \\(mirror-unreachable, cause connection-refused:${dead}\\): Mirror ${dead} is unreachable: .*\\.$`,
      ),
    );
    for (const l of appeared) expect(typeof l.cause, String(l.code)).toBe('string');
    const blocked = appeared.find((l) => l.code === 'source-blocked-no-working-mirror')!;
    expect(blocked.level).toBe('error');
    const scan = agent.lines.find((l) => l.event === 'scan')!;
    expect(scan).toMatchObject({ images: 4, pullable: 3 });
    expect(scan.msg).toMatch(/^Scan 1 \(start\) checked 4 image\(s\) in \d+ ms: 3 pullable, /);
  });

  it('serves /healthz, /readyz, /v1/findings, /metrics and /v1/config', async () => {
    expect((await get(`${base}/healthz`)).status).toBe(200);
    expect((await get(`${base}/readyz`)).status).toBe(200);
    const findings = await getJson<{ causes: Cause[]; findings: WireFinding[] }>(`${base}/v1/findings`);
    expect(ids(findings.findings)).toContain('mirror-stale-tag');
    expect(findings.causes.flatMap((c) => c.findings).sort()).toEqual(
      findings.findings.map((f) => f.key).sort(),
    );
    const stale = findings.findings.find((f) => f.id === 'mirror-stale-tag')!;
    expect(stale).toMatchObject({
      image: IMG.stale,
      host: mirror.host,
      key: `mirror-stale-tag|${mirror.host}|${mirror.host}/lab/app:v1`,
    });
    const metrics = (await get(`${base}/metrics`)).text;
    expect(metrics).toContain(
      `mirrorscope_agent_findings{finding="mirror-unreachable",severity="warning"} 1`,
    );
    expect(metrics).toContain(`mirrorscope_agent_causes{kind="connection-refused",severity="warning"} 1`);
    expect(metrics).toContain(`mirrorscope_agent_mirror_up{host="${dead}"} 0`);
    expect(metrics).toContain(`mirrorscope_agent_mirror_up{host="${src.host}"} 1`);
    expect(metrics).toMatch(
      new RegExp(
        `mirrorscope_agent_probe_duration_seconds_count\\{host="${src.host.replace(/\./g, '\\.')}"\\} \\d+`,
      ),
    );
    expect(metrics).toContain('mirrorscope_agent_images{pullable="false"} 1');
    expect(metrics).toContain('mirrorscope_agent_config_generation 1');
    for (const line of metrics.split('\n')) {
      const name = /^(?:# (?:HELP|TYPE) )?([a-zA-Z_:][\w:]*)/.exec(line)?.[1];
      if (name) expect(name.startsWith('mirrorscope_agent_'), line).toBe(true);
    }
    const config = await getJson<{
      configHash: string;
      registries: { registries: { prefix: string; origin: string; blocked: boolean }[] };
      credentials: { authFile: string; keys: { key: string; credentials: string }[] };
    }>(`${base}/v1/config`);
    expect(config.registries.registries.find((r) => r.prefix === `${src.host}/blocked`)).toMatchObject({
      blocked: true,
      origin: expect.stringMatching(/^\/etc\/containers\/registries\.conf:\d+$/) as unknown,
    });
    expect(config.credentials.authFile).toBe('/var/lib/kubelet/config.json');
    expect(config.credentials.keys).toEqual([
      { key: tls.host, credentials: '[redacted]' },
      { key: '127.0.0.1', credentials: '[redacted]' },
    ]);
  });

  it('sends hello and a snapshot with the Bearer token, and the findings on the socket', async () => {
    expect(collector.authorizations[0]).toBe(`Bearer ${TOKEN}`);
    const hello = await collector.waitFor(() => collector.messages('hello')[0]);
    expect(hello).toMatchObject({
      node: 'node-a',
      configHash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) as unknown,
    });
    const withFindings = await collector.waitFor(() => {
      const known = new Set<string>();
      for (const r of collector.received) {
        if (r.message.type === 'snapshot') for (const f of r.message.findings) known.add(f.id);
        if (r.message.type === 'delta') for (const f of r.message.added) known.add(f.id);
      }
      return known.has('mirror-tls-untrusted') && known;
    });
    expect([...withFindings]).toContain('source-blocked-no-working-mirror');
    expect(collector.protocolErrors).toEqual([]);
  });

  it('checks the images of an images message', async () => {
    const from = agent.lines.length;
    collector.send({ v: 1, type: 'images', generation: 1, images: [IMG.digest] });
    const line = await agent.waitFor(
      (l) => l.event === 'finding-appeared' && l.code === 'tag-pull-bypasses-mirrors',
      30_000,
      from,
    );
    expect(line.image).toBe(IMG.digest);
    const delta = await collector.waitFor(() =>
      collector.messages('delta').find((d) => d.added.some((f) => f.id === 'tag-pull-bypasses-mirrors')),
    );
    expect(delta.images.find((i) => i.image === IMG.digest)).toMatchObject({
      pullable: true,
      source: `${src.host}/digest/hello:v1`,
      digest: imageA.digest,
    });
  }, 40_000);

  it('agrees with skopeo (containers/image) on where each image is pulled from', async () => {
    const latest = new Map<string, ImageStatus>();
    for (const r of collector.received) {
      if (r.message.type === 'snapshot' || r.message.type === 'delta')
        for (const i of r.message.images) latest.set(i.image, i);
    }
    // Plain-HTTP sources only: skopeo's --registries-conf takes the insecure settings, while certs.d
    // would need the real /etc/containers.
    for (const image of [IMG.team, IMG.stale, IMG.digest, IMG.blocked]) {
      const status = latest.get(image);
      expect(status, image).toBeDefined();
      const skopeo = await skopeoDigest(image);
      expect({ image, pullable: status!.pullable, digest: status!.digest }).toEqual({
        image,
        pullable: skopeo.ok,
        digest: skopeo.digest,
      });
    }
    expect(latest.get(IMG.stale)).toMatchObject({
      source: `${mirror.host}/lab/app:v1`,
      digest: imageA.digest,
    });
  }, 60_000);

  it('answers a trace-request with the same document as `mirrorscope trace --json`', async () => {
    collector.send({
      v: 1,
      type: 'trace-request',
      requestId: 'r-1',
      image: IMG.secure,
      all: false,
      timeoutMs: 10_000,
    });
    const result = await collector.waitFor(() =>
      collector.messages('trace-result').find((m: TraceResultMessage) => m.requestId === 'r-1'),
    );
    expect(result.error).toBeNull();
    const viaAgent = result.trace as {
      result: { outcome: string; source: string };
      sources: { host: string; outcome: string }[];
    };
    const cli = await runCli(['trace', '--json', '--root', root, '--timeout', '5000', IMG.secure]);
    const direct = JSON.parse(cli.stdout) as typeof viaAgent;
    expect(viaAgent.result).toEqual(direct.result);
    expect(viaAgent.sources.map((s) => [s.host, s.outcome])).toEqual(
      direct.sources.map((s) => [s.host, s.outcome]),
    );
    expect(viaAgent.result).toMatchObject({ outcome: 'pulled', source: `${tls.host}/lab/hello:v1` });
    const http = await getJson<typeof viaAgent>(
      `${base}/v1/trace?image=${encodeURIComponent(IMG.secure)}&all=1`,
    );
    expect(http.sources.map((s) => s.outcome)).toEqual(['unauthorized', 'tls-untrusted', 'found', 'blocked']);
  }, 40_000);

  it('picks up a configuration change on disk and clears what it fixed', async () => {
    const from = agent.lines.length;
    const before = collector.messages('hello')[0]!.configHash;
    await writeRegistriesConf({ blockedMirrorInsecure: true });
    const changed = await agent.waitFor((l) => l.event === 'config-changed', 20_000, from);
    expect(changed.configHash).not.toBe(before);
    expect(changed.files).toEqual(['/etc/containers/registries.conf']);
    const cleared = await agent.waitFor(
      (l) => l.event === 'finding-cleared' && l.code === 'mirror-http-not-insecure',
      30_000,
      from,
    );
    expect(cleared.msg).toMatch(/^Resolved \(mirror-http-not-insecure\): no longer seen: /);
    // Deltas carry no file digests: after a configuration change the agent sends a whole snapshot,
    // so the collector's view of the node's files follows the disk.
    const snapshot = await collector.waitFor(() =>
      collector
        .messages('snapshot')
        .find((m: SnapshotMessage) => m.configHash === changed.configHash && m.findings.length > 0),
    );
    expect(snapshot.findings.map((f) => f.key)).not.toContain(String(cleared.key));
    expect(snapshot.files.find((f) => f.path === '/etc/containers/registries.conf')!.sha256).toBe(
      createHash('sha256')
        .update(await readFile(path.join(root, 'etc/containers/registries.conf')))
        .digest('hex'),
    );
    // The blocked source's mirror now answers "manifest unknown" instead.
    expect(snapshot.findings.map((f) => f.id)).toContain('mirror-manifest-missing');
    const metrics = (await get(`${base}/metrics`)).text;
    expect(metrics).toContain('mirrorscope_agent_config_generation 2');
  }, 40_000);

  it('loses nothing when the collector is killed and restarted: fresh hello and snapshot', async () => {
    const current = await getJson<{ findings: WireFinding[] }>(`${base}/v1/findings`);
    const connectionsBefore = collector.connectionCount;
    // The kubelet rotated the projected token meanwhile: the new one must be presented.
    await writeFile(tokenFile, `${TOKEN}-rotated\n`);
    collector.expectedToken = `${TOKEN}-rotated`;
    await collector.restart();
    await collector.waitFor(() => collector.connectionCount > connectionsBefore, 30_000);
    const connection = collector.connectionCount;
    const hello = await collector.waitFor(() => collector.messages('hello', connection)[0]);
    expect(hello.node).toBe('node-a');
    const snapshot = await collector.waitFor(() => collector.messages('snapshot', connection)[0]);
    expect(snapshot.findings.map((f) => f.key).sort()).toEqual(current.findings.map((f) => f.key).sort());
    expect(snapshot.images.map((i) => i.image)).toContain(IMG.digest);
    expect(snapshot.files.find((f) => f.path === '/etc/containers/registries.conf')!.sha256).toBe(
      createHash('sha256')
        .update(await readFile(path.join(root, 'etc/containers/registries.conf')))
        .digest('hex'),
    );
    expect(collector.authorizations.at(-1)).toBe(`Bearer ${TOKEN}-rotated`);
  }, 45_000);

  it('exits 0 on SIGTERM: readiness off, socket closed with 1001, and no secret anywhere', async () => {
    const exit = await agent.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    await collector.waitFor(() => collector.closeCodes.includes(1001), 5_000);
    expect(agent.lines.at(-1)).toMatchObject({ event: 'stopped' });
    expectNoSecret(agent.stdout, 'agent stdout');
    expectNoSecret(agent.stderr, 'agent stderr');
    expectNoSecret(collector.received.map((r) => r.raw).join('\n'), 'messages to the collector');
    expect(served.length).toBeGreaterThan(5);
    expectNoSecret(served.join('\n'), 'HTTP answers');
  }, 20_000);
});
