// The prober against a hostile registry on 127.0.0.1: every way a registry can stall or flood it is
// bounded, and credentials go only where containers/image sends them (docker/docker_client.go at
// v5.23.1 a3bfb869 and v5.36.1 dc805b9e; redirects by Go's http.Client), never further.
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Credentials } from '../../src/core/credentials/secret.js';
import { TransportError } from '../../src/probe/http-request.js';
import { keepsAuthorization, redirectDecision } from '../../src/probe/redirect-policy.js';
import { parseLookasideUrl } from '../../src/core/signatures/registries-d-lookup.js';
import { NodeRoot } from '../../src/host/node-root.js';
import { createSignatureHttp, type FetchBudget } from '../../src/signatures/http-get.js';
import { readLookaside } from '../../src/signatures/lookaside-reader.js';
import {
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENT_LAYERS,
  readSigstoreAttachments,
  type SignatureRegistryAccess,
} from '../../src/signatures/registry-signatures.js';
import {
  ProbeFailure,
  RegistryClient,
  type ProbeStep,
  type RegistryClientConfig,
} from '../../src/probe/registry-client.js';
import {
  dripForever,
  ownRealmRegistry,
  serveManifest,
  startHostileServer,
  startSilentListener,
  streamFiller,
  type Handler,
  type HostileServer,
} from '../support/hostile-registry.js';
import { makeServerCertificate, type TestTls } from '../support/test-ca.js';

const PASSWORD = 'Pl4nted-pa55word-7731';
const IDENTITY_TOKEN = 'Pl4nted-identity-token-9044';
const BASIC = `Basic ${Buffer.from(`robot:${PASSWORD}`).toString('base64')}`;

let tlsMaterial: TestTls;
const started: { stop(): Promise<void> }[] = [];

