// `mirrorscope trace` on the command line runs from a one-file bundle (dist/cli/trace.cjs) with a code
// cache, because its cold start counts (bench/trace.bench.ts measures it; no timing is asserted here).
// What is guarded: a plain trace (TLS + Basic auth mirror, insecureAcceptAnything) loads none of the
// heavy packages, the bundle answers byte for byte what main() answers in process, also on the paths
// that load a package lazily (registries.d → yaml, signedBy → openpgp), and the code cache is private.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { CLI, REPO } from '../support/cli.js';
import { RECORD_LOADS } from '../support/record-loads.js';
import { buildOciLayout, type BuiltImage } from '../support/oci-image.js';
import { authEntry, RegistryLab, writeNodeRoot, type LabRegistry } from '../support/registry-lab.js';

const USER = { username: 'cold', password: 'cold-start-pass' };
/** Never loaded by a plain trace: parsers, crypto and the agent/collector stack. */
const HEAVY = ['yaml', 'openpgp', 'pino', 'ws', 'prom-client', '@kubernetes/client-node', 'execa'];

let lab: RegistryLab;
let image: BuiltImage;
let src: LabRegistry;
let mirror: LabRegistry;
let ref: string;
let work: string;
let plainRoot: string;
let signedRoot: string;
let badRoot: string;
let preload: string;

beforeAll(async () => {
  lab = await RegistryLab.create();
  work = await mkdtemp(path.join(tmpdir(), 'mirrorscope-cold-'));
  preload = path.join(work, 'record-loads.cjs');
  await writeFile(preload, RECORD_LOADS);
  const layout = path.join(lab.dir, 'layout');
  [image] = (await buildOciLayout(layout, [{ tag: 'v1', content: 'cold start' }])) as [BuiltImage];
  [src, mirror] = await Promise.all([
    lab.startRegistry({ name: 'src' }),
    lab.startRegistry({ name: 'tls-basic', tls: true, basic: USER }),
  ]);
  await Promise.all([
    lab.push(layout, 'v1', src, 'lab/hello:v1'),
    lab.push(layout, 'v1', mirror, 'lab/hello:v1', USER),
  ]);
  ref = `${src.host}/lab/hello:v1`;
  // The bench's set-up: a TLS + Basic auth mirror in front of the source, the node pull secret.
  const common = {
    '/etc/containers/registries.conf': `[[registry]]\nprefix = "${src.host}/lab"\nlocation = "${src.host}/lab"\ninsecure = true\n[[registry.mirror]]\nlocation = "${mirror.host}/lab"\n`,
    [`/etc/containers/certs.d/${mirror.host}/ca.crt`]: await readFile((await lab.pki()).caCert),
    '/var/lib/kubelet/config.json': JSON.stringify({ auths: { [mirror.host]: authEntry(USER) } }),
  };
  plainRoot = await writeNodeRoot(path.join(lab.dir, 'root-plain'), {
    ...common,
    '/etc/containers/policy.json': '{"default":[{"type":"insecureAcceptAnything"}]}',
  });
  badRoot = await writeNodeRoot(path.join(lab.dir, 'root-bad'), {
    ...common,
    '/etc/containers/registries.conf': '[[registry]\nprefix = "x"\n',
  });
  // signedBy with a lookaside in registries.d: one signature by the policy's key (its payload is not
  // a simple-signing one), one by another key, one cut short; every one goes through openpgp.
  const sign = async (key: openpgp.PrivateKey) =>
    Buffer.from(
      await openpgp.sign({
        message: await openpgp.createMessage({ binary: Buffer.from('{"critical":{}}') }),
        signingKeys: key,
        format: 'binary',
      }),
    );
  const [trusted, other] = await Promise.all(
    ['trusted', 'other'].map((name) =>
      openpgp.generateKey({ type: 'ecc', userIDs: [{ name }], format: 'object' }),
    ),
  );
  const signatures = `/var/lib/sigs/lab/hello@${image.digest.replace(':', '=')}`;
  signedRoot = await writeNodeRoot(path.join(lab.dir, 'root-signed'), {
    ...common,
    '/etc/containers/policy.json': JSON.stringify({
      default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/etc/pki/containers/key.gpg' }],
    }),
    '/etc/pki/containers/key.gpg': trusted!.publicKey.armor(),
    '/etc/containers/registries.d/lab.yaml': 'default-docker:\n  lookaside: file:///var/lib/sigs\n',
    [`${signatures}/signature-1`]: await sign(trusted!.privateKey),
    [`${signatures}/signature-2`]: await sign(other!.privateKey),
    [`${signatures}/signature-3`]: (await sign(other!.privateKey)).subarray(0, 30),
  });
}, 120_000);

