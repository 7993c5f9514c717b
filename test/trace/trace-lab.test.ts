// `mirrorscope trace` against real registries on 127.0.0.1 (docker-registry: plain, TLS, Basic, token),
// compared with what skopeo (containers/image) really does under the same configuration.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadTraceContext } from '../../src/trace/context.js';
import { TraceEngine } from '../../src/trace/engine.js';
import type { SignatureEvaluatorInput, TraceOptions, TraceResult } from '../../src/trace/types.js';
import { buildOciLayout, type BuiltImage } from '../support/oci-image.js';
import {
  authEntry,
  RegistryLab,
  writeNodeRoot,
  type HostileBehaviour,
  type HostileRegistry,
  type LabRegistry,
  type TokenServer,
} from '../support/registry-lab.js';

const USER = { username: 'puller', password: 'pa55-w0rd-never-printed' };
const WRONG = { username: 'puller', password: 'wrong-password-never-printed' };
const SECRETS = [USER.password, WRONG.password, authEntry(USER).auth, authEntry(WRONG).auth];

let lab: RegistryLab;
let imageA: BuiltImage;
let imageB: BuiltImage;
let src: LabRegistry;
let tlsBasic: LabRegistry;
let token: LabRegistry;
let tokenServer: TokenServer;
let empty: LabRegistry;
let staleMirror: LabRegistry;
let deadHost: string;
const hostile = new Map<HostileBehaviour, HostileRegistry>();
let rootCounter = 0;

beforeAll(async () => {
  lab = await RegistryLab.create();
  const layout = path.join(lab.dir, 'layout');
  [imageA, imageB] = (await buildOciLayout(layout, [
    { tag: 'a', content: 'image A: the old build' },
    { tag: 'b', content: 'image B: the new build' },
  ])) as [BuiltImage, BuiltImage];
  tokenServer = await lab.startTokenServer([USER]);
  [src, tlsBasic, token, empty, staleMirror] = await Promise.all([
    lab.startRegistry({ name: 'src' }),
    lab.startRegistry({ name: 'tls-basic', tls: true, basic: USER }),
    lab.startRegistry({ name: 'token', token: tokenServer }),
    lab.startRegistry({ name: 'empty' }),
    lab.startRegistry({ name: 'stale' }),
  ]);
  await Promise.all([
    lab.push(layout, 'a', src, 'lab/hello:v1'),
    lab.push(layout, 'b', src, 'lab/app:v1'),
    lab.push(layout, 'a', tlsBasic, 'lab/hello:v1', USER),
    lab.push(layout, 'a', token, 'lab/hello:v1', USER),
    lab.push(layout, 'a', staleMirror, 'lab/app:v1'),
  ]);
  deadHost = `127.0.0.1:${await lab.deadPort()}`;
  for (const b of [
    'drop-mid-body',
    'slow',
    'huge-body',
    'redirect-loop',
    'invalid-json',
    'huge-headers',
    'bad-token-json',
  ] as const)
    hostile.set(b, await lab.startHostile(b));
}, 120_000);

afterAll(async () => {
  await lab?.stop();
});

interface RootOptions {
  readonly conf: string;
  readonly auth?: unknown;
  readonly ca?: boolean;
}

/** A node root: registries.conf, the pull secret, the lab CA in certs.d for the TLS registry. */
async function makeRoot(options: RootOptions): Promise<string> {
  const root = path.join(lab.dir, `root-${++rootCounter}`);
  const files: Record<string, string | Buffer> = {
    '/etc/containers/registries.conf': options.conf,
    '/etc/containers/policy.json': '{"default":[{"type":"insecureAcceptAnything"}]}',
  };
  if (options.auth !== undefined) files['/var/lib/kubelet/config.json'] = JSON.stringify(options.auth);
  if (options.ca !== false)
    files[`/etc/containers/certs.d/${tlsBasic.host}/ca.crt`] = await readFile((await lab.pki()).caCert);
  await writeNodeRoot(root, files);
  await mkdir(path.join(root, 'etc/containers/registries.d'), { recursive: true });
  return root;
}

