// One in-process registry of the embedded lab: the read side of the registry v2 API as CNCF
// distribution 2.8 serves it — /v2/, manifests by tag and digest (GET and HEAD, Accept honoured),
// blobs, tags/list — behind no auth, Basic auth, or Bearer tokens from its own token endpoint, over
// TLS with a lab certificate. Writes answer 405 UNSUPPORTED: the lab is filled in code at start.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { OciImage } from './oci.js';

export interface LabUser {
  readonly username: string;
  readonly password: string;
}

export type LabAuth =
  | { readonly type: 'none' }
  | { readonly type: 'basic'; readonly realm: string; readonly users: readonly LabUser[] }
  /** Tokens from `https://NAME/token`; anonymous clients get pull on `publicRepos` only. */
  | {
      readonly type: 'bearer';
      readonly service: string;
      readonly users: readonly LabUser[];
      readonly publicRepos: readonly string[];
    };

export interface RegistryServerOptions {
  /** The name clients use (`quay.io`, `mirror.corp.example:5000`): the token realm's host when a request has no usable Host header. */
  readonly name: string;
  readonly auth: LabAuth;
  readonly tls: { readonly cert: string; readonly key: string };
}

interface Repository {
  readonly tags: Map<string, string>;
  readonly manifests: Map<string, OciImage>;
  readonly blobs: Map<string, Buffer>;
}

const API_VERSION = { 'Docker-Distribution-Api-Version': 'registry/2.0' };
const OCI_ACCEPT = 'application/vnd.oci.image.manifest.v1+json';
const TOKEN_LIFETIME_S = 300;

