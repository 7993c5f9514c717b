// End to end with real components: a GPG key made by gpg, images signed by `skopeo copy --sign-by` onto
// real docker-registry instances, signatures served over HTTP by the test. Every verdict of
// mirrorscope's trace (signature part) is compared with `skopeo copy` and `podman pull` under the
// same policy, registries.conf and registries.d.
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandIo } from '../../src/cli/command.js';
import { run as runCheck } from '../../src/cli/commands/check.js';
import { loadNodeSignatureEvaluator, type SignatureReport } from '../../src/signatures/evaluator.js';
import { loadTraceContext } from '../../src/trace/context.js';
import { TraceEngine } from '../../src/trace/engine.js';
import type { TraceResult } from '../../src/trace/types.js';
import { buildOciLayout, type BuiltImage } from '../support/oci-image.js';
import { RegistryLab, writeNodeRoot, type LabRegistry } from '../support/registry-lab.js';
import { SigningLab, type GpgKey } from '../support/signing-lab.js';

const exec = promisify(execFile);

let lab: RegistryLab;
let signing: SigningLab;
let src: LabRegistry;
let mirror: LabRegistry;
let signer: GpgKey;
let other: GpgKey;
let sigDir: string;
let lookaside: { url: string; requests: string[] };
let failing: { url: string; requests: string[] };
const images = new Map<string, BuiltImage>();
const shortDirs: string[] = [];
let multi: { index: string; amd64: string; arm64: string };

const KEY_NODE_PATH = '/etc/pki/containers/signer.gpg';
const hex = (d: string) => d.slice('sha256:'.length);

interface NodeSetup {
  readonly registriesD?: string;
  readonly mirror?: boolean;
  /** The primary location rewritten to another host (not a mirror). */
  readonly location?: string;
}

/** A node root, plus the same configuration as host paths for skopeo and podman. */
async function makeNode(name: string, setup: NodeSetup) {
  const root = path.join(lab.dir, `node-${name}`);
  const conf = [
    `[[registry]]`,
    `prefix = "${src.host}/lab"`,
    `location = "${setup.location ?? `${src.host}/lab`}"`,
    `insecure = true`,
    ...(setup.mirror ? [`[[registry.mirror]]`, `location = "${mirror.host}/lab"`, `insecure = true`] : []),
    '',
  ].join('\n');
  const policy = (keyPath: string) =>
    JSON.stringify({
      default: [{ type: 'reject' }],
      transports: {
        docker: { [`${src.host}/lab`]: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath }] },
        dir: { '': [{ type: 'insecureAcceptAnything' }] },
      },
    });
  const files: Record<string, string | Buffer> = {
    '/etc/containers/registries.conf': conf,
    '/etc/containers/policy.json': policy(KEY_NODE_PATH),
    [KEY_NODE_PATH]: await readFile(signer.publicKeyFile),
  };
  if (setup.registriesD !== undefined) files['/etc/containers/registries.d/lab.yaml'] = setup.registriesD;
  await writeNodeRoot(root, files);
  const hostPolicy = path.join(root, 'host-policy.json');
  await writeFile(hostPolicy, policy(path.join(root, KEY_NODE_PATH)));
  // podman has no --registries.d: it reads $HOME/.config/containers/registries.d when that exists.
  const home = path.join(root, 'home');
  const homeRegistriesD = path.join(home, '.config/containers/registries.d');
  await mkdir(home, { recursive: true });
  if (setup.registriesD !== undefined) {
    await mkdir(homeRegistriesD, { recursive: true });
    await writeFile(path.join(homeRegistriesD, 'lab.yaml'), setup.registriesD);
  }
  return {
    root,
    hostPolicy,
    home,
    registriesConf: path.join(root, 'etc/containers/registries.conf'),
    // An existing, empty directory when the node has none (so nothing of this machine leaks in).
    registriesDDir:
      setup.registriesD !== undefined
        ? path.join(root, 'etc/containers/registries.d')
        : path.join(root, 'empty-registries.d'),
  };
}

type Node = Awaited<ReturnType<typeof makeNode>>;

async function trace(
  node: Node,
  image: string,
): Promise<{ result: TraceResult; signature: SignatureReport }> {
  const context = await loadTraceContext(node.root, { runtime: 'crio' });
  const engine = new TraceEngine(context);
  const signatures = await loadNodeSignatureEvaluator(node.root, 'crio', { timeoutMs: 5000 });
  try {
    const result = await engine.trace(image, { signatureEvaluator: signatures.evaluator, timeoutMs: 5000 });
    expect(result.result.signature, JSON.stringify(result.steps, null, 1)).not.toBeNull();
    return { result, signature: result.result.signature as SignatureReport };
  } finally {
    engine.close();
    signatures.close();
  }
}