afterAll(async () => {
  await lab?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node dist/cli.js trace ARGS`, as a user runs it; `loads` lists what the process loaded. */
function runCliTrace(
  args: readonly string[],
  options: { readonly tmp?: string; readonly record?: boolean } = {},
): Promise<Run & { loads: string[] }> {
  const loadsFile = path.join(work, `loads-${Math.random().toString(36).slice(2)}.txt`);
  const env = {
    ...process.env,
    NO_COLOR: '1',
    TMPDIR: options.tmp ?? path.join(work, 'tmp'),
    MIRRORSCOPE_TEST_LOADS: loadsFile,
  };
  const node = options.record ? ['--require', preload] : [];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...node, CLI, 'trace', ...args],
      { env, cwd: REPO },
      (err, stdout, stderr) => {
        void readFile(loadsFile, 'utf8')
          .catch(() => '')
          .then((text) =>
            resolve({
              code: err ? (typeof err.code === 'number' ? err.code : 1) : 0,
              stdout,
              stderr,
              loads: text.split('\n').filter((l) => l !== ''),
            }),
          );
      },
    );
  });
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** The same command through main(), in this process, from src/. */
async function inProcess(args: readonly string[]): Promise<Run> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(['trace', ...args], { stdout, stderr, env: {}, isTTY: false });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Step durations are the only thing that differs from run to run. */
function timeless(text: string): string {
  return text.replace(/ \(\d+(\.\d+)? ms\)/g, ' (N ms)').replace(/"durationMs": [\d.]+/g, '"durationMs": N');
}

function packagesIn(loads: readonly string[]): string[] {
  return HEAVY.filter((name) => loads.some((l) => l.includes(`/node_modules/${name}/`)));
}

describe('cold start of mirrorscope trace', () => {
  it('a plain trace runs from the bundle and loads none of the heavy packages', async () => {
    await mkdir(path.join(work, 'tmp'), { recursive: true });
    const run = await runCliTrace(['--root', plainRoot, ref], { record: true });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`PULLED from ${mirror.host}/lab/hello:v1 ${image.digest}`);
    expect(run.loads.some((l) => l.endsWith('/dist/cli/bundle-loader.js'))).toBe(true);
    expect(run.loads.filter((l) => l.includes('/dist/cli/main.js'))).toEqual([]);
    expect(packagesIn(run.loads)).toEqual([]);
  });

  it('loads yaml and openpgp when registries.d and a signedBy requirement need them', async () => {
    const run = await runCliTrace(['--root', signedRoot, ref], { record: true });
    expect(run.stdout).toContain('LiteralDataPacket'); // openpgp's own text, from its ES module
    expect(packagesIn(run.loads)).toEqual(['yaml', 'openpgp']);
  });

  it.each([
    ['plain', () => ['--root', plainRoot, ref]],
    ['plain --json', () => ['--root', plainRoot, '--json', ref]],
    ['signedBy + registries.d', () => ['--root', signedRoot, ref]],
    ['signedBy + registries.d --json', () => ['--root', signedRoot, '--json', ref]],
    ['--help', () => ['--help']],
    ['a usage error', () => ['--root', plainRoot]],
    ['an invalid registries.conf', () => ['--root', badRoot, ref]],
    ['an invalid registries.conf --json', () => ['--root', badRoot, '--json', ref]],
  ])('answers like main() in process: %s', async (_name, args) => {
    const expected = await inProcess(args());
    // Twice: the first run writes the code cache, the second runs from it.
    for (let i = 0; i < 2; i++) {
      const run = await runCliTrace(args());
      expect({ ...run, loads: undefined, stdout: timeless(run.stdout) }).toEqual({
        ...expected,
        loads: undefined,
        stdout: timeless(expected.stdout),
      });
    }
  });

  it('keeps the code cache in a directory of its own, and ignores one others could write to', async () => {
    const uid = process.getuid!();
    const fresh = await mkdtemp(path.join(work, 'fresh-'));
    expect((await runCliTrace(['--root', plainRoot, ref], { tmp: fresh })).code).toBe(0);
    const dir = path.join(fresh, `mirrorscope-compile-cache-${uid}`);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect((await stat(path.join(dir, files[0]!))).mode & 0o777).toBe(0o600);

    const shared = await mkdtemp(path.join(work, 'shared-'));
    const open = path.join(shared, `mirrorscope-compile-cache-${uid}`);
    await mkdir(open);
    await chmod(open, 0o777);
    const run = await runCliTrace(['--root', plainRoot, ref], { tmp: shared });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(await readdir(open)).toEqual([]);
  });
});
