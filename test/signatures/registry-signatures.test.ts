// Signatures a registry serves itself: sigstore attachments (`sha256-HEX.sig`, cosign simple-signing
// payloads pushed by this test, since Debian's skopeo/podman are built with sigstore disabled) and
// the X-Registry-Supports-Signatures API extension (a proxy in front of docker-registry, verified
// against podman, which reads signatures through it).
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodeSignatureEvaluator, type SignatureReport } from '../../src/signatures/evaluator.js';
import { loadTraceContext } from '../../src/trace/context.js';
import { TraceEngine } from '../../src/trace/engine.js';
import { buildOciLayout, type BuiltImage } from '../support/oci-image.js';
import { RegistryLab, writeNodeRoot, type LabRegistry } from '../support/registry-lab.js';
import { pushSigstoreAttachment } from '../support/sigstore-attachment.js';
import { SigningLab, type GpgKey } from '../support/signing-lab.js';

const exec = promisify(execFile);

let lab: RegistryLab;
let signing: SigningLab;
let src: LabRegistry;
let signer: GpgKey;
let image: BuiltImage;
let cosignKey: { privateKey: KeyObject; publicKey: KeyObject };
let proxy: { host: string; requests: string[]; close(): Promise<void> };
let sigDir: string;
const shortDirs: string[] = [];

/** A cosign-style attachment: tag sha256-HEX.sig, one simple-signing layer signed with an ECDSA key. */
async function pushAttachment(
  registry: LabRegistry,
  repo: string,
  identity: string,
  digest: string,
  key: KeyObject,
): Promise<void> {
  const payload = Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': identity },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
  await pushSigstoreAttachment(
    { host: registry.host },
    repo,
    digest,
    payload,
    sign('sha256', payload, key).toString('base64'),
  );
}

/** A reverse proxy that announces the signature API and serves it from a lookaside-layout directory. */
async function startSignatureProxy(upstream: LabRegistry, dir: string): Promise<typeof proxy> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    requests.push(`${req.method} ${url}`);
    const ext = /^\/extensions\/v2\/(.+)\/signatures\/(sha256:[a-f0-9]{64})$/.exec(url);
    if (ext) {
      const base = `${path.join(dir, ext[1]!)}@${ext[2]!.replace(':', '=')}`;
      readdir(base)
        .then(async (names) =>
          Promise.all(
            names.sort().map(async (n) => ({
              schemaVersion: 2,
              name: `${ext[2]}@${n}`,
              type: 'atomic',
              content: (await readFile(path.join(base, n))).toString('base64'),
            })),
          ),
        )
        .catch(() => [])
        .then((signatures) =>
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ signatures })),
        );
      return;
    }
    const forward = http.request(
      { host: '127.0.0.1', port: upstream.port, path: url, method: req.method, headers: req.headers },
      (up) => {
        const headers = { ...up.headers };
        if (url === '/v2/' || url === '/v2') headers['x-registry-supports-signatures'] = '1';
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  return {
    host: `127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function traceSignature(root: string, ref: string): Promise<SignatureReport> {
  const engine = new TraceEngine(await loadTraceContext(root, { runtime: 'crio' }));
  const signatures = await loadNodeSignatureEvaluator(root, 'crio', { timeoutMs: 5000 });
  try {
    const result = await engine.trace(ref, { signatureEvaluator: signatures.evaluator, timeoutMs: 5000 });
    expect(result.result.signature, JSON.stringify(result.steps, null, 1)).not.toBeNull();
    return result.result.signature as SignatureReport;
  } finally {
    engine.close();
    signatures.close();
  }
}

beforeAll(async () => {
  lab = await RegistryLab.create();
  signing = await SigningLab.create();
  src = await lab.startRegistry({ name: 'src' });
  signer = await signing.generateKey('Signer');
  cosignKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const layout = path.join(signing.dir, 'layout');
  image = (await buildOciLayout(layout, [{ tag: 'v1', content: `attached ${randomUUID()}` }]))[0]!;
  await lab.push(layout, 'v1', src, 'lab/cosigned:v1');
  await pushAttachment(
    src,
    'lab/cosigned',
    `${src.host}/lab/cosigned:v1`,
    image.digest,
    cosignKey.privateKey,
  );
  sigDir = path.join(signing.dir, 'sigstore');
  const signerRegistriesD = path.join(signing.dir, 'registries.d');
  await mkdir(signerRegistriesD, { recursive: true });
  await writeFile(
    path.join(signerRegistriesD, 'sign.yaml'),
    `docker:\n  ${src.host}:\n    lookaside-staging: file://${sigDir}\n`,
  );
  await signing.pushSigned(
    `oci:${layout}:v1`,
    `docker://${src.host}/lab/extsigned:v1`,
    signer,
    signerRegistriesD,
  );
  proxy = await startSignatureProxy(src, sigDir);
}, 180_000);

