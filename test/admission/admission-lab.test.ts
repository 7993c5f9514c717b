// End to end with real components: a TLS docker-registry on 127.0.0.1 holding images simple-signed
// by `skopeo copy --sign-by`, a lookaside store behind Basic auth, the public key in a Secret, and a
// Portieris `signedBy` policy naming both — checked by `mirrorscope admission`, with `skopeo copy`
// (containers/image) under the policy Portieris builds as the oracle for every verdict.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandIo } from '../../src/cli/command.js';
import { run } from '../../src/cli/commands/admission.js';
import { buildOciLayout, type BuiltImage } from '../support/oci-image.js';
import { RegistryLab, writeNodeRoot, type LabRegistry } from '../support/registry-lab.js';
import { SigningLab, type GpgKey } from '../support/signing-lab.js';

const exec = promisify(execFile);

let lab: RegistryLab;
let signing: SigningLab;
let reg: LabRegistry;
let mirror: LabRegistry;
let signer: GpgKey;
let other: GpgKey;
let caCert: string;
let storeUrl: string;
let storeServer: http.Server;
const storeRequests: string[] = [];
let policiesDir: string;
const images = new Map<string, BuiltImage>();
const STORE_USER = 'sigreader';
const STORE_PASSWORD = 's3cret-store-pw';

const ref = (tag: string) => `${reg.host}/lab/app:${tag}`;

/** A lookaside store that answers only with the store Secret's credentials. */
async function startStore(root: string): Promise<void> {
  const expected = `Basic ${Buffer.from(`${STORE_USER}:${STORE_PASSWORD}`).toString('base64')}`;
  storeServer = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    storeRequests.push(url.pathname);
    if (req.headers.authorization !== expected) {
      res.writeHead(401).end('no');
      return;
    }
    const file = path.join(root, decodeURIComponent(url.pathname));
    stat(file).then(
      (s) => {
        if (!s.isFile()) throw new Error('not a file');
        res.writeHead(200);
        createReadStream(file).pipe(res);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => storeServer.listen(0, '127.0.0.1', () => resolve()));
  storeUrl = `http://127.0.0.1:${(storeServer.address() as { port: number }).port}`;
}

function policies(options: { storeSecret: boolean; mutate?: boolean }): string {
  return `apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata: {name: lab-signed}
spec:
  repositories:
  - name: "${reg.host}/lab/*"
    policy:
      ${options.mutate === false ? 'mutateImage: false' : ''}
      simple:
        storeURL: ${storeUrl}
        ${options.storeSecret ? 'storeSecret: store-creds' : ''}
        requirements:
        - type: signedBy
          keySecret: lab-signer
          keySecretNamespace: portieris
`;
}

async function admission(args: string[]): Promise<{ code: number; json: AdmissionJson; stderr: string }> {
  let out = '';
  let err = '';
  const io: CommandIo = {
    stdout: { write: (s: string) => ((out += s), true) } as never,
    stderr: { write: (s: string) => ((err += s), true) } as never,
    env: {},
    isTTY: false,
  };
  const code = await run([...args, '--json'], io);
  return { code, json: JSON.parse(out) as AdmissionJson, stderr: err };
}

interface AdmissionJson {
  results: {
    image: string;
    allowed: boolean | null;
    decisions: {
      controller: string;
      allowed: boolean | null;
      message: string;
      policy: unknown;
      checks: { kind: string; outcome: string; detail: string }[];
    }[];
    notes: string[];
  }[];
  notes: string[];
}

/** containers/image itself (skopeo) under the policy Portieris builds for the same requirement. */
async function skopeoAccepts(image: string): Promise<{ ok: boolean; stderr: string }> {
  const dir = path.join(signing.dir, `oracle-${randomUUID()}`);
  await mkdir(path.join(dir, 'registries.d'), { recursive: true });
  const keyFile = path.join(dir, 'key.gpg');
  await writeFile(keyFile, await readFile(signer.publicKeyFile));
  await writeFile(
    path.join(dir, 'policy.json'),
    JSON.stringify({
      default: [{ type: 'reject' }],
      transports: {
        docker: { '': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: keyFile }] },
        dir: { '': [{ type: 'insecureAcceptAnything' }] },
      },
    }),
  );
  const auth = `http://${STORE_USER}:${STORE_PASSWORD}@${storeUrl.slice('http://'.length)}`;
  await writeFile(path.join(dir, 'registries.d', 'default.yaml'), `default-docker:\n  sigstore: ${auth}\n`);
  try {
    await exec('skopeo', ['--policy', path.join(dir, 'policy.json'), '--registries.d', path.join(dir, 'registries.d'), 'copy', '--quiet', '--src-cert-dir', await lab.certDir(), `docker://${image}`, `dir:${path.join(dir, 'out')}`], { timeout: 60_000 }); // prettier-ignore
    return { ok: true, stderr: '' };
  } catch (err) {
    return { ok: false, stderr: (err as { stderr: string }).stderr };
  }
}