function conf(primary: string, mirrors: readonly { host: string; insecure?: boolean }[], extra = ''): string {
  const lines = [
    `[[registry]]`,
    `prefix = "${primary}/lab"`,
    `location = "${primary}/lab"`,
    `insecure = true`,
    extra,
  ];
  for (const m of mirrors)
    lines.push(
      '[[registry.mirror]]',
      `location = "${m.host}/lab"`,
      ...(m.insecure ? ['insecure = true'] : []),
    );
  return `${lines.join('\n')}\n`;
}

function pullSecret(user = USER): unknown {
  return { auths: { [`${tlsBasic.host}/lab`]: authEntry(user), [token.host]: authEntry(user) } };
}

async function trace(root: string, image: string, options: TraceOptions = {}): Promise<TraceResult> {
  const engine = new TraceEngine(await loadTraceContext(root));
  try {
    return await engine.trace(image, { timeoutMs: 5000, ...options });
  } finally {
    engine.close();
  }
}

function expectNoSecret(text: string): void {
  for (const s of SECRETS) expect(text).not.toContain(s);
}

interface SkopeoAnswer {
  readonly ok: boolean;
  readonly digest: string | null;
  /** The physical reference that served the manifest. */
  readonly source: string | null;
  readonly failed: ReadonlyMap<string, string>;
  readonly stderr: string;
}

/** `skopeo --debug inspect --raw` with the root's /etc/containers bind-mounted (loopback only). */
function skopeoInspect(root: string, image: string): Promise<SkopeoAnswer> {
  const authfile = path.join(root, 'var/lib/kubelet/config.json');
  const script = `mount --bind "$1/etc/containers" /etc/containers && exec skopeo --debug inspect --raw --authfile "$2" "docker://$3"`;
  return new Promise((resolve) => {
    execFile(
      'unshare',
      ['-m', 'sh', '-c', script, 'sh', root, authfile, image],
      { encoding: 'buffer', timeout: 60_000 },
      (err, stdout, stderrBuf) => {
        const stderr = stderrBuf.toString();
        const tried = [...stderr.matchAll(/Trying to access \\"([^"\\]+)\\"/g)].map((m) => m[1]!);
        const failed = new Map(
          [...stderr.matchAll(/Accessing \\"([^"\\]+)\\" failed: (.*?)"$/gm)].map(
            (m) => [m[1]!, m[2]!] as const,
          ),
        );
        const ok = err === null;
        resolve({
          ok,
          digest: ok ? `sha256:${createHash('sha256').update(stdout).digest('hex')}` : null,
          source: ok ? (tried.filter((t) => !failed.has(t)).at(-1) ?? null) : null,
          failed,
          stderr,
        });
      },
    );
  });
}

async function expectSameAsSkopeo(root: string, image: string, result: TraceResult): Promise<SkopeoAnswer> {
  const sk = await skopeoInspect(root, image);
  expect(result.result.outcome === 'pulled', sk.stderr.slice(-2000)).toBe(sk.ok);
  expect(result.result.source).toBe(sk.source);
  expect(result.result.digest).toBe(sk.digest);
  return sk;
}