interface ToolVerdict {
  readonly ok: boolean;
  readonly stderr: string;
}

async function skopeoCopy(node: Node, image: string): Promise<ToolVerdict> {
  await mkdir(node.registriesDDir, { recursive: true });
  const out = path.join(node.root, 'out', randomUUID());
  await mkdir(path.dirname(out), { recursive: true });
  try {
    await exec('skopeo', [
      '--policy', node.hostPolicy,
      '--registries.d', node.registriesDDir,
      '--registries-conf', node.registriesConf,
      'copy', '--quiet', `docker://${image}`, `dir:${out}`,
    ], { timeout: 60_000 }); // prettier-ignore
    return { ok: true, stderr: '' };
  } catch (err) {
    return { ok: false, stderr: (err as { stderr: string }).stderr };
  }
}

async function podmanPull(node: Node, image: string): Promise<ToolVerdict> {
  // podman refuses a runroot longer than 50 characters.
  const store = await mkdtemp('/tmp/msp-');
  shortDirs.push(store);
  try {
    await exec('podman', [
      '--storage-driver', 'vfs', '--root', path.join(store, 'root'), '--runroot', path.join(store, 'run'), '--events-backend', 'none',
      'pull', '--quiet', '--signature-policy', node.hostPolicy, image,
    ], { env: { ...process.env, HOME: node.home, CONTAINERS_REGISTRIES_CONF: node.registriesConf }, timeout: 60_000 }); // prettier-ignore
    return { ok: true, stderr: '' };
  } catch (err) {
    return { ok: false, stderr: (err as { stderr: string }).stderr };
  }
}

/** The tools print `Source image rejected: <reason>`; 5.23 does not quote the identity, 5.40 does. */
function expectToolsAgree(verdicts: ToolVerdict[], signature: SignatureReport, toolReason?: string): void {
  for (const v of verdicts) {
    expect(v.ok, v.stderr).toBe(signature.outcome === 'verified');
    if (!v.ok) {
      expect(v.stderr).toContain('Source image rejected: ');
      expect(v.stderr.replaceAll('"', '')).toContain((toolReason ?? signature.reason).replaceAll('"', ''));
    }
  }
}

const srcRef = (repo: string) => `${src.host}/lab/${repo}:v1`;

interface JsonFinding {
  id: string;
  file: string | null;
  line: number | null;
  scope: string;
  fix: string;
  message: string;
}

async function checkJson(root: string): Promise<{ stdout: { findings: JsonFinding[] }; code: number }> {
  let out = '';
  const io: CommandIo = {
    stdout: { write: (s: string) => ((out += s), true) } as never,
    stderr: { write: () => true } as never,
    env: {},
    isTTY: false,
  };
  const code = await runCheck(['--root', root, '--json'], io);
  return { stdout: JSON.parse(out) as { findings: JsonFinding[] }, code };
}

