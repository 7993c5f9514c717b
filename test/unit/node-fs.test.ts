// The node file reader on real files: --root as a wall (chroot semantics), non-regular files refused
// without a blocking read, the size limit, and errors that name the node path and never the content.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readlinkSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { MirrorscopeError } from '../../src/core/errors.js';
import { readAuthFileSlot } from '../../src/host/auth-files.js';
import { findCertsDir } from '../../src/host/certs-d.js';
import { MAX_FILE_BYTES, readLocalFile } from '../../src/host/node-fs.js';
import { NodeRoot } from '../../src/host/node-root.js';
import { loadPolicyFile } from '../../src/host/policy-files.js';
import { loadNodeRegistries } from '../../src/host/registries-files.js';
import { keyLoaderFor } from '../../src/signatures/key-loader.js';

const OUTSIDE_SECRET = 'OUTSIDE-THE-ROOT-0123456789';

let base: string;
let rootDir: string;
let root: NodeRoot;

function put(nodePath: string, text: string): string {
  const real = path.join(rootDir, nodePath);
  mkdirSync(path.dirname(real), { recursive: true });
  writeFileSync(real, text);
  return real;
}

function link(nodePath: string, target: string): void {
  const real = path.join(rootDir, nodePath);
  mkdirSync(path.dirname(real), { recursive: true });
  symlinkSync(target, real);
}

async function rejection(p: Promise<unknown>): Promise<MirrorscopeError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof MirrorscopeError) return err;
    throw err;
  }
  throw new Error('expected a MirrorscopeError');
}

beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'mirrorscope-nodefs-'));
  rootDir = path.join(base, 'root');
  mkdirSync(rootDir);
  // A file next to the root, as /etc/shadow would be for a root at /host.
  writeFileSync(path.join(base, 'outside.json'), `{"auths":{"x":{"auth":"${OUTSIDE_SECRET}"}}}`);
  mkdirSync(path.join(base, 'etc', 'containers'), { recursive: true });
  writeFileSync(path.join(base, 'etc', 'containers', 'registries.conf'), `# ${OUTSIDE_SECRET}\n`);
  root = new NodeRoot(rootDir);
});

describe('--root is a wall (chroot semantics)', () => {
  it('takes an absolute symlink target from the root, not from this machine', async () => {
    put('/srv/real.conf', 'unqualified-search-registries = ["inside.example"]\n');
    link('/etc/containers/registries.conf', '/srv/real.conf');
    const loaded = await loadNodeRegistries(root);
    expect(loaded.config.unqualifiedSearchRegistries).toEqual(['inside.example']);
  });

  it('never climbs above the root with .. in a relative symlink', async () => {
    // ../../../outside.json from /etc/containers is the root's /outside.json, which does not exist.
    link('/etc/containers/policy.json', '../../../../../../outside.json');
    const err = await rejection(
      loadPolicyFile(root, { path: '/etc/containers/policy.json', chosenBy: null, reason: 'default' }),
    );
    expect(err.message).toContain('does not exist');
    expect(err.message).not.toContain(OUTSIDE_SECRET);
    expect(await root.readFile('/etc/containers/policy.json')).toBeNull();
  });

  it('an absolute symlink to a path that exists only outside the root is missing', async () => {
    link('/etc/containers/registries.conf', path.join(base, 'etc/containers/registries.conf'));
    expect(await root.readFile('/etc/containers/registries.conf')).toBeNull();
  });

  it('resolves .. in node paths (global_auth_file, key paths) inside the root', async () => {
    put('/outside.json', '{"auths":{}}');
    // As in the kernel, every directory named before a `..` must exist.
    mkdirSync(path.join(rootDir, 'var/lib/kubelet'), { recursive: true });
    mkdirSync(path.join(rootDir, 'etc/pki'), { recursive: true });
    const slot = await readAuthFileSlot(root, {
      path: '/var/lib/kubelet/../../../../outside.json',
      why: 'test',
      external: false,
    });
    // The root's own /outside.json, not the file next to the root.
    expect(slot.file?.auths).toEqual([]);
    const load = keyLoaderFor(root);
    const key = await load({ kind: 'keyPath', path: '/etc/pki/../../../../outside.json', line: 1 });
    if (!key.ok) throw new Error(key.error);
    expect(Buffer.from(key.blobs[0]!).toString()).toBe('{"auths":{}}');
  });

  it('follows chains of symlinks through directories, within the root', async () => {
    put('/data/conf/registries.conf', 'unqualified-search-registries = ["chained.example"]\n');
    link('/etc/containers', '/data/conf');
    link('/data/conf/registries.conf.d', '../../nowhere');
    const loaded = await loadNodeRegistries(root);
    expect(loaded.config.unqualifiedSearchRegistries).toEqual(['chained.example']);
  });

  it('a symlink loop is an error naming the node path', async () => {
    link('/etc/containers/registries.conf', 'loop-b');
    link('/etc/containers/loop-b', 'registries.conf');
    const err = await rejection(root.readFile('/etc/containers/registries.conf'));
    expect(err.message).toBe(
      '/etc/containers/registries.conf: cannot open it: too many levels of symbolic links',
    );
  });
});