beforeAll(() => {
  tlsMaterial = makeServerCertificate();
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

afterAll(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

async function server(handler: Handler, tls = false): Promise<HostileServer> {
  const s = await startHostileServer(handler, tls ? tlsMaterial : undefined);
  started.push(s);
  return s;
}

/** A registry: `/v2/` answers with `challenge` (none: 200), everything else goes to `rest`. */
function registry(challenge: string | null, rest: Handler): Handler {
  return (req, res, body) => {
    if (req.url === '/v2/') {
      if (challenge === null) res.writeHead(200).end('{}');
      else res.writeHead(401, { 'WWW-Authenticate': challenge }).end();
      return;
    }
    rest(req, res, body);
  };
}

interface ClientOptions {
  readonly credentials?: { username?: string; password?: string; identityToken?: string };
  readonly timeoutMs?: number;
  readonly insecure?: boolean;
}

function client(host: string, options: ClientOptions = {}): RegistryClient {
  const c = options.credentials;
  const config: RegistryClientConfig = {
    host,
    insecure: options.insecure ?? true,
    tls: {
      dir: null,
      cas: [{ file: '/etc/containers/certs.d/test/ca.crt', pem: Buffer.from(tlsMaterial.ca) }],
      clientCert: null,
      clientKey: null,
    },
    credentials:
      c === undefined
        ? Credentials.anonymous
        : new Credentials({
            username: c.username ?? '',
            password: c.password ?? '',
            identityToken: c.identityToken ?? '',
          }),
    credentialsFound: c !== undefined,
    timeoutMs: options.timeoutMs ?? 3000,
    userAgent: 'mirrorscope-test',
  };
  const made = new RegistryClient(config);
  started.push({ stop: async () => made.close() });
  return made;
}

interface Probed {
  readonly outcome: string;
  readonly reason: string;
  readonly ms: number;
  readonly steps: ProbeStep[];
}

async function probe(c: RegistryClient, method: 'GET' | 'HEAD' = 'GET'): Promise<Probed> {
  const steps: ProbeStep[] = [];
  const start = performance.now();
  try {
    const answer = await c.manifest('lab/app', 'v1', method, (s) => steps.push(s));
    return { ...answer.classified, ms: performance.now() - start, steps };
  } catch (err) {
    if (!(err instanceof ProbeFailure)) throw err;
    return { ...err.classified, ms: performance.now() - start, steps };
  }
}

function expectNoSecret(p: Probed): void {
  const text = JSON.stringify(p);
  for (const s of [PASSWORD, IDENTITY_TOKEN, BASIC.slice(6)]) expect(text).not.toContain(s);
}

describe('a hostile registry cannot stall the prober', () => {
  it('a TLS handshake that never completes ends at the deadline', async () => {
    const silent = await startSilentListener();
    started.push(silent);
    const p = await probe(client(silent.host, { timeoutMs: 300, insecure: false }));
    expect(p).toMatchObject({ outcome: 'timeout', reason: expect.stringMatching(/within 300 ms/) });
    expect(p.ms).toBeLessThan(2000);
  });

  it('response headers that never come end at the deadline', async () => {
    const s = await server(registry(null, () => {}));
    const p = await probe(client(s.host, { timeoutMs: 300 }));
    expect(p).toMatchObject({ outcome: 'timeout', reason: expect.stringMatching(/within 300 ms/) });
    expect(p.ms).toBeLessThan(2000);
  });

  it('a body that trickles forever ends at the deadline', async () => {
    const s = await server(
      registry(null, (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' });
        dripForever(res, 20);
      }),
    );
    const p = await probe(client(s.host, { timeoutMs: 400 }));
    expect(p.outcome).toBe('timeout');
    expect(p.ms).toBeLessThan(2000);
  });

  it('one deadline covers a whole redirect chain, however slow each hop', async () => {
    const s = await server(
      registry(null, (req, res) => {
        setTimeout(() => res.writeHead(302, { Location: `${req.url!}x` }).end(), 150);
      }),
    );
    const p = await probe(client(s.host, { timeoutMs: 500 }));
    expect(p).toMatchObject({ outcome: 'timeout', reason: expect.stringMatching(/within 500 ms/) });
    expect(p.ms).toBeLessThan(1500);
    expect(s.seen.filter((r) => r.url !== '/v2/').length).toBeLessThanOrEqual(4);
  });

  it('a redirect loop stops after 10 redirects (11 requests), as Go does', async () => {
    const s = await server(registry(null, (req, res) => res.writeHead(307, { Location: req.url }).end()));
    const p = await probe(client(s.host));
    expect(p).toMatchObject({
      outcome: 'error',
      reason: expect.stringMatching(/stopped after 10 redirects/),
    });
    expect(s.seen.filter((r) => r.url.includes('/manifests/'))).toHaveLength(11);
  });

  it('a huge manifest fails at 4 MiB without reading the rest', async () => {
    const s = await server(
      registry(null, (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' });
        streamFiller(res, 512 * 1024 * 1024);
      }),
    );
    const p = await probe(client(s.host));
    expect(p).toMatchObject({ outcome: 'error', reason: expect.stringMatching(/larger than 4194304 bytes/) });
    expect(p.ms).toBeLessThan(3000);
  });

  it('a huge error body is cut at 64 KiB and the status still classifies', async () => {
    const s = await server(
      registry(null, (_req, res) => {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        streamFiller(res, 512 * 1024 * 1024);
      }),
    );
    const c = client(s.host);
    const p = await probe(c);
    expect(p.outcome).toBe('manifest-unknown');
    expect(p.ms).toBeLessThan(3000);
    const answer = await c.get('lab/app', '/v2/lab/app/blobs/sha256:00', 4 << 20, () => {});
    expect(answer.status).toBe(404);
    expect(answer.body.length).toBeLessThanOrEqual(64 * 1024);
  });

  it('a huge token answer fails at 1 MiB (c/image MaxAuthTokenBodySize)', async () => {
    const realm = await server((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      streamFiller(res, 512 * 1024 * 1024);
    });
    const s = await server(registry(`Bearer realm="${realm.origin}/token",service="x"`, serveManifest));
    const p = await probe(client(s.host));
    expect(p).toMatchObject({ outcome: 'error', reason: expect.stringMatching(/larger than 1048576 bytes/) });
  });

  it('a huge signature body fails at the cap the caller gives', async () => {
    const s = await server(
      registry(null, (_req, res) => {
        res.writeHead(200);
        streamFiller(res, 512 * 1024 * 1024);
      }),
    );
    const c = client(s.host);
    const err = await c
      .get('lab/app', '/extensions/v2/lab/app/signatures/sha256:00', 4 << 20, () => {})
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('BODY_TOO_LARGE');
  });
});

describe('sigstore attachments a hostile registry lists', () => {
  /** A registry whose attachment manifest lists `layers` blobs of `blobBytes` each (digests valid). */
  function access(layers: number, blobBytes: number): SignatureRegistryAccess & { gets: number } {
    const blob = (i: number) => Buffer.alloc(blobBytes, i % 256);
    const digests = new Map<string, number>();
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      layers: Array.from({ length: layers }, (_, i) => {
        const digest = `sha256:${createHash('sha256').update(blob(i)).digest('hex')}`;
        digests.set(digest, i);
        return { mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest, size: blobBytes };
      }),
    });
    const a = {
      host: '127.0.0.1:1',
      gets: 0,
      supportsSignatureExtension: async () => false,
      manifest: async () => ({
        status: 200,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        bytes: new Uint8Array(Buffer.from(manifest)),
      }),
      get: async (_repo: string, path: string) => {
        a.gets++;
        return { status: 200, body: new Uint8Array(blob(digests.get(path.split('/').at(-1)!) ?? 0)) };
      },
    };
    return a;
  }

  it(`more than ${MAX_ATTACHMENT_LAYERS} layers are refused before any is fetched`, async () => {
    const a = access(MAX_ATTACHMENT_LAYERS + 1, 10);
    await expect(readSigstoreAttachments(a, 'lab/app', `sha256:${'a'.repeat(64)}`)).rejects.toThrow(
      /lists 129 layers; mirrorscope reads at most 128/,
    );
    expect(a.gets).toBe(0);
  });

  it('attachment fetches share one budget for the image', async () => {
    const a = access(50, 16);
    const slow = {
      ...a,
      get: async (repo: string, path: string) => {
        await new Promise((r) => setTimeout(r, 50));
        return a.get(repo, path);
      },
    };
    await expect(
      readSigstoreAttachments(slow, 'lab/app', `sha256:${'a'.repeat(64)}`, {
        deadline: performance.now() + 200,
        ms: 200,
      }),
    ).rejects.toThrow(/took more than 200 ms in all/);
    expect(a.gets).toBeLessThan(10);
  });

  it(`fetching stops once the attachments pass ${MAX_ATTACHMENT_BYTES} bytes in all`, async () => {
    const a = access(10, 4 << 20);
    await expect(readSigstoreAttachments(a, 'lab/app', `sha256:${'a'.repeat(64)}`)).rejects.toThrow(
      /exceed 33554432 bytes in all/,
    );
    expect(a.gets).toBe(MAX_ATTACHMENT_BYTES / (4 << 20) + 1);
  });
});

describe('a hostile lookaside signature server', () => {
  const DIGEST = `sha256:${'a'.repeat(64)}`;
  /** readLookaside of `${origin}/sigs` with a fresh signature client. */
  async function lookaside(origin: string, budget: FetchBudget | null = null) {
    const http = createSignatureHttp({ timeoutMs: 5000 });
    try {
      return await readLookaside(
        parseLookasideUrl(`${origin}/sigs`),
        DIGEST,
        new NodeRoot('/'),
        http,
        budget,
      );
    } finally {
      http.close();
    }
  }

  it('signature bodies stop at 32 MiB in all (c/image would read up to 128 of 4 MiB each)', async () => {
    const s = await server((_req, res) => res.writeHead(200).end(Buffer.alloc(4 << 20, 0xa0)));
    await expect(lookaside(s.origin)).rejects.toThrow(/exceed 33554432 bytes in all/);
    expect(s.seen).toHaveLength(9);
  });

  it('signatures that each come just in time share one budget for the image', async () => {
    const s = await server((_req, res) => {
      setTimeout(() => res.writeHead(200).end(Buffer.from([0xa3, 0x01, 0x02])), 100);
    });
    const start = performance.now();
    await expect(lookaside(s.origin, { deadline: performance.now() + 450, ms: 450 })).rejects.toThrow(
      /took more than 450 ms in all/,
    );
    expect(s.seen.length).toBeLessThan(10);
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it('redirects are followed as c/image follows them (getOneSignature uses its http.Client); loops stop at 10', async () => {
    const blob = Buffer.from([0xa3, 0x01, 0x02]);
    const cdn = await server((req, res) =>
      req.url === '/blob-1' ? res.writeHead(200).end(blob) : res.writeHead(404).end(),
    );
    const s = await server((req, res) => {
      const n = /signature-(\d+)$/.exec(req.url!)?.[1];
      res.writeHead(302, { Location: `http://localhost:${cdn.port}/blob-${n}` }).end();
    });
    const loop = await server((req, res) => res.writeHead(307, { Location: req.url }).end());
    expect((await lookaside(s.origin)).blobs.map((b) => Buffer.from(b))).toEqual([blob]);
    await expect(lookaside(loop.origin)).rejects.toThrow(/stopped after 10 redirects/);
    expect(loop.seen).toHaveLength(11);
  });

  it('credentials in the store URL follow a relative redirect (Go ResolveReference keeps the user) but no other host', async () => {
    const s = await server((req, res) => {
      if (req.url === '/blob-1') res.writeHead(200).end(Buffer.from([0xa3, 0x01, 0x02]));
      else if (req.url!.endsWith('signature-1')) res.writeHead(302, { Location: '/blob-1' }).end();
      else if (req.url!.endsWith('signature-2'))
        res.writeHead(302, { Location: `http://localhost:${s.port}/blob-2` }).end();
      else res.writeHead(404).end();
    });
    const read = await lookaside(`http://store:${encodeURIComponent(PASSWORD)}@${s.host}`);
    expect(read.blobs).toHaveLength(1);
    expect(read.urls.join(' ')).not.toContain(PASSWORD);
    const basic = `Basic ${Buffer.from(`store:${PASSWORD}`).toString('base64')}`;
    const auth = (path: string) => s.seen.find((r) => r.url.endsWith(path))?.authorization;
    expect([auth('signature-1'), auth('/blob-1'), auth('signature-2'), auth('/blob-2')]).toEqual([
      basic,
      basic,
      basic,
      undefined,
    ]);
  });

  it('a signature body over 4 MiB fails (c/image MaxSignatureBodySize)', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200);
      streamFiller(res, 512 * 1024 * 1024);
    });
    await expect(lookaside(s.origin)).rejects.toThrow(/larger than 4194304 bytes/);
  });
});