beforeAll(async () => {
  lab = await RegistryLab.create();
  signing = await SigningLab.create();
  [src, mirror] = await Promise.all([
    lab.startRegistry({ name: 'src' }),
    lab.startRegistry({ name: 'mirror' }),
  ]);
  signer = await signing.generateKey('Signer');
  other = await signing.generateKey('Other');
  const layout = path.join(signing.dir, 'layout');
  const nonce = randomUUID(); // fresh digests, so no signature store of this machine can know them
  for (const image of await buildOciLayout(
    layout,
    ['signed', 'unsigned', 'wrongkey', 'identity', 'tampered', 'garbage'].map((tag) => ({
      tag,
      content: `${tag} ${nonce}`,
    })),
  )) {
    images.set(image.tag, image);
  }
  sigDir = path.join(signing.dir, 'sigstore');
  const signerRegistriesD = path.join(signing.dir, 'registries.d');
  await mkdir(signerRegistriesD, { recursive: true });
  await writeFile(
    path.join(signerRegistriesD, 'sign.yaml'),
    `docker:\n  ${src.host}:\n    lookaside-staging: file://${sigDir}/src\n  ${mirror.host}:\n    lookaside-staging: file://${sigDir}/mirror\n`,
  );
  const push = (tag: string, key: GpgKey) =>
    signing.pushSigned(`oci:${layout}:${tag}`, `docker://${srcRef(tag)}`, key, signerRegistriesD);
  await push('signed', signer);
  await push('wrongkey', other);
  await push('tampered', signer);
  await lab.push(layout, 'unsigned', src, 'lab/unsigned:v1');
  await lab.push(layout, 'identity', src, 'lab/identity:v1');
  await lab.push(layout, 'garbage', src, 'lab/garbage:v1');
  const garbageDir = path.join(sigDir, 'src/lab', `garbage@sha256=${hex(images.get('garbage')!.digest)}`);
  await mkdir(garbageDir, { recursive: true });
  await writeFile(path.join(garbageDir, 'signature-1'), 'garbage, not a signature');
  await lab.push(layout, 'signed', mirror, 'lab/signed:v1'); // the mirror has the image, not (yet) its signature
  // A valid signature by the right key, but for another repository.
  const identity = images.get('identity')!;
  const manifestFile = path.join(signing.dir, 'identity.manifest.json');
  await writeFile(manifestFile, identity.manifest);
  const identityDir = path.join(sigDir, 'src/lab', `identity@sha256=${hex(identity.digest)}`);
  await mkdir(identityDir, { recursive: true });
  await signing.standaloneSign(
    manifestFile,
    srcRef('elsewhere'),
    signer,
    path.join(identityDir, 'signature-1'),
  );
  // Flip one byte inside the signed data.
  const tamperedFile = path.join(
    sigDir,
    'src/lab',
    `tampered@sha256=${hex(images.get('tampered')!.digest)}`,
    'signature-1',
  );
  const bytes = await readFile(tamperedFile);
  bytes[bytes.length - 30] = bytes[bytes.length - 30]! ^ 0x55;
  await writeFile(tamperedFile, bytes);
  // A two-platform index, signed with --all: the index and each instance get a signature.
  const [amd, arm] = await buildOciLayout(layout, [
    { tag: 'multi-amd64', content: `multi amd64 ${nonce}`, architecture: 'amd64' },
    { tag: 'multi-arm64', content: `multi arm64 ${nonce}`, architecture: 'arm64' },
  ]);
  const indexBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [amd!, arm!].map((m, i) => ({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: m.digest,
        size: m.manifest.length,
        platform: { architecture: i === 0 ? 'amd64' : 'arm64', os: 'linux' },
      })),
    }),
  );
  const indexDigest = `sha256:${createHash('sha256').update(indexBytes).digest('hex')}`;
  await writeFile(path.join(layout, 'blobs/sha256', hex(indexDigest)), indexBytes);
  const layoutIndex = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as {
    manifests: unknown[];
  };
  layoutIndex.manifests.push({
    mediaType: 'application/vnd.oci.image.index.v1+json',
    digest: indexDigest,
    size: indexBytes.length,
    annotations: { 'org.opencontainers.image.ref.name': 'multi' },
  });
  await writeFile(path.join(layout, 'index.json'), JSON.stringify(layoutIndex));
  await exec('skopeo', ['--registries.d', signerRegistriesD, 'copy', '--quiet', '--all', '--sign-by', signer.fingerprint, `oci:${layout}:multi`, `docker://${srcRef('multi')}`, '--dest-tls-verify=false'], { env: signing.env }); // prettier-ignore
  multi = { index: indexDigest, amd64: amd!.digest, arm64: arm!.digest };
  lookaside = await signing.serve(sigDir);
  failing = await signing.serve(sigDir, 500);
}, 180_000);

afterAll(async () => {
  await Promise.all(shortDirs.map((d) => rm(d, { recursive: true, force: true })));
  await signing?.stop();
  await lab?.stop();
});