beforeAll(async () => {
  lab = await RegistryLab.create();
  signing = await SigningLab.create();
  [reg, mirror] = await Promise.all([
    lab.startRegistry({ name: 'src', tls: true }),
    lab.startRegistry({ name: 'mirror' }),
  ]);
  caCert = (await lab.pki()).caCert;
  signer = await signing.generateKey('Signer');
  other = await signing.generateKey('Other');
  const layout = path.join(signing.dir, 'layout');
  const nonce = randomUUID();
  for (const image of await buildOciLayout(
    layout,
    ['signed', 'unsigned', 'wrongkey'].map((tag) => ({ tag, content: `${tag} ${nonce}` })),
  ))
    images.set(image.tag, image);
  const sigDir = path.join(signing.dir, 'sigstore');
  const signerRegistriesD = path.join(signing.dir, 'registries.d');
  await mkdir(signerRegistriesD, { recursive: true });
  await writeFile(
    path.join(signerRegistriesD, 'sign.yaml'),
    `docker:\n  ${reg.host}:\n    lookaside-staging: file://${sigDir}\n`,
  );
  await signing.pushSigned(`oci:${layout}:signed`, `docker://${ref('signed')}`, signer, signerRegistriesD);
  await signing.pushSigned(`oci:${layout}:wrongkey`, `docker://${ref('wrongkey')}`, other, signerRegistriesD);
  await lab.push(layout, 'unsigned', reg, 'lab/app:unsigned');
  await lab.push(layout, 'signed', mirror, 'lab/app:signed');
  await startStore(sigDir);

  const { stdout: armored } = await exec('gpg', ['--armor', '--export', signer.fingerprint], {
    env: signing.env,
  });
  policiesDir = path.join(signing.dir, 'policies');
  await mkdir(policiesDir, { recursive: true });
  await writeFile(
    path.join(policiesDir, 'secrets.yaml'),
    `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  metadata: {name: lab-signer, namespace: portieris}
  data: {key: ${Buffer.from(armored).toString('base64')}}
- apiVersion: v1
  kind: Secret
  metadata: {name: store-creds, namespace: shop}
  stringData: {username: ${STORE_USER}, password: ${STORE_PASSWORD}}
`,
  );
}, 180_000);

afterAll(async () => {
  await new Promise<void>((resolve) => storeServer?.close(() => resolve()));
  await signing?.stop();
  await lab?.stop();
});

