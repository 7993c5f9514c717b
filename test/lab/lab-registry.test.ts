// The embedded lab against the real clients: skopeo (containers/image 5.23, Go's crypto/x509 and
// net/http) reads the in-process registries over TLS with certificates made by src/lab/x509.ts,
// through Basic and Bearer auth, and verifies the lab's GPG simple signatures with gpgme.
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage } from '../../src/lab/oci.js';
import { RegistryServer, type LabAuth } from '../../src/lab/registry-server.js';
import { createGpgSigner } from '../../src/lab/signing.js';
import { createCertificateAuthority } from '../../src/lab/x509.js';

const run = promisify(execFile);
const ca = createCertificateAuthority('lab test CA');
const image = buildImage('lab registry test');
const user = { username: 'reader', password: 'lab-test-password' };
/** Every directory this file makes, removed at the end. */
const scratch: string[] = [];
function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}
const certDir = scratchDir('mirrorscope-lab-certs-');
writeFileSync(path.join(certDir, 'ca.crt'), ca.certificate.pem);
const servers: RegistryServer[] = [];

async function serve(auth: LabAuth): Promise<string> {
  const c = ca.issue(['127.0.0.1']);
  const server = new RegistryServer({ name: 'lab.invalid', auth, tls: { cert: c.pem, key: c.keyPem } });
  server.put('team/app', image, ['1.0']);
  servers.push(server);
  return `127.0.0.1:${await server.listen()}`;
}