describe('trace over real registries', () => {
  it('walks mirrors in order: dead → lacks the image → TLS + Basic with pull-secret credentials', async () => {
    const root = await makeRoot({
      conf: conf(src.host, [
        { host: deadHost },
        { host: empty.host, insecure: true },
        { host: tlsBasic.host },
      ]),
      auth: pullSecret(),
    });
    const image = `${src.host}/lab/hello:v1`;
    const r = await trace(root, image);
    expect(r.sources.map((s) => [s.reference, s.outcome])).toEqual([
      [`${deadHost}/lab/hello:v1`, 'unreachable'],
      [`${empty.host}/lab/hello:v1`, 'manifest-unknown'],
      [`${tlsBasic.host}/lab/hello:v1`, 'found'],
    ]);
    const win = r.sources[2]!;
    expect(win.credentials).toEqual({ file: '/var/lib/kubelet/config.json', key: `${tlsBasic.host}/lab` });
    expect(win.certsDir).toBe(`/etc/containers/certs.d/${tlsBasic.host}`);
    expect(win).toMatchObject({
      status: 200,
      digest: imageA.digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      reachedByCrio: true,
    });
    expect(r.sources[1]).toMatchObject({ status: 404, credentials: null });
    expect(r.result).toMatchObject({
      outcome: 'pulled',
      source: `${tlsBasic.host}/lab/hello:v1`,
      digest: imageA.digest,
      signature: null,
    });
    expect(win.stale).toMatchObject({ checked: true, stale: false, sourceDigest: imageA.digest });
    expect(r.steps.filter((s) => s.decisive)).toHaveLength(1);
    expect(r.steps.find((s) => s.decisive)).toMatchObject({ source: 2, kind: 'outcome', level: 'ok' });
    expect(r.steps.some((s) => s.message.includes(`No credentials for ${empty.host}/lab/hello found`))).toBe(
      true,
    );
    expectNoSecret(JSON.stringify(r));
    const sk = await expectSameAsSkopeo(root, image, r);
    expect([...sk.failed.keys()]).toEqual([`${deadHost}/lab/hello:v1`, `${empty.host}/lab/hello:v1`]);
  });

  it('podman pull (layers and all) takes the same source and digest', async () => {
    const root = await makeRoot({
      conf: conf(src.host, [{ host: empty.host, insecure: true }, { host: tlsBasic.host }]),
      auth: pullSecret(),
    });
    const image = `${src.host}/lab/hello:v1`;
    const r = await trace(root, image);
    // podman refuses a runroot longer than 50 characters.
    const store = await mkdtemp('/tmp/msp-');
    const script =
      'mount --bind "$1/etc/containers" /etc/containers && ' +
      'podman --root "$4/root" --runroot "$4/run" --storage-driver vfs --events-backend none ' +
      'pull --log-level debug --authfile "$2" "docker://$3" && ' +
      'podman --root "$4/root" --runroot "$4/run" --storage-driver vfs images --no-trunc --format "{{.Digest}}"';
    let stdout: string;
    let stderr: string;
    try {
      ({ stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
        execFile(
          'unshare',
          [
            '-m',
            'sh',
            '-c',
            script,
            'sh',
            root,
            path.join(root, 'var/lib/kubelet/config.json'),
            image,
            store,
          ],
          { timeout: 60_000 },
          (err, out, errOut) =>
            err
              ? reject(new Error(`${err.message}\n${errOut.slice(-3000)}`))
              : resolve({ stdout: out, stderr: errOut }),
        ),
      ));
    } finally {
      await rm(store, { recursive: true, force: true });
    }
    const tried = [...stderr.matchAll(/Trying to access \\"([^"\\]+)\\"/g)].map((m) => m[1]!);
    const failed = new Set([...stderr.matchAll(/Accessing \\"([^"\\]+)\\" failed/g)].map((m) => m[1]!));
    expect(tried.filter((t) => !failed.has(t)).at(-1)).toBe(r.result.source);
    expect(stdout.trim().split('\n')).toContain(r.result.digest);
  });

  it('a TLS mirror whose CA is not in certs.d is tls-untrusted, naming the issuer; CRI-O moves on', async () => {
    const root = await makeRoot({
      conf: conf(src.host, [{ host: tlsBasic.host }]),
      auth: pullSecret(),
      ca: false,
    });
    const image = `${src.host}/lab/hello:v1`;
    const r = await trace(root, image);
    expect(r.sources.map((s) => s.outcome)).toEqual(['tls-untrusted', 'found']);
    expect(r.sources[0]!.reason).toContain('mirrorscope-lab-ca');
    expect(r.sources[0]!.reason).toContain(`no CA in certs.d for ${tlsBasic.host}`);
    const sk = await expectSameAsSkopeo(root, image, r);
    expect(sk.failed.get(`${tlsBasic.host}/lab/hello:v1`)).toMatch(/x509|certificate/);
  });

  it("the node's system trust bundle counts; an unrelated CA in certs.d does not help", async () => {
    const image = `${src.host}/lab/hello:v1`;
    const pem = await readFile((await lab.pki()).caCert);
    const systemTrust = await makeRoot({
      conf: conf(src.host, [{ host: tlsBasic.host }]),
      auth: pullSecret(),
      ca: false,
    });
    await writeNodeRoot(systemTrust, { '/etc/pki/tls/certs/ca-bundle.crt': pem });
    const r = await trace(systemTrust, image);
    expect(r.sources[0]).toMatchObject({ outcome: 'found', certsDir: null });

    const other = await lab.startTokenServer([]); // its signing certificate is a CA nobody trusts
    const wrongCa = await makeRoot({
      conf: conf(src.host, [{ host: tlsBasic.host }]),
      auth: pullSecret(),
      ca: false,
    });
    await writeNodeRoot(wrongCa, {
      [`/etc/docker/certs.d/${tlsBasic.host}/other.crt`]: await readFile(other.certFile),
    });
    const r2 = await trace(wrongCa, image);
    expect(r2.sources[0]).toMatchObject({
      outcome: 'tls-untrusted',
      certsDir: `/etc/docker/certs.d/${tlsBasic.host}`,
    });
    expect(r2.sources[0]!.reason).toContain(`/etc/docker/certs.d/${tlsBasic.host}/other.crt`);
    await other.stop();
  });

  it('a client certificate without its key fails that source with the upstream text', async () => {
    const root = await makeRoot({ conf: conf(src.host, [{ host: tlsBasic.host }]), auth: pullSecret() });
    await writeNodeRoot(root, { [`/etc/containers/certs.d/${tlsBasic.host}/client.cert`]: 'x' });
    const r = await trace(root, `${src.host}/lab/hello:v1`);
    expect(r.sources[0]!.outcome).toBe('error');
    expect(r.sources[0]!.reason).toContain(
      'missing key client.key for client certificate client.cert. Note that CA certificates should use the extension .crt',
    );
    expect(r.result.source).toBe(`${src.host}/lab/hello:v1`);
  });

  it('Basic auth: no credentials and wrong credentials are both unauthorized, told apart', async () => {
    const image = `${src.host}/lab/hello:v1`;
    const none = await makeRoot({ conf: conf(src.host, [{ host: tlsBasic.host }]) });
    const r1 = await trace(none, image);
    expect(r1.sources[0]).toMatchObject({ outcome: 'unauthorized', status: 401, credentials: null });
    expect(r1.sources[0]!.reason).toContain('no credentials were found');
    expect(
      r1.steps.some((s) => s.message.includes('(searched /var/lib/kubelet/config.json (does not exist))')),
    ).toBe(true);
    await expectSameAsSkopeo(none, image, r1);
    const wrong = await makeRoot({
      conf: conf(src.host, [{ host: tlsBasic.host }]),
      auth: pullSecret(WRONG),
    });
    const r2 = await trace(wrong, image);
    expect(r2.sources[0]).toMatchObject({
      outcome: 'unauthorized',
      credentials: { file: '/var/lib/kubelet/config.json', key: `${tlsBasic.host}/lab` },
    });
    expect(r2.sources[0]!.reason).toContain('rejected the credentials');
    expectNoSecret(JSON.stringify(r2));
    await expectSameAsSkopeo(wrong, image, r2);
  });

  it('Bearer token auth: a token for repository:lab/hello:pull; anonymous is denied, a bad password unauthorized', async () => {
    const image = `${src.host}/lab/hello:v1`;
    const withCreds = await makeRoot({
      conf: conf(src.host, [{ host: token.host, insecure: true }]),
      auth: pullSecret(),
    });
    const r = await trace(withCreds, image);
    expect(r.sources[0]).toMatchObject({
      outcome: 'found',
      digest: imageA.digest,
      credentials: { key: token.host },
    });
    expect(
      r.steps.some(
        (s) =>
          s.kind === 'auth' &&
          s.message.includes('scope "repository:lab/hello:pull"') &&
          s.message.includes('→ 200'),
      ),
    ).toBe(true);
    await expectSameAsSkopeo(withCreds, image, r);

    const anonymous = await makeRoot({ conf: conf(src.host, [{ host: token.host, insecure: true }]) });
    const r2 = await trace(anonymous, image);
    expect(r2.sources[0]).toMatchObject({ outcome: 'denied', status: 401 });
    await expectSameAsSkopeo(anonymous, image, r2);

    const wrong = await makeRoot({
      conf: conf(src.host, [{ host: token.host, insecure: true }]),
      auth: pullSecret(WRONG),
    });
    const r3 = await trace(wrong, image);
    expect(r3.sources[0]!.outcome).toBe('unauthorized');
    expect(r3.sources[0]!.reason).toContain('unable to retrieve auth token');
    expectNoSecret(JSON.stringify(r3));
    await expectSameAsSkopeo(wrong, image, r3);
  });

  it('a mirror serving an older build of the tag is found, and flagged stale against the source', async () => {
    const root = await makeRoot({ conf: conf(src.host, [{ host: staleMirror.host, insecure: true }]) });
    const image = `${src.host}/lab/app:v1`;
    const r = await trace(root, image);
    expect(r.result).toMatchObject({
      outcome: 'pulled',
      source: `${staleMirror.host}/lab/app:v1`,
      digest: imageA.digest,
    });
    expect(r.sources[0]!.stale).toMatchObject({
      checked: true,
      stale: true,
      sourceDigest: imageB.digest,
      reference: `${src.host}/lab/app:v1`,
    });
    expect(
      r.steps.some(
        (s) => s.kind === 'stale-check' && s.level === 'warn' && s.message.includes('stale mirror'),
      ),
    ).toBe(true);
    await expectSameAsSkopeo(root, image, r);
  });

  it('a blocked source is not contacted; its mirrors still are', async () => {
    const image = `${src.host}/lab/hello:v1`;
    const blockedOnly = await makeRoot({
      conf: `[[registry]]\nprefix = "${src.host}/lab"\nlocation = "${src.host}/lab"\ninsecure = true\nblocked = true\n`,
    });
    const r = await trace(blockedOnly, image);
    expect(r.sources).toHaveLength(1);
    expect(r.sources[0]).toMatchObject({ outcome: 'blocked', status: null });
    expect(r.sources[0]!.reason).toMatch(
      new RegExp(`registry ${src.host}/lab is blocked in /etc/containers/registries.conf`),
    );
    expect(r.result.outcome).toBe('failed');
    const sk = await expectSameAsSkopeo(blockedOnly, image, r);
    expect(sk.stderr).toContain('is blocked in');

    const withMirror = await makeRoot({
      conf: conf(src.host, [{ host: staleMirror.host, insecure: true }], 'blocked = true'),
    });
    const r2 = await trace(withMirror, `${src.host}/lab/app:v1`);
    expect(r2.sources.map((s) => s.outcome)).toEqual(['found']);
    expect(r2.sources[0]!.stale).toMatchObject({ checked: false, stale: null });
    await expectSameAsSkopeo(withMirror, `${src.host}/lab/app:v1`, r2);
  });

  it('digest-only mirrors are skipped for tags (naming the line) and used for digests', async () => {
    const root = await makeRoot({
      conf: conf(src.host, [{ host: staleMirror.host, insecure: true }], 'mirror-by-digest-only = true'),
    });
    const r = await trace(root, `${src.host}/lab/app:v1`);
    expect(r.sources.map((s) => [s.reference, s.outcome])).toEqual([
      [`${staleMirror.host}/lab/app:v1`, 'skipped-digest-only'],
      [`${src.host}/lab/app:v1`, 'found'],
    ]);
    expect(r.sources[0]!.reason).toMatch(/mirror-by-digest-only.*registries\.conf:5/);
    await expectSameAsSkopeo(root, `${src.host}/lab/app:v1`, r);
    const byDigest = `${src.host}/lab/app@${imageA.digest}`;
    const r2 = await trace(root, byDigest);
    expect(r2.result).toMatchObject({
      outcome: 'pulled',
      source: `${staleMirror.host}/lab/app@${imageA.digest}`,
      digest: imageA.digest,
    });
    expect(r2.sources[0]!.stale).toBeNull();
    await expectSameAsSkopeo(root, byDigest, r2);
  });

  it('a tag-only mirror is skipped for digests, naming its pull-from-mirror line', async () => {
    const tagOnly = `[[registry]]\nprefix = "${src.host}/lab"\nlocation = "${src.host}/lab"\ninsecure = true\n[[registry.mirror]]\nlocation = "${staleMirror.host}/lab"\ninsecure = true\npull-from-mirror = "tag-only"\n`;
    const root = await makeRoot({ conf: tagOnly });
    const r = await trace(root, `${src.host}/lab/app@${imageB.digest}`);
    expect(r.sources.map((s) => s.outcome)).toEqual(['skipped-tag-only', 'found']);
    expect(r.sources[0]!.reason).toMatch(
      /pull-from-mirror = "tag-only" \(\/etc\/containers\/registries\.conf:8\)/,
    );
    expect(r.result.digest).toBe(imageB.digest);
  });

  it("podman on the node searches containers/image's default auth files in order", async () => {
    const root = await makeRoot({ conf: conf(src.host, [{ host: tlsBasic.host }]) });
    await writeNodeRoot(root, {
      '/root/.config/containers/auth.json': JSON.stringify({ auths: { 'other.example': authEntry(USER) } }),
      '/root/.dockercfg': JSON.stringify({ [tlsBasic.host]: authEntry(USER) }),
    });
    const engine = new TraceEngine(await loadTraceContext(root, { runtime: 'podman' }));
    try {
      const r = await engine.trace(`${src.host}/lab/hello:v1`, { timeoutMs: 5000 });
      expect(r.sources[0]).toMatchObject({
        outcome: 'found',
        credentials: { file: '/root/.dockercfg', key: tlsBasic.host },
      });
      // An earlier file in the list wins, even with credentials the registry rejects.
      await writeNodeRoot(root, {
        '/root/.docker/config.json': JSON.stringify({ auths: { [tlsBasic.host]: authEntry(WRONG) } }),
      });
      const engine2 = new TraceEngine(await loadTraceContext(root, { runtime: 'podman' }));
      const r2 = await engine2.trace(`${src.host}/lab/hello:v1`, { timeoutMs: 5000 });
      engine2.close();
      expect(r2.sources[0]).toMatchObject({
        outcome: 'unauthorized',
        credentials: { file: '/root/.docker/config.json' },
      });
    } finally {
      engine.close();
    }
  });

  it('short names: podman-style candidates are tried one after another', async () => {
    const conf = `unqualified-search-registries = ["${deadHost}", "${empty.host}", "${src.host}"]\nshort-name-mode = "permissive"\n[[registry]]\nlocation = "${empty.host}"\ninsecure = true\n[[registry]]\nlocation = "${src.host}"\ninsecure = true\n`;
    const root = await makeRoot({ conf });
    const engine = new TraceEngine(await loadTraceContext(root, { runtime: 'podman' }));
    try {
      const r = await engine.trace('lab/hello:v1', { timeoutMs: 5000 });
      expect(r.sources.map((s) => [s.image, s.outcome])).toEqual([
        [`${deadHost}/lab/hello:v1`, 'unreachable'],
        [`${empty.host}/lab/hello:v1`, 'manifest-unknown'],
        [`${src.host}/lab/hello:v1`, 'found'],
      ]);
      expect(r.result).toMatchObject({
        outcome: 'pulled',
        source: `${src.host}/lab/hello:v1`,
        digest: imageA.digest,
      });
    } finally {
      engine.close();
    }
  });

  it('--all also probes the sources CRI-O would not reach', async () => {
    const root = await makeRoot({
      conf: conf(src.host, [
        { host: empty.host, insecure: true },
        { host: staleMirror.host, insecure: true },
        { host: deadHost },
      ]),
    });
    const r = await trace(root, `${src.host}/lab/app:v1`, { all: true });
    expect(r.sources.map((s) => [s.outcome, s.reachedByCrio])).toEqual([
      ['manifest-unknown', true],
      ['found', true],
      ['unreachable', false],
      ['found', false],
    ]);
    expect(r.sources[3]!.digest).toBe(imageB.digest);
    expect(r.result.source).toBe(`${staleMirror.host}/lab/app:v1`);
    expect(r.sources[1]!.stale).toMatchObject({ stale: true, sourceDigest: imageB.digest });
  });

  const hostileCases: readonly [HostileBehaviour, string, RegExp][] = [
    ['slow', 'timeout', /within 700 ms/],
    ['huge-body', 'error', /larger than 4194304 bytes/],
    ['redirect-loop', 'error', /stopped after 10 redirects/],
    ['invalid-json', 'error', /not valid JSON/],
    ['huge-headers', 'error', /headers larger than/],
    ['bad-token-json', 'error', /decoding bearer token.*not JSON/],
    ['drop-mid-body', 'error', /closed the connection mid-answer/],
  ];
  it.each(hostileCases)(
    'a hostile mirror (%s) gives a classified outcome and the pull moves on',
    async (behaviour, outcome, reason) => {
      const h = hostile.get(behaviour)!;
      const root = await makeRoot({ conf: conf(src.host, [{ host: h.host, insecure: true }]) });
      const r = await trace(root, `${src.host}/lab/hello:v1`, { timeoutMs: 700 });
      expect(r.sources[0]!.outcome).toBe(outcome);
      expect(r.sources[0]!.reason).toMatch(reason);
      expect(r.result).toMatchObject({
        outcome: 'pulled',
        source: `${src.host}/lab/hello:v1`,
        digest: imageA.digest,
      });
    },
  );

  it('credentials go only to the host they belong to, and never across a redirect to another host', async () => {
    const seen: { server: string; authorization: string | undefined; url: string | undefined }[] = [];
    const other = http.createServer((req, res) => {
      seen.push({ server: 'other', authorization: req.headers.authorization, url: req.url });
      res.writeHead(404).end();
    });
    const mirror = http.createServer((req, res) => {
      seen.push({ server: 'mirror', authorization: req.headers.authorization, url: req.url });
      if (req.url === '/v2/') {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="mirror"' }).end();
        return;
      }
      const port = (other.address() as AddressInfo).port;
      // Another host name for the same loopback address: Go compares host names, not ports.
      res.writeHead(307, { Location: `http://localhost:${port}${req.url}` }).end();
    });
    const listen = (server: http.Server) =>
      new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await Promise.all([listen(other), listen(mirror)]);
    try {
      const mirrorHost = `127.0.0.1:${(mirror.address() as AddressInfo).port}`;
      // Credentials exist for the source and the TLS registry, none for this mirror.
      const root = await makeRoot({
        conf: conf(src.host, [{ host: mirrorHost, insecure: true }]),
        auth: { auths: { [src.host]: authEntry(USER), [`${tlsBasic.host}`]: authEntry(USER) } },
      });
      const r = await trace(root, `${src.host}/lab/hello:v1`);
      expect(r.sources[0]).toMatchObject({ outcome: 'manifest-unknown', credentials: null });
      const toMirror = seen.filter((x) => x.server === 'mirror' && x.url !== '/v2/');
      expect(toMirror.length).toBeGreaterThan(0);
      // c/image answers a Basic challenge with empty credentials when none are found for the host.
      for (const x of toMirror) expect(x.authorization).toBe(`Basic ${Buffer.from(':').toString('base64')}`);
      const redirected = seen.filter((x) => x.server === 'other');
      expect(redirected.length).toBeGreaterThan(0);
      for (const x of redirected) expect(x.authorization).toBeUndefined();
    } finally {
      other.closeAllConnections();
      mirror.closeAllConnections();
      await Promise.all([new Promise((r) => other.close(r)), new Promise((r) => mirror.close(r))]);
    }
  });

  it('calls the signature evaluator for the winning source with the real manifest', async () => {
    const root = await makeRoot({ conf: conf(src.host, [{ host: tlsBasic.host }]), auth: pullSecret() });
    const calls: SignatureEvaluatorInput[] = [];
    const r = await trace(root, `${src.host}/lab/hello:v1`, {
      signatureEvaluator: async (input) => {
        calls.push(input);
        return { required: true, outcome: 'verified', reason: 'signed by the lab key' };
      },
    });
    expect(calls).toHaveLength(1);
    const input = calls[0]!;
    expect(input).toMatchObject({
      logicalReference: `${src.host}/lab/hello:v1`,
      physicalReference: `${tlsBasic.host}/lab/hello:v1`,
      manifestDigest: imageA.digest,
    });
    expect(Buffer.from(input.manifestBytes).equals(imageA.manifest)).toBe(true);
    expect(input.client.config.host).toBe(tlsBasic.host);
    expect(r.result.signature).toEqual({
      required: true,
      outcome: 'verified',
      reason: 'signed by the lab key',
    });
    expect(r.result.outcome).toBe('pulled');

    const rejected = await trace(root, `${src.host}/lab/hello:v1`, {
      signatureEvaluator: async () => ({
        required: true,
        outcome: 'missing',
        reason: 'A signature was required, but no signature exists',
      }),
    });
    expect(rejected.result).toMatchObject({
      outcome: 'failed',
      source: null,
      signature: { outcome: 'missing' },
    });
    expect(rejected.steps.find((s) => s.decisive)?.kind).toBe('signature');
  });

  it('a warm engine reuses its connections, ping and token', async () => {
    const root = await makeRoot({
      conf: conf(src.host, [{ host: token.host, insecure: true }]),
      auth: pullSecret(),
    });
    const engine = new TraceEngine(await loadTraceContext(root));
    try {
      const first = await engine.trace(`${src.host}/lab/hello:v1`);
      const clients = engine.clients.size;
      const tokens = tokenServer.requests();
      const second = await engine.trace(`${src.host}/lab/hello:v1`);
      expect(second.result).toEqual(first.result);
      expect(engine.clients.size).toBe(clients);
      expect(tokenServer.requests()).toBe(tokens);
      expect(second.steps.some((s) => s.kind === 'ping')).toBe(false);
    } finally {
      engine.close();
    }
  });
});

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(['trace', ...args], { stdout, stderr, env: {}, isTTY: false });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

describe('mirrorscope trace (CLI)', () => {
  it('--json follows the contract; exit 0 when the pull would succeed', async () => {
    const root = await makeRoot({
      conf: conf(src.host, [{ host: empty.host, insecure: true }, { host: tlsBasic.host }]),
      auth: pullSecret(),
    });
    const { code, stdout } = await cli(['--root', root, '--json', `${src.host}/lab/hello:v1`]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as Record<string, unknown> & {
      sources: Record<string, unknown>[];
      result: Record<string, unknown>;
    };
    expect(doc.image).toBe(`${src.host}/lab/hello:v1`);
    expect(Array.isArray(doc.steps)).toBe(true);
    expect(doc.sources[1]).toMatchObject({
      reference: `${tlsBasic.host}/lab/hello:v1`,
      outcome: 'found',
      status: 200,
      digest: imageA.digest,
      credentials: { file: '/var/lib/kubelet/config.json', key: `${tlsBasic.host}/lab` },
    });
    expect(typeof doc.sources[1]!.durationMs).toBe('number');
    // The CLI wires the policy.json evaluator in (src/signatures); insecureAcceptAnything needs none.
    expect(doc.result).toMatchObject({
      outcome: 'pulled',
      source: `${tlsBasic.host}/lab/hello:v1`,
      digest: imageA.digest,
      signature: { required: false, outcome: 'not-required' },
    });
    expectNoSecret(stdout);
  });

  it('human form: one line per step, the decisive one marked; exit 1 when the pull would fail', async () => {
    const root = await makeRoot({ conf: conf(src.host, [{ host: deadHost }]), auth: pullSecret() });
    const { code, stdout } = await cli([
      '--root',
      root,
      '--authfile',
      path.join(root, 'var/lib/kubelet/config.json'),
      `${src.host}/lab/missing:v1`,
    ]);
    expect(code).toBe(1);
    expect(stdout).toContain(`[1] Trying to access "${deadHost}/lab/missing:v1"`);
    const decisive = stdout.split('\n').filter((l) => l.startsWith('»'));
    expect(decisive).toHaveLength(1);
    expect(decisive[0]).toContain('manifest-unknown');
    expect(stdout).toMatch(/FAILED: .*missing:v1: manifest unknown/);
    expectNoSecret(stdout);
  });

  it('exit 2 for usage errors and a broken auth file (naming file and line)', async () => {
    expect((await cli(['--timeout', '-5', 'x'])).code).toBe(2);
    expect((await cli([])).code).toBe(2);
    const root = await makeRoot({ conf: conf(src.host, []) });
    await writeNodeRoot(root, {
      '/var/lib/kubelet/config.json': '{\n  "auths": {\n    "x": {"auth": "a"}\n  \n',
    });
    const broken = await cli(['--root', root, `${src.host}/lab/hello:v1`]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/\/var\/lib\/kubelet\/config\.json:\d+: invalid JSON/);
  });
});