describe('Portieris simple signedBy against a real registry and store', () => {
  const withPolicy = async (text: string) => {
    await writeFile(path.join(policiesDir, 'policy.yaml'), text);
    return ['--policies', policiesDir, '--namespace', 'shop', '--ca', caCert];
  };

  it('admits the signed image, says which key verified it, and mutates to its digest', async () => {
    const args = await withPolicy(policies({ storeSecret: true }));
    const { code, json } = await admission([...args, ref('signed')]);
    const [r] = json.results;
    const d = r!.decisions[0]!;
    expect(d.allowed, JSON.stringify(d, null, 1)).toBe(true);
    expect(d.policy).toEqual({ kind: 'ClusterImagePolicy', name: 'lab-signed', namespace: null });
    expect(d.checks.find((c) => c.kind === 'simple')!.detail).toContain(signer.fingerprint);
    expect(d.checks.find((c) => c.kind === 'mutate-image')!.detail).toContain(
      `${reg.host}/lab/app@${images.get('signed')!.digest}`,
    );
    expect(code).toBe(0);
    expect((await skopeoAccepts(ref('signed'))).ok).toBe(true);
    expect(JSON.stringify(json)).not.toContain(STORE_PASSWORD);
  });

  it('denies the unsigned image with Portieris and containers/image text', async () => {
    const args = await withPolicy(policies({ storeSecret: true }));
    const { code, json } = await admission([...args, ref('unsigned')]);
    expect(json.results[0]!.decisions[0]!.message).toBe(
      'simple: policy denied the request: A signature was required, but no signature exists',
    );
    expect(code).toBe(1);
    const oracle = await skopeoAccepts(ref('unsigned'));
    expect(oracle.ok).toBe(false);
    expect(oracle.stderr).toContain('A signature was required, but no signature exists');
  });

  it('denies an image signed by another key', async () => {
    const args = await withPolicy(policies({ storeSecret: true }));
    const { json } = await admission([...args, ref('wrongkey')]);
    const d = json.results[0]!.decisions[0]!;
    expect(d.allowed).toBe(false);
    expect(d.message).toMatch(/^simple: policy denied the request: /);
    // Portieris is built with containers_image_openpgp: the openpgp mechanism's text, not gpgme's
    // (Debian's skopeo uses gpgme, so only its verdict is compared).
    expect(d.message).toContain(`Key not found for key ID ${other.fingerprint.slice(-16).toLowerCase()}`);
    const oracle = await skopeoAccepts(ref('wrongkey'));
    expect(oracle.ok).toBe(false);
    expect(oracle.stderr).toContain('Source image rejected');
  });

  it('without the store Secret the store refuses, and Portieris denies with the read error', async () => {
    const before = storeRequests.length;
    const args = await withPolicy(policies({ storeSecret: false }));
    const { json } = await admission([...args, ref('signed')]);
    const d = json.results[0]!.decisions[0]!;
    expect(d.allowed).toBe(false);
    expect(d.message).toMatch(
      /^simple: reading signature from http:\/\/127\.0\.0\.1:\d+\/lab\/app@sha256=[0-9a-f]{64}\/signature-1: status 401 \(Unauthorized\)$/,
    );
    expect(storeRequests.length).toBeGreaterThan(before);
  });

  it('a store URL that does not parse is an error whose text never carries the store password', async () => {
    const args = await withPolicy(
      policies({ storeSecret: true }).replace(`storeURL: ${storeUrl}`, `storeURL: "${storeUrl}/sig\\x01"`),
    );
    const { json } = await admission([...args, ref('signed')]);
    const d = json.results[0]!.decisions[0]!;
    expect(d.allowed).toBe(false);
    expect(d.message).toMatch(
      /^simple: Invalid signature storage URL http:\/\/sigreader:xxxxx@127\.0\.0\.1:/,
    );
    const text = JSON.stringify(json);
    for (const form of [
      STORE_PASSWORD,
      encodeURIComponent(STORE_PASSWORD),
      Buffer.from(STORE_PASSWORD).toString('base64'),
    ])
      expect(text).not.toContain(form);
  });

  it('mutateImage: false keeps the tag', async () => {
    const args = await withPolicy(policies({ storeSecret: true, mutate: false }));
    const { json } = await admission([...args, ref('signed')]);
    expect(json.results[0]!.decisions[0]!.checks.find((c) => c.kind === 'mutate-image')!.detail).toMatch(
      /^mutateImage: false/,
    );
  });

  it('cannot tell when the registry cannot be verified from here (no CA) or --offline', async () => {
    const args = (await withPolicy(policies({ storeSecret: true }))).slice(0, 4);
    const noCa = await admission([...args, ref('signed')]);
    expect(noCa.json.results[0]!.allowed).toBeNull();
    expect(noCa.code).toBe(0);
    const offline = await admission([...args, '--offline', '--strict', ref('signed')]);
    expect(offline.json.results[0]!.decisions[0]!.checks.find((c) => c.kind === 'simple')!.outcome).toBe(
      'unknown',
    );
    expect(offline.code).toBe(1);
  });
});

describe('admission and the pull through a mirror', () => {
  it('an allow-list naming the mirror refuses the source name CRI-O would pull from the mirror', async () => {
    const root = path.join(signing.dir, 'node');
    await writeNodeRoot(root, {
      '/etc/containers/registries.conf': `[[registry]]\nprefix = "${reg.host}/lab"\nlocation = "${reg.host}/lab"\n[[registry.mirror]]\nlocation = "${mirror.host}/lab"\ninsecure = true\n`,
    });
    const gkDir = path.join(signing.dir, 'gk');
    await mkdir(gkDir, { recursive: true });
    await writeFile(
      path.join(gkDir, 'constraint.yaml'),
      `apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sAllowedRepos\nmetadata: {name: only-mirror}\nspec:\n  match: {kinds: [{apiGroups: [""], kinds: [Pod]}]}\n  parameters: {repos: ["${mirror.host}/"]}\n`,
    );
    const { code, json } = await admission(['--policies', gkDir, '--root', root, ref('signed')]);
    const r = json.results[0]!;
    expect(r.decisions[0]!.message).toBe(
      `[only-mirror] container <app> has an invalid image repo <${ref('signed')}>, allowed repos are ["${mirror.host}/"]`,
    );
    expect(r.notes).toEqual([
      `Gatekeeper checks ${ref('signed')} as written in the pod spec; CRI-O pulls it from ${mirror.host}/lab/app:signed first, a host the allow-list never sees`,
      expect.stringContaining(
        `naming the mirror ${mirror.host}/lab/app:signed in the pod spec would pass only-mirror`,
      ),
    ]);
    expect(code).toBe(1);
  });
});
