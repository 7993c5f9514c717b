// A registry lab on 127.0.0.1 for integration tests and benchmarks: real `docker-registry` instances
// (plain HTTP, TLS with a test CA, htpasswd Basic auth, Bearer token auth), a small token server, a
// hostile registry for robustness tests, and `skopeo copy` pushes of OCI layouts built in Node.
// Every process and server it starts is stopped by `stop()`; nothing listens outside 127.0.0.1.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, randomUUID, sign } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LabRegistry {
  readonly name: string;
  /** `127.0.0.1:PORT` */
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly auth: 'none' | 'basic' | 'token';
  /** The registry's storage root (filesystem driver), to break it on purpose. */
  readonly dataDir: string;
  stop(): Promise<void>;
}

export interface LabUser {
  readonly username: string;
  readonly password: string;
}

export interface RegistryOptions {
  readonly name: string;
  readonly tls?: boolean;
  readonly basic?: LabUser;
  readonly token?: TokenServer;
}

export interface Pki {
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
}

export interface TokenServer {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  readonly certFile: string;
  /** How many token requests were served (to check caching). */
  readonly requests: () => number;
  stop(): Promise<void>;
}

export type HostileBehaviour =
  | 'slow'
  | 'huge-body'
  | 'redirect-loop'
  | 'invalid-json'
  | 'huge-headers'
  | 'bad-token-json'
  | 'drop-mid-body';

export interface HostileRegistry {
  readonly host: string;
  readonly behaviour: HostileBehaviour;
  stop(): Promise<void>;
}