describe('credentials go where containers/image sends them, never further', () => {
  it('Basic: a redirect to another host name drops Authorization (Go keeps it only for the host or a subdomain)', async () => {
    const other = await server((_req, res) => res.writeHead(404).end());
    const s = await server(
      registry('Basic realm="r"', (req, res) =>
        res.writeHead(302, { Location: `http://localhost:${other.port}${req.url!}` }).end(),
      ),
    );
    const p = await probe(client(s.host, { credentials: { username: 'robot', password: PASSWORD } }));
    expect(s.seen.find((r) => r.url.includes('/manifests/'))?.authorization).toBe(BASIC);
    expect(other.seen.length).toBeGreaterThan(0);
    for (const r of other.seen) expect(r.authorization).toBeUndefined();
    expect(p.outcome).toBe('manifest-unknown');
    expect(p.steps.some((x) => /without Authorization: another host or port/.test(x.message))).toBe(true);
    expectNoSecret(p);
  });

  it('once dropped, Authorization stays dropped: not restored when the chain comes back (Go since CVE-2024-45336)', async () => {
    let port = 0;
    const other = await server((_req, res) =>
      res.writeHead(302, { Location: `http://127.0.0.1:${port}/back` }).end(),
    );
    const s = await server(
      registry('Basic realm="r"', (req, res, body) => {
        if (req.url === '/back') serveManifest(req, res, body);
        else res.writeHead(302, { Location: `http://localhost:${other.port}/away` }).end();
      }),
    );
    port = s.port;
    const p = await probe(client(s.host, { credentials: { username: 'robot', password: PASSWORD } }));
    expect(p.outcome).toBe('found');
    expect(s.seen.find((r) => r.url.includes('/manifests/'))?.authorization).toBe(BASIC);
    expect(other.seen[0]?.authorization).toBeUndefined();
    expect(s.seen.find((r) => r.url === '/back')?.authorization).toBeUndefined();
  });

  it.each([
    ['with credentials', { username: 'robot', password: PASSWORD }],
    ['without credentials', undefined],
  ] as const)(
    'a redirect to another port of the same host drops Authorization (Go 1.19 compares host:port), %s',
    async (_what, credentials) => {
      const other = await server(serveManifest);
      const s = await server(
        registry('Basic realm="r"', (req, res) =>
          res.writeHead(307, { Location: `http://127.0.0.1:${other.port}${req.url!}` }).end(),
        ),
      );
      const p = await probe(client(s.host, credentials === undefined ? {} : { credentials }));
      expect(p.outcome).toBe('found');
      expect(other.seen.length).toBeGreaterThan(0);
      for (const r of other.seen) expect(r.authorization).toBeUndefined();
      expectNoSecret(p);
    },
  );

  it('a plain-http token realm on another host gets no credentials: nothing is sent to it', async () => {
    const realm = await server((_req, res) => res.writeHead(200).end('{"token":"t"}'));
    const s = await server(
      registry(`Bearer realm="http://localhost:${realm.port}/token",service="x"`, serveManifest),
    );
    for (const credentials of [
      { username: 'robot', password: PASSWORD },
      { identityToken: IDENTITY_TOKEN },
    ]) {
      const p = await probe(client(s.host, { credentials }));
      expect(p).toMatchObject({
        outcome: 'error',
        reason: expect.stringMatching(/token realm http:\/\/localhost:\d+\/token is plain http/),
      });
      expectNoSecret(p);
    }
    expect(realm.seen).toHaveLength(0);
  });

  it('anonymous token requests go to any realm (no secret in them)', async () => {
    const realm = await server((_req, res) => res.writeHead(200).end('{"token":"anon"}'));
    const s = await server(
      registry(`Bearer realm="http://localhost:${realm.port}/token",service="x"`, serveManifest),
    );
    const p = await probe(client(s.host));
    expect(p.outcome).toBe('found');
    expect(realm.seen[0]).toMatchObject({ method: 'GET', authorization: undefined });
    expect(s.seen.find((r) => r.url.includes('/manifests/'))?.authorization).toBe('Bearer anon');
  });

  it('an https token realm on another host gets Basic credentials, as c/image sends them (docker.io: auth.docker.io)', async () => {
    const realm = await server((_req, res) => res.writeHead(200).end('{"token":"granted"}'), true);
    const s = await server(registry(`Bearer realm="${realm.origin}/token",service="svc"`, serveManifest));
    const p = await probe(client(s.host, { credentials: { username: 'robot', password: PASSWORD } }));
    expect(p.outcome).toBe('found');
    expect(realm.seen[0]).toMatchObject({ method: 'GET', authorization: BASIC });
    expect(realm.seen[0]!.url).toMatch(/account=robot&service=svc&scope=repository%3Alab%2Fapp%3Apull/);
    expect(s.seen.find((r) => r.url.includes('/manifests/'))?.authorization).toBe('Bearer granted');
  });

  it('identity token: the realm on the registry host gets the refresh_token POST (c/image getBearerTokenOAuth2)', async () => {
    const realmHits: { body: string; contentType: string | undefined }[] = [];
    const s = await server(
      ownRealmRegistry((req, res, body) => {
        realmHits.push({ body, contentType: req.headers['content-type'] });
        res.writeHead(200).end('{"access_token":"from-refresh"}');
      }, serveManifest),
    );
    const p = await probe(client(s.host, { credentials: { identityToken: IDENTITY_TOKEN } }));
    expect(p.outcome).toBe('found');
    expect(realmHits).toHaveLength(1);
    const form = new URLSearchParams(realmHits[0]!.body);
    expect(Object.fromEntries(form)).toMatchObject({
      service: 'svc',
      scope: 'repository:lab/app:pull',
      grant_type: 'refresh_token',
      refresh_token: IDENTITY_TOKEN,
      client_id: 'containers/image',
    });
    expect(realmHits[0]!.contentType).toBe('application/x-www-form-urlencoded');
    expectNoSecret(p);
  });

  it.each([307, 308])(
    'identity token: a %i from the realm is not followed (Go cannot replay the body); nothing reaches the target',
    async (status) => {
      const other = await server((_req, res) => res.writeHead(200).end('{"token":"stolen"}'));
      const s = await server(
        ownRealmRegistry(
          (_req, res) => res.writeHead(status, { Location: `http://localhost:${other.port}/token` }).end(),
          serveManifest,
        ),
      );
      const p = await probe(client(s.host, { credentials: { identityToken: IDENTITY_TOKEN } }));
      expect(other.seen).toHaveLength(0);
      expect(p).toMatchObject({
        outcome: 'error',
        reason: expect.stringMatching(
          new RegExp(`Trying to obtain access token: invalid status code from registry ${status}`),
        ),
      });
      expectNoSecret(p);
    },
  );

  it.each([301, 302, 303])(
    'identity token: a %i from the realm becomes a GET without the body, as in Go; the token never leaves',
    async (status) => {
      const other = await server((_req, res) => res.writeHead(400).end('{"error":"invalid_request"}'));
      const s = await server(
        ownRealmRegistry(
          (_req, res) =>
            res.writeHead(status, { Location: `http://localhost:${other.port}/elsewhere` }).end(),
          serveManifest,
        ),
      );
      const p = await probe(client(s.host, { credentials: { identityToken: IDENTITY_TOKEN } }));
      expect(other.seen).toEqual([
        { method: 'GET', url: '/elsewhere', authorization: undefined, contentType: undefined, body: '' },
      ]);
      expect(p).toMatchObject({
        outcome: 'error',
        reason: expect.stringMatching(/invalid status code from registry 400/),
      });
      expectNoSecret(p);
    },
  );
});