describe('a node whose registries.d points at the HTTP lookaside', () => {
  let node: Node;
  beforeAll(async () => {
    node = await makeNode('http', {
      registriesD: `docker:\n  ${src.host}:\n    lookaside: ${lookaside.url}/src\n`,
    });
  });

  it('verifies the image signed with skopeo --sign-by, as skopeo and podman do', async () => {
    const { result, signature } = await trace(node, srcRef('signed'));
    expect(signature).toMatchObject({
      required: true,
      outcome: 'verified',
      mirror: false,
      verifiedBy: signer.fingerprint,
      signatureCount: 1,
    });
    expect(signature.store).toMatchObject({
      kind: 'lookaside',
      url: `${lookaside.url}/src/lab/signed`,
      local: false,
    });
    expect(result.result.outcome).toBe('pulled');
    expect(lookaside.requests).toContain(
      `/src/lab/signed@sha256=${hex(images.get('signed')!.digest)}/signature-2`,
    );
    expectToolsAgree(
      [await skopeoCopy(node, srcRef('signed')), await podmanPull(node, srcRef('signed'))],
      signature,
    );
  });

  it('an unsigned image: "A signature was required, but no signature exists"', async () => {
    const { result, signature } = await trace(node, srcRef('unsigned'));
    expect(signature).toMatchObject({
      outcome: 'missing',
      reason: 'A signature was required, but no signature exists',
    });
    expect(signature.findings.map((f) => f.id)).toEqual(['signature-missing']);
    expect(result.result.outcome).toBe('failed');
    expectToolsAgree(
      [await skopeoCopy(node, srcRef('unsigned')), await podmanPull(node, srcRef('unsigned'))],
      signature,
    );
  });

  it('a signature by another key is refused', async () => {
    const { signature } = await trace(node, srcRef('wrongkey'));
    expect(signature.outcome).toBe('invalid');
    expect(signature.reason).toMatch(/^Key not found for key ID [0-9a-f]{16} in signature$/);
    expect(signature.reason.toUpperCase()).toContain(other.fingerprint.slice(-16));
    expect(signature.findings.map((f) => f.id)).toEqual(['signature-invalid']);
    // gpgme (Debian's podman/skopeo) reports the same refusal with a dump of its signature struct.
    expectToolsAgree(
      [await skopeoCopy(node, srcRef('wrongkey')), await podmanPull(node, srcRef('wrongkey'))],
      signature,
      'Invalid GPG signature: gpgme.Signature{',
    );
  });

  it('a signature for another identity gives the identity reason', async () => {
    const { signature } = await trace(node, srcRef('identity'));
    expect(signature).toMatchObject({
      outcome: 'invalid',
      reason: `Signature for identity "${srcRef('elsewhere')}" is not accepted`,
    });
    expectToolsAgree(
      [await skopeoCopy(node, srcRef('identity')), await podmanPull(node, srcRef('identity'))],
      signature,
    );
  });

  it('a signature file that is not a signature fails the pull with the parse error', async () => {
    const { signature } = await trace(node, srcRef('garbage'));
    const url = `${lookaside.url}/src/lab/garbage@sha256=${hex(images.get('garbage')!.digest)}/signature-1`;
    expect(signature).toMatchObject({
      outcome: 'invalid',
      reason: `parsing signature ${url}: unrecognized signature format, starting with binary 0x67`,
    });
    expect(signature.findings.map((f) => f.id)).toEqual(['signature-invalid']);
    expectToolsAgree(
      [await skopeoCopy(node, srcRef('garbage')), await podmanPull(node, srcRef('garbage'))],
      signature,
    );
  });

  it('a tampered signature is refused', async () => {
    const { signature } = await trace(node, srcRef('tampered'));
    expect(signature.outcome).toBe('invalid');
    const verdicts = [await skopeoCopy(node, srcRef('tampered')), await podmanPull(node, srcRef('tampered'))];
    for (const v of verdicts) {
      expect(v.ok).toBe(false);
      expect(v.stderr).toContain('Source image rejected: ');
    }
  });
});

describe('a manifest list: only the instance CRI-O pulls must be signed', () => {
  it("verifies the platform instance, not the index; without that instance's signature the pull fails", async () => {
    if (process.arch !== 'x64') return; // podman pulls the host's platform; the fixture signs amd64 and arm64
    const node = await makeNode('multi', {
      registriesD: `docker:\n  ${src.host}:\n    lookaside: ${lookaside.url}/src\n`,
    });
    await rm(path.join(sigDir, 'src/lab', `multi@sha256=${hex(multi.index)}`), { recursive: true });
    const ok = await trace(node, srcRef('multi'));
    expect(ok.signature).toMatchObject({ outcome: 'verified' });
    expect(ok.signature.explanation.join('\n')).toContain(`instance ${multi.amd64}`);
    expectToolsAgree([await podmanPull(node, srcRef('multi'))], ok.signature);

    await rm(path.join(sigDir, 'src/lab', `multi@sha256=${hex(multi.amd64)}`), { recursive: true });
    const missing = await trace(node, srcRef('multi'));
    expect(missing.signature).toMatchObject({
      outcome: 'missing',
      reason: 'A signature was required, but no signature exists',
    });
    expectToolsAgree([await podmanPull(node, srcRef('multi'))], missing.signature);
  });
});

