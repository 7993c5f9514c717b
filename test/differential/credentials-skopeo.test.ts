// Where credentials go on redirects and token realms: Debian skopeo 1.9 (containers/image 5.23, Go's
// http.Client of Go 1.19) against the same hostile servers on 127.0.0.1 as mirrorscope's prober. Where
// they agree the test says so; where mirrorscope deliberately withholds what Go sends (a plain-http
// token realm on another host) both sides are asserted, so the documented difference
// (docs/credentials.md) is the observed one.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Credentials } from '../../src/core/credentials/secret.js';
import { ProbeFailure, RegistryClient } from '../../src/probe/registry-client.js';
import {
  ownRealmRegistry,
  serveManifest,
  startHostileServer,
  type Handler,
  type HostileServer,
} from '../support/hostile-registry.js';

const USER = 'robot';
const PASSWORD = 'Diff-pa55word-4410';
const IDENTITY_TOKEN = 'Diff-identity-token-8812';
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

const started: HostileServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

async function server(handler: Handler): Promise<HostileServer> {
  const s = await startHostileServer(handler);
  started.push(s);
  return s;
}

type Creds = { username: string; password: string } | { identityToken: string };

/** `skopeo inspect --raw` with an auth file holding `creds` for `host`; its stderr. */
function skopeo(host: string, creds: Creds): Promise<{ ok: boolean; stderr: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mirrorscope-skopeo-auth-'));
  const file = path.join(dir, 'auth.json');
  const entry =
    'identityToken' in creds
      ? { auth: Buffer.from('<token>:').toString('base64'), identitytoken: creds.identityToken }
      : { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') };
  writeFileSync(file, JSON.stringify({ auths: { [host]: entry } }));
  return new Promise((resolve) => {
    execFile(
      'skopeo',
      ['inspect', '--raw', '--tls-verify=false', '--authfile', file, `docker://${host}/lab/app:v1`],
      { timeout: 30_000 },
      (err, _stdout, stderr) => resolve({ ok: err === null, stderr }),
    );
  });
}

/** mirrorscope's prober for the same source; the outcome and reason. */
async function mirrorscope(host: string, creds: Creds): Promise<{ outcome: string; reason: string }> {
  const client = new RegistryClient({
    host,
    insecure: true,
    tls: { dir: null, cas: [], clientCert: null, clientKey: null },
    credentials: new Credentials({
      username: 'username' in creds ? creds.username : '<token>',
      password: 'password' in creds ? creds.password : '',
      identityToken: 'identityToken' in creds ? creds.identityToken : '',
    }),
    credentialsFound: true,
    timeoutMs: 5000,
    userAgent: 'mirrorscope-test',
  });
  try {
    return (await client.manifest('lab/app', 'v1', 'GET', () => {})).classified;
  } catch (err) {
    if (err instanceof ProbeFailure) return err.classified;
    throw err;
  } finally {
    client.close();
  }
}

/** What a server saw, without the noise of TLS probes. */
function requests(s: HostileServer): { method: string; authorization?: string; body: string }[] {
  return s.seen.map((r) => ({
    method: r.method,
    ...(r.authorization !== undefined ? { authorization: r.authorization } : {}),
    body: r.body,
  }));
}

describe('credentials across redirects and realms: mirrorscope vs skopeo (containers/image 5.23)', () => {
  it('identity token, realm answers 307 to another host: neither follows; the token goes nowhere else', async () => {
    const other = await server((_req, res) => res.writeHead(200).end('{"token":"stolen"}'));
    const reg = await server(
      ownRealmRegistry(
        (_req, res) => res.writeHead(307, { Location: `http://localhost:${other.port}/token` }).end(),
        serveManifest,
      ),
    );
    const sk = await skopeo(reg.host, { identityToken: IDENTITY_TOKEN });
    expect(sk.ok).toBe(false);
    expect(sk.stderr).toMatch(/invalid status code from registry 307/);
    expect(other.seen).toEqual([]);
    const ours = await mirrorscope(reg.host, { identityToken: IDENTITY_TOKEN });
    expect(ours.reason).toMatch(/Trying to obtain access token: invalid status code from registry 307/);
    expect(other.seen).toEqual([]);
  });

  it('identity token, realm answers 302 to another host: both send a GET without the body there', async () => {
    const other = await server((_req, res) => res.writeHead(400).end('{"error":"invalid_request"}'));
    const reg = await server(
      ownRealmRegistry(
        (_req, res) => res.writeHead(302, { Location: `http://localhost:${other.port}/x` }).end(),
        serveManifest,
      ),
    );
    await skopeo(reg.host, { identityToken: IDENTITY_TOKEN });
    const theirs = requests(other);
    other.seen.length = 0;
    await mirrorscope(reg.host, { identityToken: IDENTITY_TOKEN });
    expect(theirs).toEqual([{ method: 'GET', body: '' }]);
    expect(requests(other)).toEqual(theirs);
  });

  it('Basic, manifest redirected to another host name: both drop Authorization there', async () => {
    const other = await server((_req, res) => res.writeHead(404).end());
    const handler: Handler = (req, res) => {
      if (req.url === '/v2/') res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"' }).end();
      else res.writeHead(302, { Location: `http://localhost:${other.port}${req.url!}` }).end();
    };
    const reg = await server(handler);
    const creds = { username: USER, password: PASSWORD };
    await skopeo(reg.host, creds);
    const theirs = requests(other);
    other.seen.length = 0;
    await mirrorscope(reg.host, creds);
    expect(theirs.length).toBeGreaterThan(0);
    expect(theirs.every((r) => r.authorization === undefined)).toBe(true);
    expect(requests(other)).toEqual(theirs.slice(0, requests(other).length));
    expect(requests(other).every((r) => r.authorization === undefined)).toBe(true);
  });

  it('Basic, manifest redirected to another port of the same host: both drop Authorization (Go 1.19 compares host:port)', async () => {
    const other = await server(serveManifest);
    const reg = await server((req, res) => {
      if (req.url === '/v2/') res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"' }).end();
      else res.writeHead(307, { Location: `http://127.0.0.1:${other.port}${req.url!}` }).end();
    });
    const creds = { username: USER, password: PASSWORD };
    const sk = await skopeo(reg.host, creds);
    expect(sk.ok, sk.stderr).toBe(true);
    const theirs = requests(other);
    other.seen.length = 0;
    const ours = await mirrorscope(reg.host, creds);
    expect(ours.outcome).toBe('found');
    expect(theirs).toEqual([{ method: 'GET', body: '' }]);
    expect(requests(other)).toEqual(theirs);
  });

  it('Basic, plain-http realm on another host: Go sends the credentials there, mirrorscope does not', async () => {
    const realm = await server((_req, res) => res.writeHead(200).end('{"token":"t"}'));
    const reg = await server((req, res) => {
      if (req.url === '/v2/')
        res
          .writeHead(401, {
            'WWW-Authenticate': `Bearer realm="http://localhost:${realm.port}/token",service="svc"`,
          })
          .end();
      else serveManifest(req, res, '');
    });
    const creds = { username: USER, password: PASSWORD };
    const sk = await skopeo(reg.host, creds);
    expect(sk.ok).toBe(true);
    expect(realm.seen[0]?.authorization).toBe(BASIC);
    realm.seen.length = 0;
    const ours = await mirrorscope(reg.host, creds);
    expect(realm.seen).toEqual([]);
    expect(ours).toMatchObject({ outcome: 'error', reason: expect.stringMatching(/plain http/) });
  });
});