describe('a registry that echoes what it was sent', () => {
  it('Basic: password, user:password and the Basic value in an error body are redacted', async () => {
    const s = await server(
      registry('Basic realm="r"', (req, res) => {
        const errors = [
          {
            code: 'DENIED',
            message: `you sent ${req.headers.authorization} = robot:${PASSWORD} (${PASSWORD})`,
          },
        ];
        res.writeHead(403, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors }));
      }),
    );
    const p = await probe(client(s.host, { credentials: { username: 'robot', password: PASSWORD } }));
    expect(p.outcome).toBe('denied');
    expect(p.reason).toContain('you sent Basic [redacted] = [redacted] ([redacted])');
    expectNoSecret(p);
  });

  it('Bearer: the token it granted, echoed in an error body, is redacted too', async () => {
    const granted = 'Echoed-bearer-token-5521';
    const realm = await server((_req, res) => res.writeHead(200).end(JSON.stringify({ token: granted })));
    const s = await server(
      registry(`Bearer realm="${realm.origin}/token",service="svc"`, (req, res) => {
        const errors = [{ code: 'UNAUTHORIZED', message: `token ${req.headers.authorization} expired` }];
        res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors }));
      }),
    );
    const p = await probe(client(s.host, { credentials: { username: 'robot', password: PASSWORD } }));
    expect(p.outcome).toBe('unauthorized');
    expect(p.reason).toContain('token Bearer [redacted] expired');
    expect(JSON.stringify(p)).not.toContain(granted);
  });
});