describe('a node with the default (local-only) signature storage', () => {
  let node: Node;
  beforeAll(async () => {
    node = await makeNode('local', {});
  });

  it('check reports signature-storage-local-only with the lookaside to configure', async () => {
    const { stdout, code } = await checkJson(node.root);
    const findings = stdout.findings;
    const local = findings.filter((f) => f.id === 'signature-storage-local-only');
    expect(local).toHaveLength(1);
    expect(local[0]!.scope).toBe(src.host);
    expect(local[0]!.message).toContain('file:///var/lib/containers/sigstore');
    expect(local[0]!.fix).toContain('lookaside:');
    expect(code).toBe(1);
  });

  it('the trace shows the missing signature, and skopeo and podman fail the same way', async () => {
    const { result, signature } = await trace(node, srcRef('signed'));
    expect(signature).toMatchObject({
      outcome: 'missing',
      reason: 'A signature was required, but no signature exists',
    });
    expect(signature.store).toMatchObject({
      url: `file:///var/lib/containers/sigstore/lab/signed`,
      local: true,
      scope: 'built-in default',
    });
    expect(signature.findings.map((f) => f.id)).toEqual([
      'signature-missing',
      'signature-storage-local-only',
    ]);
    expect(result.result.outcome).toBe('failed');
    expectToolsAgree(
      [await skopeoCopy(node, srcRef('signed')), await podmanPull(node, srcRef('signed'))],
      signature,
    );
  });
});

describe('a file:// lookaside is read below --root', () => {
  it("verifies from the node's own directory, and check still calls it local-only", async () => {
    const node = await makeNode('file-lookaside', {
      registriesD: `docker:\n  ${src.host}:\n    lookaside: file:///srv/sigstore\n`,
    });
    await cp(path.join(sigDir, 'src'), path.join(node.root, 'srv/sigstore'), { recursive: true });
    const { signature } = await trace(node, srcRef('signed'));
    expect(signature).toMatchObject({
      outcome: 'verified',
      store: { url: 'file:///srv/sigstore/lab/signed', local: true },
    });
    expect(signature.findings).toEqual([]);
    const { stdout, code } = await checkJson(node.root);
    expect(code).toBe(1);
    expect(
      stdout.findings.filter((f) => f.id === 'signature-storage-local-only').map((f) => [f.file, f.line]),
    ).toEqual([['/etc/containers/registries.d/lab.yaml', 3]]);
  });
});

describe('mirrorscope trace (command) carries the signature verdict', () => {
  it('--json: result.signature with the upstream reason, exit 1', async () => {
    const node = await makeNode('trace-cli', {});
    const { run: runTrace } = await import('../../src/cli/commands/trace.js');
    let stdout = '';
    const io: CommandIo = {
      stdout: { write: (s: string) => ((stdout += s), true) } as never,
      stderr: { write: () => true } as never,
      env: {},
      isTTY: false,
    };
    const code = await runTrace(['--root', node.root, '--json', '--timeout', '5000', srcRef('signed')], io);
    const result = JSON.parse(stdout) as {
      result: { outcome: string; signature: { required: boolean; outcome: string; reason: string } };
    };
    expect(result.result.outcome).toBe('failed');
    expect(result.result.signature).toMatchObject({
      required: true,
      outcome: 'missing',
      reason: 'A signature was required, but no signature exists',
    });
    expect(code).toBe(1);
  });
});