function errorBody(code: string, message: string, detail: unknown = null): string {
  return JSON.stringify({ errors: [{ code, message, detail }] });
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function basicUser(header: string | undefined, users: readonly LabUser[]): LabUser | null {
  if (header === undefined || !header.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return null;
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  return users.find((u) => u.username === username && sameSecret(u.password, password)) ?? null;
}

export class RegistryServer {
  private readonly repos = new Map<string, Repository>();
  private readonly tokens = new Map<string, { repos: Set<string>; expires: number }>();
  private server: https.Server | null = null;

  constructor(readonly options: RegistryServerOptions) {}

  /** Stores an image in `repo`, under `tags` too (a tag already there moves). */
  put(repo: string, image: OciImage, tags: readonly string[] = []): void {
    let r = this.repos.get(repo);
    if (r === undefined) {
      r = { tags: new Map(), manifests: new Map(), blobs: new Map() };
      this.repos.set(repo, r);
    }
    r.manifests.set(image.digest, image);
    for (const b of image.blobs) r.blobs.set(b.digest, b.bytes);
    for (const t of tags) r.tags.set(t, image.digest);
  }

  async listen(): Promise<number> {
    const server = https.createServer(
      { cert: this.options.tls.cert, key: this.options.tls.key },
      (req, res) => this.handle(req, res),
    );
    // Keep-alive sockets must not hold the lab open when it stops.
    server.keepAliveTimeout = 5000;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
    });
  }

  close(): Promise<void> {
    const server = this.server;
    if (server === null) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://lab.invalid');
    const send = (status: number, headers: Record<string, string>, body?: string | Buffer) => {
      const payload = body === undefined ? undefined : Buffer.from(body);
      res.writeHead(status, {
        ...API_VERSION,
        ...headers,
        ...(payload !== undefined ? { 'Content-Length': String(payload.length) } : {}),
      });
      res.end(req.method === 'HEAD' ? undefined : payload);
    };
    const json = (status: number, body: string, headers: Record<string, string> = {}) =>
      send(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }, body);

    if (url.pathname === '/token' && this.options.auth.type === 'bearer') return this.token(req, url, json);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return json(405, errorBody('UNSUPPORTED', 'The operation is unsupported.'));
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      if (!this.authorized(req, null, json)) return;
      return json(200, '{}');
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs|tags)\/([^/]+)$/.exec(url.pathname);
    if (!m) return send(404, { 'Content-Type': 'text/plain; charset=utf-8' }, '404 page not found\n');
    const [, name, kind, ref] = m as unknown as [string, string, string, string];
    if (!this.authorized(req, name, json)) return;
    const repo = this.repos.get(name);
    if (kind === 'tags') {
      if (ref !== 'list' || repo === undefined || repo.tags.size === 0)
        return json(404, errorBody('NAME_UNKNOWN', 'repository name not known to registry', { name }));
      return json(200, JSON.stringify({ name, tags: [...repo.tags.keys()].sort() }));
    }
    if (kind === 'blobs') {
      const bytes = repo?.blobs.get(ref);
      if (bytes === undefined) return json(404, errorBody('BLOB_UNKNOWN', 'blob unknown to registry', ref));
      return send(200, { 'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': ref }, bytes);
    }
    const digest = ref.startsWith('sha256:') ? ref : repo?.tags.get(ref);
    const image = digest === undefined ? undefined : repo?.manifests.get(digest);
    if (image === undefined) {
      const detail = ref.startsWith('sha256:') ? { Name: name, Revision: ref } : { Tag: ref };
      return json(404, errorBody('MANIFEST_UNKNOWN', 'manifest unknown', detail));
    }
    const accept = req.headers.accept ?? '';
    if (image.mediaType === OCI_ACCEPT && !accept.includes(OCI_ACCEPT))
      return json(
        404,
        errorBody('MANIFEST_UNKNOWN', 'OCI manifest found, but accept header does not support OCI manifests'),
      );
    return send(
      200,
      {
        'Content-Type': image.mediaType,
        'Docker-Content-Digest': image.digest,
        Etag: `"${image.digest}"`,
      },
      image.manifest,
    );
  }

  /** true when the request may go on; otherwise the 401 has been sent. */
  private authorized(
    req: http.IncomingMessage,
    repo: string | null,
    json: (status: number, body: string, headers?: Record<string, string>) => void,
  ): boolean {
    const auth = this.options.auth;
    if (auth.type === 'none') return true;
    const detail = repo === null ? null : [{ Type: 'repository', Class: '', Name: repo, Action: 'pull' }];
    const unauthorized = (challenge: string) =>
      json(401, errorBody('UNAUTHORIZED', 'authentication required', detail), {
        'WWW-Authenticate': challenge,
      });
    if (auth.type === 'basic') {
      if (basicUser(req.headers.authorization, auth.users) !== null) return true;
      unauthorized(`Basic realm="${auth.realm}"`);
      return false;
    }
    // The realm is on the name the client used (what it verified the certificate against).
    const host = /^[\w.-]+(:\d+)?$|^\[[\w:.]+\](:\d+)?$/.test(req.headers.host ?? '')
      ? req.headers.host!
      : this.options.name;
    const realm = `realm="https://${host}/token",service="${auth.service}"`;
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? this.tokens.get(header.slice(7)) : undefined;
    if (header.startsWith('Bearer ') && (token === undefined || token.expires < Date.now())) {
      unauthorized(`Bearer ${realm},error="invalid_token"`);
      return false;
    }
    if (repo === null) {
      if (token !== undefined) return true;
      unauthorized(`Bearer ${realm}`);
      return false;
    }
    if (token?.repos.has(repo)) return true;
    const scope = `scope="repository:${repo}:pull"`;
    unauthorized(
      token === undefined
        ? `Bearer ${realm},${scope}`
        : `Bearer ${realm},${scope},error="insufficient_scope"`,
    );
    return false;
  }

  /** The token endpoint: valid users get pull on what they ask for, anonymous clients on public repos. */
  private token(
    req: http.IncomingMessage,
    url: URL,
    json: (status: number, body: string, headers?: Record<string, string>) => void,
  ): void {
    const auth = this.options.auth;
    if (auth.type !== 'bearer') return;
    const header = req.headers.authorization;
    const user = basicUser(header, auth.users);
    if (header !== undefined && user === null) {
      json(401, JSON.stringify({ details: 'incorrect username or password' }));
      return;
    }
    const repos = new Set<string>();
    for (const scope of url.searchParams.getAll('scope').flatMap((s) => s.split(' '))) {
      const [type, name, actions] = scope.split(':');
      if (type !== 'repository' || name === undefined || !actions?.split(',').includes('pull')) continue;
      if (user !== null || auth.publicRepos.includes(name)) repos.add(name);
    }
    const now = Date.now();
    // `npm start` serves for hours: expired tokens go.
    for (const [t, grant] of this.tokens) if (grant.expires < now) this.tokens.delete(t);
    const token = randomBytes(24).toString('hex');
    this.tokens.set(token, { repos, expires: now + TOKEN_LIFETIME_S * 1000 });
    json(
      200,
      JSON.stringify({
        token,
        access_token: token,
        expires_in: TOKEN_LIFETIME_S,
        issued_at: new Date().toISOString(),
      }),
    );
  }
}