describe('redirect policy (Go net/http client.go, as in Go 1.19)', () => {
  const u = (s: string) => new URL(s);
  it('Authorization follows to the same host:port or a subdomain on the same port only', () => {
    const first = u('https://quay.io/v2/x');
    expect(keepsAuthorization(first, u('https://quay.io:443/b'))).toBe(true);
    expect(keepsAuthorization(first, u('https://cdn.quay.io/b'))).toBe(true);
    expect(keepsAuthorization(first, u('https://QUAY.io/b'))).toBe(true);
    expect(keepsAuthorization(first, u('https://evilquay.io/b'))).toBe(false);
    expect(keepsAuthorization(first, u('https://quay.io:8443/b'))).toBe(false);
    expect(keepsAuthorization(first, u('http://quay.io/b'))).toBe(false);
    expect(keepsAuthorization(u('https://cdn.quay.io/x'), u('https://quay.io/b'))).toBe(false);
  });

  it('a secret Authorization is withheld from a same-port downgrade to plain http, where Go would send it', () => {
    const base = { status: 302, method: 'GET' as const, hasBody: false, authorization: 'secret' as const };
    const first = u('https://quay.io:5000/v2/x');
    expect(redirectDecision({ ...base, first, next: u('http://quay.io:5000/b') })).toMatchObject({
      kind: 'withhold',
      reason: expect.stringMatching(/plain http/),
    });
    expect(
      redirectDecision({ ...base, authorization: 'public', first, next: u('http://quay.io:5000/b') }),
    ).toEqual({ kind: 'follow', method: 'GET', keepBody: false, authorization: true });
    expect(redirectDecision({ ...base, first, next: u('https://s3.example.com/b') })).toEqual({
      kind: 'follow',
      method: 'GET',
      keepBody: false,
      authorization: false,
    });
  });

  it('the token POST: 301-303 become a GET without body, 307/308 are not followed', () => {
    const base = { method: 'POST' as const, hasBody: true, authorization: 'none' as const };
    const first = u('https://auth.example.com/token');
    const next = u('https://elsewhere.example.com/token');
    for (const status of [301, 302, 303])
      expect(redirectDecision({ ...base, status, first, next })).toEqual({
        kind: 'follow',
        method: 'GET',
        keepBody: false,
        authorization: false,
      });
    for (const status of [307, 308])
      expect(redirectDecision({ ...base, status, first, next })).toEqual({ kind: 'stop' });
  });
});