let open = '';
let basic = '';
let bearer = '';
beforeAll(async () => {
  [open, basic, bearer] = await Promise.all([
    serve({ type: 'none' }),
    serve({ type: 'basic', realm: 'lab', users: [user] }),
    serve({ type: 'bearer', service: 'lab', users: [user], publicRepos: [] }),
  ]);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

async function skopeo(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('skopeo', args, { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** `skopeo inspect --raw` of team/app:1.0 on `host`, trusting the lab CA; `creds` null: --no-creds. */
function inspect(host: string, creds: string | null) {
  return skopeo(
    'inspect',
    '--raw',
    '--cert-dir',
    certDir,
    ...(creds === null ? ['--no-creds'] : ['--creds', creds]),
    `docker://${host}/team/app:1.0`,
  );
}

describe('lab registries, read by skopeo', () => {
  it('serves the manifest by tag and by digest over TLS from the lab CA (Go verifies the certificate)', async () => {
    const byTag = await skopeo('inspect', '--raw', '--cert-dir', certDir, `docker://${open}/team/app:1.0`);
    expect(byTag.stderr).toBe('');
    expect(byTag.stdout).toBe(image.manifest.toString());
    const byDigest = await skopeo(
      'inspect',
      '--raw',
      '--cert-dir',
      certDir,
      `docker://${open}/team/app@${image.digest}`,
    );
    expect(byDigest.stdout).toBe(image.manifest.toString());
  });

  it('without the CA, Go refuses the certificate', async () => {
    const r = await skopeo('inspect', '--raw', `docker://${open}/team/app:1.0`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('x509: certificate signed by unknown authority');
  });

  it('lists tags and copies the image with its blobs (config, layer) intact', async () => {
    const tags = await skopeo('list-tags', '--cert-dir', certDir, `docker://${open}/team/app`);
    expect(JSON.parse(tags.stdout)).toEqual({ Repository: `${open}/team/app`, Tags: ['1.0'] });
    const dir = path.join(scratchDir('mirrorscope-lab-copy-'), 'out');
    const copy = await skopeo(
      'copy',
      '--src-cert-dir',
      certDir,
      `docker://${open}/team/app:1.0`,
      `dir:${dir}`,
    );
    expect(copy.code, copy.stderr).toBe(0);
  });

  it('Basic auth: the right credentials pass, none are refused as c/image words it', async () => {
    const ok = await inspect(basic, `${user.username}:${user.password}`);
    expect(ok.stdout).toBe(image.manifest.toString());
    const refused = await inspect(basic, null);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('authentication required');
  });

  it('Bearer auth: a token from the realm for users; anonymous clients are denied the private repo', async () => {
    const ok = await inspect(bearer, `${user.username}:${user.password}`);
    expect(ok.stdout).toBe(image.manifest.toString());
    const wrong = await inspect(bearer, `${user.username}:wrong`);
    expect(wrong.stderr).toContain('unable to retrieve auth token: invalid username/password');
    const anonymous = await inspect(bearer, null);
    expect(anonymous.stderr).toContain('requested access to the resource is denied');
  });
});

describe('lab GPG signatures, verified by gpgme', () => {
  it('skopeo standalone-verify accepts the signature for its identity and digest', async () => {
    const signer = await createGpgSigner('Lab Test Signer', 'signer@lab.test');
    const home = scratchDir('mirrorscope-gnupg-');
    mkdirSync(home, { recursive: true, mode: 0o700 });
    const keyFile = path.join(home, 'key.gpg');
    writeFileSync(keyFile, signer.publicKey);
    const env = { ...process.env, GNUPGHOME: home };
    await run('gpg', ['--batch', '--import', keyFile], { env });
    const { stdout } = await run('gpg', ['--batch', '--with-colons', '--list-keys'], { env });
    const fingerprint = /^fpr:+([0-9A-F]+):/m.exec(stdout)![1]!;
    const identity = 'quay.io/team/app:1.0';
    const sigFile = path.join(home, 'signature-1');
    writeFileSync(sigFile, await signer.sign(identity, image.digest));
    const manifestFile = path.join(home, 'manifest.json');
    writeFileSync(manifestFile, image.manifest);
    try {
      const ok = await run('skopeo', ['standalone-verify', manifestFile, identity, fingerprint, sigFile], {
        env,
      });
      expect(ok.stdout).toBe(`Signature verified, digest ${image.digest}
`);
      await expect(
        run('skopeo', ['standalone-verify', manifestFile, 'quay.io/team/other:1.0', fingerprint, sigFile], {
          env,
        }),
      ).rejects.toThrow(/not accepted|does not match/);
    } finally {
      await run('gpgconf', ['--kill', 'gpg-agent'], { env }).catch(() => undefined);
    }
  });
});

describe('lab registry protocol details (as distribution 2.8 answers)', () => {
  async function get(
    host: string,
    pathname: string,
    headers: Record<string, string> = {},
    method = 'GET',
  ): Promise<{ status: number; headers: Headers; body: string }> {
    const https = await import('node:https');
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: Number(host.split(':')[1]),
          path: pathname,
          method,
          headers,
          ca: ca.certificate.pem,
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: new Headers(res.headers as Record<string, string>),
              body,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  }
  const OCI = 'application/vnd.oci.image.manifest.v1+json';

  it('an OCI manifest asked for without the OCI type in Accept is "unknown", by tag and by digest', async () => {
    for (const ref of ['1.0', image.digest]) {
      const r = await get(open, `/v2/team/app/manifests/${ref}`, {
        Accept: 'application/vnd.docker.distribution.manifest.v2+json',
      });
      expect(r.status).toBe(404);
      expect(JSON.parse(r.body)).toEqual({
        errors: [
          {
            code: 'MANIFEST_UNKNOWN',
            message: 'OCI manifest found, but accept header does not support OCI manifests',
            detail: null,
          },
        ],
      });
    }
    const ok = await get(open, '/v2/team/app/manifests/1.0', { Accept: OCI }, 'HEAD');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('docker-content-digest')).toBe(image.digest);
    expect(ok.headers.get('content-length')).toBe(String(image.manifest.length));
    expect(ok.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });

  it('unknown tag, unknown repository, unknown blob, writes', async () => {
    expect(JSON.parse((await get(open, '/v2/team/app/manifests/nope', { Accept: OCI })).body)).toEqual({
      errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'nope' } }],
    });
    const tags = await get(open, '/v2/team/none/tags/list');
    expect(tags.status).toBe(404);
    expect(tags.body).toContain('NAME_UNKNOWN');
    const blob = await get(open, `/v2/team/app/blobs/sha256:${'0'.repeat(64)}`);
    expect(blob.status).toBe(404);
    expect(blob.body).toContain('BLOB_UNKNOWN');
    const push = await get(open, '/v2/team/app/blobs/uploads/', {}, 'POST');
    expect(push.status).toBe(405);
    expect(push.body).toContain('UNSUPPORTED');
  });

  it('Bearer challenges: the realm on the name used, the scope, insufficient_scope for a token without it', async () => {
    const ping = await get(bearer, '/v2/');
    expect(ping.status).toBe(401);
    expect(ping.headers.get('www-authenticate')).toBe(`Bearer realm="https://${bearer}/token",service="lab"`);
    const anonymous = await get(bearer, '/v2/team/app/manifests/1.0', { Accept: OCI });
    expect(anonymous.headers.get('www-authenticate')).toBe(
      `Bearer realm="https://${bearer}/token",service="lab",scope="repository:team/app:pull"`,
    );
    const token = (
      JSON.parse((await get(bearer, '/token?service=lab&scope=repository:team/app:pull')).body) as {
        token: string;
      }
    ).token;
    const denied = await get(bearer, '/v2/team/app/manifests/1.0', {
      Accept: OCI,
      Authorization: `Bearer ${token}`,
    });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    const garbage = await get(bearer, '/v2/', { Authorization: 'Bearer nope' });
    expect(garbage.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});