describe('pulls through a mirror: signature looked up at the mirror, identity checked against the source name', () => {
  it('a mirror without the signature fails the pull outright (no fallback)', async () => {
    const node = await makeNode('mirror-nosig', {
      mirror: true,
      registriesD: `docker:\n  ${src.host}:\n    lookaside: ${lookaside.url}/src\n`,
    });
    const { result, signature } = await trace(node, srcRef('signed'));
    expect(signature).toMatchObject({
      outcome: 'missing',
      mirror: true,
      physicalReference: `${mirror.host}/lab/signed:v1`,
      logicalReference: srcRef('signed'),
    });
    expect(signature.findings.map((f) => f.id)).toEqual([
      'mirror-signature-missing',
      'signature-storage-local-only',
    ]);
    expect(signature.findings[0]!.message).toContain('does not fall back');
    expect(result.result.outcome).toBe('failed');
    expectToolsAgree(
      [await skopeoCopy(node, srcRef('signed')), await podmanPull(node, srcRef('signed'))],
      signature,
    );
  });

  it("with the signature in the mirror's lookaside the pull verifies against the logical reference", async () => {
    const digest = hex(images.get('signed')!.digest);
    await cp(
      path.join(sigDir, 'src/lab', `signed@sha256=${digest}`),
      path.join(sigDir, 'mirror/lab', `signed@sha256=${digest}`),
      { recursive: true },
    );
    const node = await makeNode('mirror-sig', {
      mirror: true,
      registriesD: `docker:\n  ${src.host}:\n    lookaside: ${lookaside.url}/src\n  ${mirror.host}:\n    lookaside: ${lookaside.url}/mirror\n`,
    });
    const before = lookaside.requests.length;
    const { result, signature } = await trace(node, srcRef('signed'));
    expect(signature).toMatchObject({ outcome: 'verified', mirror: true });
    expect(result.result.source).toBe(`${mirror.host}/lab/signed:v1`);
    expect(lookaside.requests.slice(before)[0]).toBe(`/mirror/lab/signed@sha256=${digest}/signature-1`);
    expectToolsAgree(
      [await skopeoCopy(node, srcRef('signed')), await podmanPull(node, srcRef('signed'))],
      signature,
    );
  });
});

describe('a primary location rewritten to another host is not a mirror', () => {
  it('a missing signature there is signature-missing, not mirror-signature-missing', async () => {
    const node = await makeNode('rewritten-primary', {
      location: `${mirror.host}/lab`,
      registriesD: `docker:\n  ${src.host}:\n    lookaside: ${lookaside.url}/src\n`,
    });
    const { result, signature } = await trace(node, srcRef('signed'));
    expect(result.result.outcome).toBe('failed');
    expect(signature).toMatchObject({
      outcome: 'missing',
      mirror: false,
      physicalReference: `${mirror.host}/lab/signed:v1`,
    });
    expect(signature.findings.map((f) => f.id)).toContain('signature-missing');
    expect(signature.findings.map((f) => f.id)).not.toContain('mirror-signature-missing');
    expectToolsAgree(
      [await skopeoCopy(node, srcRef('signed')), await podmanPull(node, srcRef('signed'))],
      signature,
    );
  });
});

describe('failures of the store and of the node', () => {
  it('a lookaside answering 500 fails the pull (store-unreachable), as in c/image', async () => {
    const node = await makeNode('store500', {
      registriesD: `docker:\n  ${src.host}:\n    lookaside: ${failing.url}/src\n`,
    });
    const { signature } = await trace(node, srcRef('signed'));
    const url = `${failing.url}/src/lab/signed@sha256=${hex(images.get('signed')!.digest)}/signature-1`;
    expect(signature).toMatchObject({
      outcome: 'store-unreachable',
      reason: `reading signature from ${url}: status 500 (Internal Server Error)`,
    });
    expect(signature.findings.map((f) => f.id)).toEqual(['signature-store-unreachable']);
    expectToolsAgree([await skopeoCopy(node, srcRef('signed'))], signature);
  });

  it('a keyPath that is missing on the node refuses the signed image', async () => {
    const node = await makeNode('nokey', {
      registriesD: `docker:\n  ${src.host}:\n    lookaside: ${lookaside.url}/src\n`,
    });
    const policyFile = path.join(node.root, 'etc/containers/policy.json');
    await writeFile(
      policyFile,
      (await readFile(policyFile, 'utf8')).replace(KEY_NODE_PATH, '/etc/pki/containers/absent.gpg'),
    );
    await writeFile(
      node.hostPolicy,
      (await readFile(node.hostPolicy, 'utf8')).replace(KEY_NODE_PATH, '/etc/pki/containers/absent.gpg'),
    );
    const { signature } = await trace(node, srcRef('signed'));
    expect(signature).toMatchObject({
      outcome: 'invalid',
      reason: 'open /etc/pki/containers/absent.gpg: no such file or directory',
    });
    expect(signature.findings.map((f) => f.id)).toEqual(['signature-key-missing']);
    const copy = await skopeoCopy(node, srcRef('signed'));
    expect(copy.ok).toBe(false);
    expect(copy.stderr).toContain(
      `Source image rejected: open ${node.root}/etc/pki/containers/absent.gpg: no such file or directory`,
    );
  });
});
