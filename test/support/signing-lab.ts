// GPG keys, `skopeo copy --sign-by` pushes and a lookaside HTTP server for signature tests.
// Everything lives below one temp directory; `stop()` ends the gpg-agent and the servers.
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface GpgKey {
  readonly fingerprint: string;
  /** Binary public key export. */
  readonly publicKeyFile: string;
}

export class SigningLab {
  private readonly servers: http.Server[] = [];

  private constructor(
    readonly dir: string,
    readonly gnupgHome: string,
  ) {}

  static async create(): Promise<SigningLab> {
    const dir = await mkdtemp(path.join(tmpdir(), 'mirrorscope-sig-'));
    const gnupgHome = path.join(dir, 'gnupg');
    await mkdir(gnupgHome, { mode: 0o700 });
    return new SigningLab(dir, gnupgHome);
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, GNUPGHOME: this.gnupgHome };
  }

  async generateKey(name: string): Promise<GpgKey> {
    const email = `${name.toLowerCase()}@lab.test`;
    await exec(
      'gpg',
      ['--batch', '--passphrase', '', '--quick-gen-key', `${name} <${email}>`, 'ed25519', 'sign', 'never'],
      {
        env: this.env,
      },
    );
    const { stdout } = await exec('gpg', ['--list-secret-keys', '--with-colons', email], { env: this.env });
    const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(stdout)?.[1];
    if (fingerprint === undefined) throw new Error(`no fingerprint for ${name}`);
    const publicKeyFile = path.join(this.dir, `${name.toLowerCase()}.pub.gpg`);
    await exec('gpg', ['--batch', '--yes', '--output', publicKeyFile, '--export', fingerprint], {
      env: this.env,
    });
    return { fingerprint, publicKeyFile };
  }

  /** `skopeo copy --sign-by`: the signature goes to the lookaside-staging that `registriesD` names. */
  async pushSigned(source: string, dest: string, key: GpgKey, registriesD: string): Promise<void> {
    await exec(
      'skopeo',
      [
        '--registries.d',
        registriesD,
        'copy',
        '--quiet',
        '--sign-by',
        key.fingerprint,
        source,
        dest,
        '--dest-tls-verify=false',
      ],
      { env: this.env, timeout: 60_000 },
    );
  }

  /** `skopeo standalone-sign`: a signature claiming any identity, over the given manifest file. */
  async standaloneSign(manifestFile: string, identity: string, key: GpgKey, out: string): Promise<void> {
    await exec('skopeo', ['standalone-sign', manifestFile, identity, key.fingerprint, '-o', out], {
      env: this.env,
    });
  }

  /** A static file server on 127.0.0.1:0 for `root`; `status` answers every request with that status. */
  async serve(root: string, status?: number): Promise<{ url: string; requests: string[] }> {
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push(url.pathname);
      if (status !== undefined) {
        res.writeHead(status).end('no');
        return;
      }
      const file = path.join(root, decodeURIComponent(url.pathname));
      if (!file.startsWith(root)) {
        res.writeHead(403).end();
        return;
      }
      stat(file).then(
        (s) => {
          if (!s.isFile()) throw new Error('not a file');
          res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
          createReadStream(file).pipe(res);
        },
        () => res.writeHead(404).end('not found'),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.servers.push(server);
    const { port } = server.address() as { port: number };
    return { url: `http://127.0.0.1:${port}`, requests };
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    await exec('gpgconf', ['--homedir', this.gnupgHome, '--kill', 'gpg-agent'], { env: this.env }).catch(
      () => undefined,
    );
    await rm(this.dir, { recursive: true, force: true });
  }
}
