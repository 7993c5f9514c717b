// Hostile files on a node root, through the built CLI: FIFOs, directories and unreadable files where
// configuration is expected. Each is a classified error naming the file, exit 2 (check: a finding,
// exit 1), valid JSON under --json, and nothing blocks. Permission errors are real: the CLI runs as
// an unprivileged user (setpriv) when the tests run as root, where chmod 000 would not stop a read.
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, makeRoot, type CliResult } from '../support/cli.js';

const POLICY = JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] });
// The mirror's port is closed: a trace reads certs.d before it connects, and nothing listens there.
const REGISTRIES = '[[registry]]\nprefix = "quay.io/team"\nlocation = "127.0.0.1:1/team"\n';
const IMAGE = 'quay.io/team/app:v1';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function nodeRoot(files: Record<string, string> = {}): string {
  const root = makeRoot({
    '/etc/containers/registries.conf': REGISTRIES,
    '/etc/containers/policy.json': POLICY,
    ...files,
  });
  roots.push(root);
  return root;
}

function fifo(root: string, nodePath: string): void {
  mkdirSync(path.dirname(path.join(root, nodePath)), { recursive: true });
  execFileSync('mkfifo', [path.join(root, nodePath)]);
}

/** Runs the built CLI, killed after 30 s (a blocked read must fail the test, not outlive it). */
function execCli(command: string, args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { env: { ...process.env, NO_COLOR: '1' }, cwd: '/', timeout: 30_000, killSignal: 'SIGKILL' },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

const runCli = (args: readonly string[]): Promise<CliResult> => execCli(process.execPath, [CLI, ...args]);

/** Runs the CLI as nobody (uid 65534) when we are root, so that file permissions apply. */
function runCliUnprivileged(args: readonly string[]): Promise<CliResult> {
  if (process.getuid?.() !== 0) return runCli(args);
  const drop = ['--reuid=65534', '--regid=65534', '--clear-groups'];
  return execCli('setpriv', [...drop, process.execPath, CLI, ...args]);
}

/** Lets nobody walk into the root (mkdtemp makes it 0700). */
function openToAll(root: string): void {
  chmodSync(root, 0o755);
}

interface CheckFinding {
  id: string;
  severity: string;
  message: string;
  file: string | null;
}

function checkFindings(r: CliResult): CheckFinding[] {
  return (JSON.parse(r.stdout) as { findings: CheckFinding[] }).findings;
}

function resolveError(r: CliResult): { code: string; message: string; file: string } {
  const doc = JSON.parse(r.stdout) as {
    results: { error: { code: string; message: string; file: string } }[];
  };
  return doc.results[0]!.error;
}

describe('non-regular files are refused, never read (no command blocks)', () => {
  it.each([
    ['registries.conf', '/etc/containers/registries.conf'],
    ['a registries.conf.d drop-in', '/etc/containers/registries.conf.d/50-mirror.conf'],
    ['a crio.conf.d drop-in', '/etc/crio/crio.conf.d/10-image'],
  ])('%s that is a FIFO: resolve exits 2 naming it, check reports it', async (_what, nodePath) => {
    const root = nodeRoot();
    if (nodePath === '/etc/containers/registries.conf') rmSync(path.join(root, nodePath));
    fifo(root, nodePath);
    const resolved = await runCli(['resolve', '--root', root, '--json', IMAGE]);
    expect(resolved.code, resolved.stderr).toBe(2);
    expect(resolveError(resolved)).toMatchObject({
      code: 'config-invalid',
      file: nodePath,
      message: `${nodePath}: is a FIFO, not a regular file: mirrorscope does not read it`,
    });
    const checked = await runCli(['check', '--root', root, '--json']);
    expect(checked.code, checked.stderr).toBe(1);
    expect(checkFindings(checked)).toContainEqual(
      expect.objectContaining({ id: 'config-invalid', file: nodePath }),
    );
  });

  it('a registries.d file and policy.json that are FIFOs: check reports both', async () => {
    const root = nodeRoot();
    rmSync(path.join(root, '/etc/containers/policy.json'));
    fifo(root, '/etc/containers/policy.json');
    fifo(root, '/etc/containers/registries.d/sigs.yaml');
    const checked = await runCli(['check', '--root', root, '--json']);
    expect(checked.code, checked.stderr).toBe(1);
    const files = checkFindings(checked).map((f) => f.file);
    expect(files).toContain('/etc/containers/registries.d/sigs.yaml');
    expect(files).toContain('/etc/containers/policy.json');
  });

  it('a pull secret (global_auth_file) and a certs.d file that are FIFOs: trace says so per source', async () => {
    const root = nodeRoot({
      '/etc/crio/crio.conf.d/10-auth': '[crio.image]\nglobal_auth_file = "/etc/pull/auth.json"\n',
    });
    fifo(root, '/etc/pull/auth.json');
    const traced = await runCli(['trace', '--root', root, '--json', IMAGE]);
    expect(traced.code, traced.stderr).toBe(2);
    expect(JSON.parse(traced.stdout)).toMatchObject({
      error: { code: 'config-invalid', file: '/etc/pull/auth.json' },
    });

    const root2 = nodeRoot();
    fifo(root2, '/etc/containers/certs.d/127.0.0.1:1/ca.crt');
    const traced2 = await runCli(['trace', '--root', root2, '--json', IMAGE]);
    const doc = JSON.parse(traced2.stdout) as { sources: { outcome: string; reason: string }[] };
    expect(doc.sources[0]).toMatchObject({
      outcome: 'error',
      reason:
        '/etc/containers/certs.d/127.0.0.1:1/ca.crt: is a FIFO, not a regular file: mirrorscope does not read it',
    });
  });
});

describe('parser bombs on a node root', () => {
  it('deep registries.d YAML and deep policy.json: check --json names file and line, valid JSON', async () => {
    const root = nodeRoot({
      '/etc/containers/policy.json': `{"default":${'['.repeat(3000)}${']'.repeat(3000)}}`,
      '/etc/containers/registries.d/deep.yaml': `docker:\n${'  a: b:\n'.repeat(4000)} c:\n`,
    });
    const checked = await runCli(['check', '--root', root, '--json']);
    expect(checked.code, checked.stderr).toBe(1);
    expect(checked.stderr).toBe('');
    const findings = checkFindings(checked) as (CheckFinding & { line: number | null })[];
    expect(findings).toContainEqual(
      expect.objectContaining({
        id: 'config-invalid',
        file: '/etc/containers/registries.d/deep.yaml',
        line: 499,
      }),
    );
    expect(findings).toContainEqual(
      expect.objectContaining({ id: 'policy-invalid', file: '/etc/containers/policy.json', line: 1 }),
    );
  });
});

describe('the per-file size limit', () => {
  it('a registries.conf over 16 MiB is refused before it is read: exit 2, the file named', async () => {
    const root = nodeRoot();
    truncateSync(path.join(root, 'etc/containers/registries.conf'), 16 * 1024 * 1024 + 1); // sparse
    const resolved = await runCli(['resolve', '--root', root, '--json', IMAGE]);
    expect(resolved.code, resolved.stderr).toBe(2);
    expect(resolveError(resolved)).toMatchObject({
      code: 'config-invalid',
      file: '/etc/containers/registries.conf',
      message:
        '/etc/containers/registries.conf: is larger than 16 MiB, the most mirrorscope reads from one file',
    });
  });
});

describe('EISDIR and EACCES are classified errors naming the file', () => {
  it('a directory named certs.d/HOST/x.crt fails that source, as os.ReadFile does', async () => {
    const root = nodeRoot();
    mkdirSync(path.join(root, 'etc/containers/certs.d/127.0.0.1:1/x.crt'), { recursive: true });
    const traced = await runCli(['trace', '--root', root, '--json', IMAGE]);
    const doc = JSON.parse(traced.stdout) as { sources: { outcome: string; reason: string }[] };
    expect(doc.sources[0]).toMatchObject({
      outcome: 'error',
      reason: '/etc/containers/certs.d/127.0.0.1:1/x.crt: is a directory, not a file',
    });
    expect(traced.stderr).toBe('');
  });

  it('an unreadable .crt fails that source (permission denied), not the process', async () => {
    const root = nodeRoot({ '/etc/containers/certs.d/127.0.0.1:1/ca.crt': 'not really a CA\n' });
    openToAll(root);
    chmodSync(path.join(root, 'etc/containers/certs.d/127.0.0.1:1/ca.crt'), 0o000);
    const traced = await runCliUnprivileged(['trace', '--root', root, '--json', IMAGE]);
    expect(traced.stderr).toBe('');
    const doc = JSON.parse(traced.stdout) as { sources: { outcome: string; reason: string }[] };
    expect(doc.sources[0]).toMatchObject({
      outcome: 'error',
      reason: '/etc/containers/certs.d/127.0.0.1:1/ca.crt: cannot open it: permission denied',
    });
  });

  it('an unreadable crio.conf.d: resolve exits 2, check reports it, both valid JSON', async () => {
    const root = nodeRoot({ '/etc/crio/crio.conf.d/10-image': '[crio.image]\n' });
    openToAll(root);
    chmodSync(path.join(root, 'etc/crio/crio.conf.d'), 0o000);
    const resolved = await runCliUnprivileged(['resolve', '--root', root, '--json', IMAGE]);
    expect(resolved.code, resolved.stderr).toBe(2);
    expect(resolveError(resolved)).toEqual({
      code: 'config-invalid',
      message: '/etc/crio/crio.conf.d: cannot list the directory: permission denied',
      file: '/etc/crio/crio.conf.d',
      line: null,
      upstream: 'open /etc/crio/crio.conf.d: permission denied',
    });
    const checked = await runCliUnprivileged(['check', '--root', root, '--json']);
    expect(checked.code, checked.stderr).toBe(1);
    expect(checkFindings(checked)).toContainEqual(
      expect.objectContaining({ id: 'config-invalid', file: '/etc/crio/crio.conf.d' }),
    );
  });

  it.each([
    ['the policies directory', '/etc/crio/policies'],
    ['crio.conf.d', '/etc/crio/crio.conf.d'],
  ])('agent --once with an unreadable %s: a config-invalid finding, not a crash', async (_what, dir) => {
    const root = nodeRoot({
      '/etc/crio/crio.conf.d/10-image': '[crio.image]\n',
      '/etc/crio/policies/team.json': POLICY,
    });
    openToAll(root);
    chmodSync(path.join(root, dir), 0o000);
    const once = await runCliUnprivileged([
      'agent',
      '--once',
      '--root',
      root,
      '--node',
      'n1',
      '--image',
      IMAGE,
    ]);
    expect(once.code, once.stderr).toBe(1);
    expect(checkFindings(once)).toContainEqual(
      expect.objectContaining({ id: expect.stringMatching(/-invalid$/), file: dir }),
    );
  });
});