/** base32 (RFC 4648, no padding). */
function base32(data: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** The libtrust key ID docker-registry expects in a token's `kid`. */
export function libtrustKeyId(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  const b32 = base32(createHash('sha256').update(der).digest().subarray(0, 30));
  return b32.match(/.{4}/g)!.join(':');
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** bcrypt hash for htpasswd, without apache2-utils: Python's crypt (libxcrypt) at the lowest cost. */
async function bcryptHash(password: string): Promise<string> {
  const { stdout } = await run('/usr/bin/python3', [
    '-W',
    'ignore',
    '-c',
    'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=32)))',
    password,
  ]);
  return stdout.trim();
}

export class RegistryLab {
  private readonly processes: ChildProcess[] = [];
  private readonly servers: http.Server[] = [];
  private pkiPromise: Promise<Pki> | null = null;
  private counter = 0;

  private constructor(readonly dir: string) {}

  static async create(): Promise<RegistryLab> {
    return new RegistryLab(await mkdtemp(path.join(tmpdir(), 'mirrorscope-lab-')));
  }

  private async subdir(name: string): Promise<string> {
    const d = path.join(this.dir, `${name}-${++this.counter}`);
    await mkdir(d, { recursive: true });
    return d;
  }

  /** A test CA and a server certificate for 127.0.0.1/localhost, made once per lab with openssl. */
  pki(): Promise<Pki> {
    this.pkiPromise ??= (async () => {
      const d = await this.subdir('pki');
      const f = (n: string) => path.join(d, n);
      await run('openssl', [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        f('ca.key'),
        '-out',
        f('ca.crt'),
        '-days',
        '30',
        '-subj',
        '/CN=mirrorscope-lab-ca',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ]);
      await run('openssl', [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        f('server.key'),
        '-out',
        f('server.csr'),
        '-subj',
        '/CN=localhost',
      ]);
      await writeFile(
        f('server.ext'),
        'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
      );
      await run('openssl', [
        'x509',
        '-req',
        '-in',
        f('server.csr'),
        '-CA',
        f('ca.crt'),
        '-CAkey',
        f('ca.key'),
        '-CAcreateserial',
        '-out',
        f('server.crt'),
        '-days',
        '30',
        '-extfile',
        f('server.ext'),
      ]);
      return { caCert: f('ca.crt'), serverCert: f('server.crt'), serverKey: f('server.key') };
    })();
    return this.pkiPromise;
  }

  async startRegistry(options: RegistryOptions): Promise<LabRegistry> {
    const d = await this.subdir(`registry-${options.name}`);
    const lines = [
      'version: 0.1',
      'log:',
      '  level: info',
      'storage:',
      `  filesystem: {rootdirectory: ${JSON.stringify(path.join(d, 'data'))}}`,
      '  delete: {enabled: true}',
      'http:',
      '  addr: 127.0.0.1:0',
      '  secret: lab-not-secret',
      'health:',
      '  storagedriver: {enabled: false}',
    ];
    if (options.tls) {
      const pki = await this.pki();
      lines.splice(
        lines.indexOf('health:'),
        0,
        '  tls:',
        `    certificate: ${JSON.stringify(pki.serverCert)}`,
        `    key: ${JSON.stringify(pki.serverKey)}`,
      );
    }
    if (options.basic) {
      const file = path.join(d, 'htpasswd');
      await writeFile(file, `${options.basic.username}:${await bcryptHash(options.basic.password)}\n`);
      lines.push('auth:', '  htpasswd:', '    realm: lab-basic-realm', `    path: ${JSON.stringify(file)}`);
    } else if (options.token) {
      const t = options.token;
      lines.push(
        'auth:',
        '  token:',
        `    realm: ${t.realm}`,
        `    service: ${t.service}`,
        `    issuer: ${t.issuer}`,
        `    rootcertbundle: ${JSON.stringify(t.certFile)}`,
      );
    }
    const config = path.join(d, 'config.yml');
    await writeFile(config, `${lines.join('\n')}\n`);
    const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.processes.push(child);
    const port = await new Promise<number>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(
        () => reject(new Error(`docker-registry ${options.name} did not start:\n${log}`)),
        15_000,
      );
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`docker-registry ${options.name} exited (${code}):\n${log}`));
      });
    });
    // Keep draining the log so the registry never blocks on a full pipe.
    child.stdout!.resume();
    child.stderr!.resume();
    return {
      name: options.name,
      host: `127.0.0.1:${port}`,
      port,
      tls: options.tls === true,
      auth: options.basic ? 'basic' : options.token ? 'token' : 'none',
      dataDir: path.join(d, 'data'),
      stop: () => this.kill(child),
    };
  }

  private kill(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }

  /**
   * A Bearer token server: valid users get the actions they ask for, anonymous clients get a token
   * with no access (the registry then answers insufficient_scope), wrong passwords get 401.
   */
  async startTokenServer(users: readonly LabUser[], service = 'lab-registry'): Promise<TokenServer> {
    const d = await this.subdir('token');
    const keyFile = path.join(d, 'token.key');
    const certFile = path.join(d, 'token.crt');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '30',
      '-subj',
      '/CN=lab-token-issuer',
    ]);
    const key = createPrivateKey(await readFile(keyFile));
    const kid = libtrustKeyId(createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString());
    const issuer = 'lab-token-issuer';
    let requests = 0;
    const server = http.createServer((req, res) => {
      requests++;
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const header = req.headers.authorization ?? '';
      let user: LabUser | null = null;
      if (header.startsWith('Basic ')) {
        const [u, ...p] = Buffer.from(header.slice(6), 'base64').toString().split(':');
        user = users.find((x) => x.username === u && x.password === p.join(':')) ?? null;
        if (user === null) {
          res
            .writeHead(401, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ details: 'bad credentials' }));
          return;
        }
      }
      const access = url.searchParams.getAll('scope').flatMap((scope) => {
        const [type, name, actions] = scope.split(':');
        return user && type && name && actions ? [{ type, name, actions: actions.split(',') }] : [];
      });
      const nowS = Math.floor(Date.now() / 1000);
      const head = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid }));
      const claims = b64url(
        JSON.stringify({
          iss: issuer,
          sub: user?.username ?? '',
          aud: url.searchParams.get('service') ?? service,
          exp: nowS + 300,
          nbf: nowS - 10,
          iat: nowS,
          jti: randomUUID(),
          access,
        }),
      );
      const signature = b64url(sign('RSA-SHA256', Buffer.from(`${head}.${claims}`), key));
      const token = `${head}.${claims}.${signature}`;
      const body = JSON.stringify({
        token,
        access_token: token,
        expires_in: 300,
        issued_at: new Date().toISOString(),
      });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(body);
    });
    this.servers.push(server);
    const port = await listen(server);
    return {
      realm: `http://127.0.0.1:${port}/token`,
      service,
      issuer,
      certFile,
      requests: () => requests,
      stop: () => closeServer(server),
    };
  }

  /** A plain-HTTP "registry" that misbehaves in one way; the ping itself answers normally. */
  async startHostile(behaviour: HostileBehaviour): Promise<HostileRegistry> {
    const server = http.createServer((req, res) => {
      const url = req.url ?? '/';
      if (url === '/v2/' || url === '/v2') {
        if (behaviour === 'bad-token-json') {
          const port = (server.address() as net.AddressInfo).port;
          res
            .writeHead(401, {
              'WWW-Authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="hostile"`,
            })
            .end();
          return;
        }
        res
          .writeHead(200, {
            'Content-Type': 'application/json',
            'Docker-Distribution-Api-Version': 'registry/2.0',
          })
          .end('{}');
        return;
      }
      if (url.startsWith('/token')) {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"token": not json');
        return;
      }
      const manifestHeaders = {
        'Content-Type': 'application/vnd.oci.image.manifest.v1+json',
        'Docker-Content-Digest': `sha256:${'0'.repeat(64)}`,
      };
      switch (behaviour) {
        case 'slow':
          return; // never answers; the client's deadline must fire
        case 'redirect-loop':
          res.writeHead(302, { Location: url }).end();
          return;
        case 'huge-headers':
          res.writeHead(200, { ...manifestHeaders, 'X-Padding': 'x'.repeat(200_000) }).end();
          return;
        case 'invalid-json':
          res
            .writeHead(200, manifestHeaders)
            .end(req.method === 'HEAD' ? undefined : '{"schemaVersion": 2, oops');
          return;
        case 'drop-mid-body':
          res.writeHead(200, { ...manifestHeaders, 'Content-Length': '1000' });
          res.write('{"schemaVersion": 2');
          setTimeout(() => res.socket?.destroy(), 20);
          return;
        case 'huge-body': {
          res.writeHead(200, manifestHeaders);
          if (req.method === 'HEAD') {
            res.end();
            return;
          }
          const chunk = Buffer.alloc(1024 * 1024, 0x20);
          let sent = 0;
          const pump = () => {
            while (sent < 64 && res.write(chunk)) sent++;
            if (sent >= 64) res.end();
            else res.once('drain', pump);
          };
          res.on('close', () => (sent = 64));
          pump();
          return;
        }
        default:
          res.writeHead(404).end();
      }
    });
    this.servers.push(server);
    const port = await listen(server);
    return { host: `127.0.0.1:${port}`, behaviour, stop: () => closeServer(server) };
  }

  /**
   * Deletes a blob's content from the registry's storage, as an interrupted copy or a garbage
   * collection leaves it: manifests that reference it are still served, the blob answers 404.
   */
  async deleteBlob(registry: LabRegistry, digest: string): Promise<void> {
    const hex = digest.slice('sha256:'.length);
    await rm(path.join(registry.dataDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex), {
      recursive: true,
    });
  }

  /** Unlinks a manifest (e.g. one instance of an index) from a repository: it answers 404 by digest. */
  async deleteManifest(registry: LabRegistry, repo: string, digest: string): Promise<void> {
    const hex = digest.slice('sha256:'.length);
    await rm(
      path.join(
        registry.dataDir,
        'docker/registry/v2/repositories',
        repo,
        '_manifests/revisions/sha256',
        hex,
      ),
      { recursive: true },
    );
  }

  /** A port nothing listens on (bound, then released). */
  async deadPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  /** `skopeo copy oci:LAYOUT:TAG docker://HOST/REPO` with the registry's TLS and credentials. */
  async push(
    layout: string,
    tag: string,
    registry: LabRegistry,
    repoRef: string,
    user?: LabUser,
    all = false,
  ): Promise<void> {
    const args = ['copy', '--quiet', `oci:${layout}:${tag}`, `docker://${registry.host}/${repoRef}`];
    if (all) args.push('--all');
    if (registry.tls) {
      const certDir = await this.certDir();
      args.push('--dest-cert-dir', certDir);
    } else args.push('--dest-tls-verify=false');
    if (user) args.push('--dest-creds', `${user.username}:${user.password}`);
    await run('skopeo', args, { timeout: 60_000 });
  }

  /** A skopeo/podman `--cert-dir` holding the lab CA. */
  async certDir(): Promise<string> {
    const pki = await this.pki();
    const d = path.join(this.dir, 'certdir');
    await mkdir(d, { recursive: true });
    await writeFile(path.join(d, 'ca.crt'), await readFile(pki.caCert));
    return d;
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => this.kill(p)));
    await Promise.all(this.servers.filter((s) => s.listening).map((s) => closeServer(s)));
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A node root with the files CRI-O reads, for `--root`. */
export async function writeNodeRoot(
  dir: string,
  files: Readonly<Record<string, string | Buffer>>,
): Promise<string> {
  for (const [nodePath, content] of Object.entries(files)) {
    const real = path.join(dir, nodePath);
    await mkdir(path.dirname(real), { recursive: true });
    await writeFile(real, content);
  }
  return dir;
}

/** An auth file entry value. */
export function authEntry(user: LabUser): { auth: string } {
  return { auth: Buffer.from(`${user.username}:${user.password}`).toString('base64') };
}
