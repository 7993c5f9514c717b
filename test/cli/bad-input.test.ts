// Bad input gets a clear error and exit 2, never a plausible answer.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRoot, runCli } from '../support/cli.js';

const root = makeRoot({
  '/etc/containers/registries.conf': '[[registry]]\nlocation = "quay.io/acme"\nblocked = true\n',
});

describe('a root without etc/containers', () => {
  const empty = mkdtempSync(path.join(tmpdir(), 'mirrorscope-empty-root-'));

  it.each([
    ['resolve', ['quay.io/acme/app:1']],
    ['trace', ['quay.io/acme/app:1']],
    ['check', []],
  ])('%s --root /nonexistent is an input error (exit 2)', async (command, rest) => {
    const r = await runCli([command, '--root', '/nonexistent', ...rest]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('--root /nonexistent: /nonexistent/etc/containers is not a directory');
    expect(r.stderr).toContain('--allow-empty-root');
  });

  it('an existing directory without etc/containers is refused too', async () => {
    const r = await runCli(['resolve', '--root', empty, 'quay.io/acme/app:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${empty}/etc/containers is not a directory`);
  });

  it('--allow-empty-root answers with the empty configuration CRI-O would use', async () => {
    const r = await runCli(['resolve', '--root', empty, '--allow-empty-root', 'quay.io/acme/app:1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no [[registry]] matches');
  });

  it('a root with etc/containers still resolves', async () => {
    const r = await runCli(['resolve', '--root', root, 'quay.io/acme/app:1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('BLOCKED');
  });
});

describe('trace --authfile', () => {
  it('a missing file is an error (exit 2), not an anonymous pull', async () => {
    const r = await runCli(['trace', '--root', root, '--authfile', '/missing', 'quay.io/acme/app:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('mirrorscope trace: --authfile /missing: no such file\n');
    expect(r.stdout).toBe('');
  });

  it('a directory is an error', async () => {
    const r = await runCli(['trace', '--root', root, '--authfile', root, 'quay.io/acme/app:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--authfile ${root}: not a regular file`);
  });

  it.skipIf(process.getuid?.() === 0)('an unreadable file is an error', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'mirrorscope-auth-')), 'auth.json');
    writeFileSync(file, '{"auths":{}}');
    chmodSync(file, 0o000);
    const r = await runCli(['trace', '--root', root, '--authfile', file, 'quay.io/acme/app:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not readable by this user');
  });

  it('an existing file is used (the blocked source decides, exit 1)', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'mirrorscope-auth-')), 'auth.json');
    writeFileSync(file, '{"auths":{}}');
    const r = await runCli(['trace', '--root', root, '--authfile', file, 'quay.io/acme/app:1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('blocked');
  });
});

describe('collector without cluster credentials', () => {
  it('says once that none were found and what to pass (exit 2), instead of retrying forever', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'mirrorscope-home-'));
    const r = await runCli(['collector', '--listen', '127.0.0.1:0'], {
      HOME: home,
      KUBECONFIG: '',
      KUBERNETES_SERVICE_HOST: '',
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `mirrorscope collector: no Kubernetes cluster credentials found: no --kubeconfig, $KUBECONFIG is not set, ${home}/.kube/config does not exist and this is not a pod with a service account. Pass --kubeconfig FILE, or --auth none to run without the Kubernetes API (loopback listeners only)`,
    ]);
    expect(r.stdout).toBe('');
  });

  it('a named --kubeconfig that is missing is an error too', async () => {
    const r = await runCli(['collector', '--listen', '127.0.0.1:0', '--kubeconfig', '/missing/kubeconfig']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/missing/kubeconfig');
  });

  it('an unknown --policy-report-api is named with the choices, before anything starts', async () => {
    const r = await runCli([
      'collector',
      '--listen',
      '127.0.0.1:0',
      '--policy-report-api',
      'reports.x-k8s.io',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--policy-report-api must be one of auto, wgpolicyk8s.io, openreports.io');
  });
});