describe('files that are not regular files', () => {
  it('refuses a FIFO without blocking (no writer ever opens it)', async () => {
    mkdirSync(path.join(rootDir, 'etc/containers'), { recursive: true });
    execFileSync('mkfifo', [path.join(rootDir, 'etc/containers/registries.conf')]);
    const err = await rejection(root.readFile('/etc/containers/registries.conf'));
    expect(err.message).toBe(
      '/etc/containers/registries.conf: is a FIFO, not a regular file: mirrorscope does not read it',
    );
    expect(err.location).toEqual({ file: '/etc/containers/registries.conf', line: null });
  });

  it('refuses a FIFO reached through a symlink, and one named on the command line', async () => {
    execFileSync('mkfifo', [path.join(base, 'fifo')]);
    put('/dev/placeholder', '');
    execFileSync('mkfifo', [path.join(rootDir, 'dev/fifo')]);
    link('/etc/containers/registries.conf', '/dev/fifo');
    await expect(root.readFile('/etc/containers/registries.conf')).rejects.toThrow(/is a FIFO/);
    await expect(readLocalFile(path.join(base, 'fifo'))).rejects.toThrow(/is a FIFO/);
  });

  it('a directory where a file is expected is an error (EISDIR), as os.ReadFile', async () => {
    mkdirSync(path.join(rootDir, 'etc/containers/certs.d/reg.example:5000/ca.crt'), { recursive: true });
    const err = await rejection(findCertsDir(root, 'reg.example:5000'));
    expect(err.message).toBe('/etc/containers/certs.d/reg.example:5000/ca.crt: is a directory, not a file');
    expect(err.upstream).toBe('read /etc/containers/certs.d/reg.example:5000/ca.crt: is a directory');
  });

  it('refuses a file over the size limit without reading it', async () => {
    const real = put('/etc/containers/registries.conf', '');
    truncateSync(real, MAX_FILE_BYTES + 1); // sparse: no 16 MiB written
    const err = await rejection(root.readFile('/etc/containers/registries.conf'));
    expect(err.message).toBe(
      '/etc/containers/registries.conf: is larger than 16 MiB, the most mirrorscope reads from one file',
    );
    truncateSync(real, MAX_FILE_BYTES);
    expect((await root.readFile('/etc/containers/registries.conf'))?.length).toBe(MAX_FILE_BYTES);
  });

  it('a file named on the command line may be relative to the working directory', async () => {
    mkdirSync(path.join(process.cwd(), 'test/.artifacts'), { recursive: true });
    const dir = mkdtempSync(path.join(process.cwd(), 'test/.artifacts/nodefs-'));
    writeFileSync(path.join(dir, 'local.json'), '{}');
    const relative = path.relative(process.cwd(), path.join(dir, 'local.json'));
    expect(relative.startsWith('test/')).toBe(true);
    expect((await readLocalFile(relative))?.toString()).toBe('{}');
  });

  it('a dangling symlink reads as missing', async () => {
    link('/etc/containers/registries.conf', '/nowhere');
    expect(await root.readFile('/etc/containers/registries.conf')).toBeNull();
  });
});

describe('resolution against the kernel (random symlink trees)', () => {
  const DIRS = ['a', 'a/b', 'a/b/c', 'd', 'd/e'];
  const FILES = ['a/f1', 'a/b/f2', 'd/e/f3', 'f4'];

  /** A random tree of directories, files and symlinks below rootDir; returns the symlink paths. */
  function randomTree(rng: () => number, relativeOnly: boolean): string[] {
    for (const d of DIRS) mkdirSync(path.join(rootDir, d), { recursive: true });
    for (const f of FILES) writeFileSync(path.join(rootDir, f), f);
    const links: string[] = [];
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
    for (let i = 0; i < 8; i++) {
      const at = `${pick(DIRS)}/l${i}`;
      const target = pick([...DIRS, ...FILES, 'nowhere', `l${(i + 1) % 8}`]);
      const depth = at.split('/').length - 1;
      // Relative targets that stay inside the root, so the kernel's answer is the chroot's answer;
      // otherwise anything: absolute, or climbing far above the root.
      const climb = relativeOnly ? depth : depth + Math.floor(rng() * 4);
      const text = !relativeOnly && rng() < 0.4 ? `/${target}` : `${'../'.repeat(climb)}${target}`;
      symlinkSync(text, path.join(rootDir, at));
      links.push(at);
    }
    return links;
  }

  it('matches realpath where the two must agree, and never leaves the root', async () => {
    const { realpath } = await import('node:fs/promises');
    const { rmSync } = await import('node:fs');
    const { prng } = await import('../support/mutate.js');
    const rng = prng(2026);
    for (let round = 0; round < 40; round++) {
      rmSync(rootDir, { recursive: true, force: true });
      mkdirSync(rootDir);
      const relativeOnly = round % 2 === 0;
      const links = randomTree(rng, relativeOnly);
      for (const link of links) {
        for (const suffix of ['', '/f2', '/../f4', '/c/..']) {
          const nodePath = `/${link}${suffix}`;
          let ours: Awaited<ReturnType<NodeRoot['resolve']>> | 'error';
          try {
            ours = await root.resolve(nodePath);
          } catch {
            ours = 'error'; // a loop
          }
          if (ours !== 'error' && ours.kind !== 'missing') {
            expect(ours.real === rootDir || ours.real.startsWith(`${rootDir}/`), nodePath).toBe(true);
          }
          if (!relativeOnly) continue;
          // Concatenated, not path.join: that would fold `l0/..` lexically, which the kernel does not.
          const kernel = await realpath(`${rootDir}${nodePath}`).catch(
            (err: NodeJS.ErrnoException) => err.code,
          );
          if (ours === 'error') expect(kernel, nodePath).toBe('ELOOP');
          else if (ours.kind === 'missing') expect(['ENOENT', 'ENOTDIR'], nodePath).toContain(kernel);
          else expect(ours.real, `${nodePath} (${readlinkSync(path.join(rootDir, link))})`).toBe(kernel);
        }
      }
    }
  });
});