afterAll(async () => {
  await proxy?.close();
  await Promise.all(shortDirs.map((d) => rm(d, { recursive: true, force: true })));
  await signing?.stop();
  await lab?.stop();
});

describe('sigstore attachments (use-sigstore-attachments: true)', () => {
  async function node(name: string, publicKeyPem: string) {
    return writeNodeRoot(path.join(lab.dir, name), {
      '/etc/containers/registries.conf': `[[registry]]\nlocation = "${src.host}"\ninsecure = true\n`,
      '/etc/containers/registries.d/attachments.yaml': `docker:\n  ${src.host}/lab:\n    use-sigstore-attachments: true\n`,
      '/etc/containers/policy.json': JSON.stringify({
        default: [{ type: 'reject' }],
        transports: {
          docker: {
            [src.host]: [
              {
                type: 'sigstoreSigned',
                keyPath: '/etc/pki/cosign.pub',
                signedIdentity: { type: 'matchRepository' },
              },
            ],
          },
        },
      }),
      '/etc/pki/cosign.pub': publicKeyPem,
    });
  }

  it('verifies the attachment with the policy key and refuses another key', async () => {
    const good = await node(
      'cosign-good',
      cosignKey.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    );
    const ok = await traceSignature(good, `${src.host}/lab/cosigned:v1`);
    expect(ok).toMatchObject({ required: true, outcome: 'verified', verifiedBy: 'public key' });
    expect(ok.store?.sigstoreAttachments).toBe(true);
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    const bad = await traceSignature(await node('cosign-bad', otherKey), `${src.host}/lab/cosigned:v1`);
    expect(bad).toMatchObject({
      outcome: 'invalid',
      reason:
        'cryptographic signature verification failed: invalid signature when validating ASN.1 encoded signature',
    });
  });

  it('an image without an attachment has no signature', async () => {
    const root = await node(
      'cosign-none',
      cosignKey.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    );
    const sig = await traceSignature(root, `${src.host}/lab/extsigned:v1`);
    expect(sig).toMatchObject({
      outcome: 'missing',
      reason: 'A signature was required, but no signature exists',
    });
  });
});

describe('the X-Registry-Supports-Signatures API extension', () => {
  it('reads the signatures from the registry, not the (local default) lookaside, as podman does', async () => {
    const root = await writeNodeRoot(path.join(lab.dir, 'ext'), {
      '/etc/containers/registries.conf': `[[registry]]\nlocation = "${proxy.host}"\ninsecure = true\n`,
      '/etc/containers/policy.json': JSON.stringify({
        default: [{ type: 'reject' }],
        transports: {
          docker: {
            [proxy.host]: [
              {
                type: 'signedBy',
                keyType: 'GPGKeys',
                keyPath: '/etc/pki/signer.gpg',
                signedIdentity: { type: 'remapIdentity', prefix: proxy.host, signedPrefix: src.host },
              },
            ],
          },
        },
      }),
      '/etc/pki/signer.gpg': await readFile(signer.publicKeyFile),
    });
    const ref = `${proxy.host}/lab/extsigned:v1`;
    const sig = await traceSignature(root, ref);
    expect(sig).toMatchObject({ outcome: 'verified', store: { kind: 'extension' } });
    expect(proxy.requests).toContain(`GET /extensions/v2/lab/extsigned/signatures/${image.digest}`);

    const hostPolicy = path.join(root, 'host-policy.json');
    await writeFile(
      hostPolicy,
      (await readFile(path.join(root, 'etc/containers/policy.json'), 'utf8')).replace(
        '/etc/pki/signer.gpg',
        path.join(root, 'etc/pki/signer.gpg'),
      ),
    );
    const store = await mkdtemp('/tmp/msp-');
    shortDirs.push(store);
    const home = path.join(root, 'home');
    await mkdir(home, { recursive: true });
    const before = proxy.requests.length;
    await exec('podman', [
      '--storage-driver', 'vfs', '--root', path.join(store, 'root'), '--runroot', path.join(store, 'run'), '--events-backend', 'none',
      'pull', '--quiet', '--signature-policy', hostPolicy, ref,
    ], { env: { ...process.env, HOME: home, CONTAINERS_REGISTRIES_CONF: path.join(root, 'etc/containers/registries.conf') }, timeout: 60_000 }); // prettier-ignore
    expect(proxy.requests.slice(before)).toContain(
      `GET /extensions/v2/lab/extsigned/signatures/${image.digest}`,
    );
  });
});
