// `mirrorscope check`: the static findings of a node root (no network), through the same loader the
// command uses, and the command's JSON and exit codes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandIo } from '../../src/cli/command.js';
import { run as runCheck } from '../../src/cli/commands/check.js';
import { runStaticCheck } from '../../src/core/check/static-check.js';
import type { Finding } from '../../src/core/findings/types.js';
import { NodeRoot } from '../../src/host/node-root.js';
import { loadCheckInput } from '../../src/signatures/load-check-input.js';
import { writeNodeRoot } from '../support/registry-lab.js';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

async function root(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mirrorscope-check-'));
  roots.push(dir);
  return writeNodeRoot(dir, files);
}

async function check(files: Record<string, string>): Promise<Finding[]> {
  return runStaticCheck(await loadCheckInput(new NodeRoot(await root(files)), 'crio'));
}

const SIGNED_POLICY = (scope: string, extra: object = {}) =>
  JSON.stringify({
    default: [{ type: 'insecureAcceptAnything' }],
    transports: {
      docker: { [scope]: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/etc/pki/k.gpg' }], ...extra },
    },
  });

describe('signature storage', () => {
  it('a mirror with only a staging location is local-only; the fix names the source lookaside it can share', async () => {
    const findings = await check({
      '/etc/containers/registries.conf':
        '[[registry]]\nprefix = "quay.io/team"\nlocation = "quay.io/team"\n\n[[registry.mirror]]\nlocation = "mirror.corp:5000/team"\n',
      '/etc/containers/registries.d/sig.yaml':
        'docker:\n  quay.io/team:\n    lookaside: https://sigs.example/quay\n  mirror.corp:5000:\n    lookaside-staging: file:///srv/sigs\n',
      '/etc/containers/policy.json': SIGNED_POLICY('quay.io/team'),
      '/etc/pki/k.gpg': 'key',
    });
    expect(findings.map((f) => f.id)).toEqual(['signature-storage-local-only']);
    const [f] = findings;
    expect(f).toMatchObject({
      severity: 'error',
      file: '/etc/containers/registries.d/sig.yaml',
      line: 5,
      scope: 'mirror.corp:5000',
    });
    expect(f!.message).toContain('Only lookaside-staging (file:///srv/sigs');
    expect(f!.message).toContain('mirror mirror.corp:5000/team of quay.io/team');
    expect(f!.fix).toContain('lookaside: "https://sigs.example/quay"');
  });

  it('no finding when every source reads signatures over http(s), or when only sigstore attachments are required', async () => {
    expect(
      await check({
        '/etc/containers/registries.d/sig.yaml': 'default-docker:\n  lookaside: https://sigs.example/\n',
        '/etc/containers/policy.json': SIGNED_POLICY('quay.io'),
        '/etc/pki/k.gpg': 'key',
      }),
    ).toEqual([]);
    expect(
      await check({
        '/etc/containers/policy.json': JSON.stringify({
          default: [{ type: 'insecureAcceptAnything' }],
          transports: { docker: { 'quay.io': [{ type: 'sigstoreSigned', keyData: 'QUJD' }] } },
        }),
      }),
    ).toEqual([]);
  });

  it('a policy scope with the built-in default store, and its missing key', async () => {
    const findings = await check({ '/etc/containers/policy.json': SIGNED_POLICY('registry.corp/apps') });
    expect(findings.map((f) => [f.id, f.line, f.scope])).toEqual([
      ['signature-key-missing', 1, 'registry.corp/apps'],
      ['signature-storage-local-only', 1, 'registry.corp'],
    ]);
    expect(findings[1]!.message).toContain('file:///var/lib/containers/sigstore (the built-in default)');
  });
});

describe('secrets', () => {
  it('a password in a staging URL never appears in a finding', async () => {
    const findings = await check({
      '/etc/containers/registries.d/sig.yaml':
        'docker:\n  quay.io:\n    lookaside-staging: https://bot:s3cret@sigs.example/\n',
      '/etc/containers/policy.json': SIGNED_POLICY('quay.io'),
      '/etc/pki/k.gpg': 'key',
    });
    expect(findings.map((f) => f.id)).toEqual(['signature-storage-local-only']);
    expect(JSON.stringify(findings)).not.toContain('s3cret');
    expect(findings[0]!.fix).toContain('https://bot:xxxxx@sigs.example/');
  });
});

describe('the catch-all policy', () => {
  const policy = JSON.stringify({ default: [{ type: 'signedBy', keyType: 'GPGKeys', keyData: 'QUJD' }] });
  it('a signing default policy with no default-docker lookaside is local-only', async () => {
    const findings = await check({ '/etc/containers/policy.json': policy });
    expect(findings.map((f) => [f.id, f.scope, f.file])).toEqual([
      ['signature-storage-local-only', 'default-docker', '/etc/containers/policy.json'],
    ]);
    expect(findings[0]!.fix).toContain('default-docker: {lookaside: ');
  });
  it('default-docker with an http lookaside is fine; a file:// one is not', async () => {
    expect(
      await check({
        '/etc/containers/policy.json': policy,
        '/etc/containers/registries.d/d.yaml': 'default-docker:\n  lookaside: https://sigs.example/\n',
      }),
    ).toEqual([]);
    const local = await check({
      '/etc/containers/policy.json': policy,
      '/etc/containers/registries.d/d.yaml': 'default-docker:\n  sigstore: file:///srv/sigstore\n',
    });
    expect(local.map((f) => [f.id, f.file, f.line])).toEqual([
      ['signature-storage-local-only', '/etc/containers/registries.d/d.yaml', 2],
    ]);
  });
});

describe('broken files are findings with file and line', () => {
  it('policy.json, a per-namespace policy, registries.d and registries.conf', async () => {
    const findings = await check({
      '/etc/containers/policy.json':
        '{\n "default": [{"type": "insecureAcceptAnything"}],\n "default": []\n}',
      '/etc/crio/crio.conf.d/10-policy.conf': '[crio.image]\nsignature_policy_dir = "/etc/crio/policies"\n',
      '/etc/crio/policies/team-a.json': '{"default": [{"type": "signedBy", "keyType": "GPGKeys"}]}',
      '/etc/containers/registries.d/a.yaml': 'docker:\n  quay.io: {}\n',
      '/etc/containers/registries.d/b.yaml': 'docker:\n  quay.io: {}\n',
      '/etc/containers/registries.conf': '[[registry]]\nlocation = "quay.io"\nmirror-by-digest = true\n',
    });
    expect(findings.map((f) => [f.id, f.file, f.line])).toEqual([
      ['config-unknown-key', '/etc/containers/registries.conf', 3],
      ['config-invalid', '/etc/containers/registries.d/b.yaml', 2],
      ['policy-invalid', '/etc/containers/policy.json', 3],
      ['policy-invalid', '/etc/crio/policies/team-a.json', 1],
    ]);
    expect(findings[2]!.message).toContain('Duplicate key "default"');
    expect(findings[3]!.message).toContain(
      'Exactly one of keyPath, keyPaths and keyData must be specified, none of them present',
    );
  });

  it('a missing policy.json is policy-invalid (containers/image has no built-in policy)', async () => {
    const findings = await check({ '/etc/containers/registries.conf': '' });
    expect(findings.map((f) => f.id)).toEqual(['policy-invalid']);
    expect(findings[0]!.message).toContain('no policy.json file found');
  });
});

describe('mirrorscope check (command)', () => {
  function io(): { io: CommandIo; out: () => string } {
    let stdout = '';
    return {
      io: {
        stdout: { write: (s: string) => ((stdout += s), true) } as never,
        stderr: { write: () => true } as never,
        env: {},
        isTTY: false,
      },
      out: () => stdout,
    };
  }

  it('exit 0 and an empty list for a clean node; the JSON shape of each finding', async () => {
    const clean = await root({
      '/etc/containers/policy.json': '{"default":[{"type":"insecureAcceptAnything"}]}',
    });
    const a = io();
    expect(await runCheck(['--root', clean, '--json'], a.io)).toBe(0);
    expect(JSON.parse(a.out())).toMatchObject({
      findings: [],
      runtime: { name: 'crio', version: null, containersImage: null },
      notes: [{ code: 'crio-version-dependent' }],
    });
    const known = io();
    expect(await runCheck(['--root', clean, '--json', '--crio-version', '1.29.4'], known.io)).toBe(0);
    expect(JSON.parse(known.out())).toEqual({
      findings: [],
      runtime: { name: 'crio', version: '1.29.4', containersImage: '5.29' },
      notes: [],
    });

    const rejecting = await root({
      '/etc/containers/policy.json':
        '{"default":[{"type":"reject"}],"transports":{"docker":{"quay.io/ok":[{"type":"insecureAcceptAnything"}]}}}',
      '/etc/containers/registries.conf':
        '[[registry]]\nlocation = "quay.io/blocked-by-policy"\n\n[[registry]]\nlocation = "quay.io/ok"\n',
    });
    const b = io();
    expect(await runCheck(['--root', rejecting, '--json'], b.io)).toBe(1);
    const { findings } = JSON.parse(b.out()) as { findings: Record<string, unknown>[] };
    expect(findings).toEqual([
      {
        id: 'policy-rejects',
        severity: 'error',
        message: expect.stringContaining(
          'rejects every image of [[registry]] quay.io/blocked-by-policy',
        ) as unknown,
        file: '/etc/containers/policy.json',
        line: 1,
        scope: 'default',
        fix: expect.stringContaining('Add transports.docker["quay.io/blocked-by-policy"]') as unknown,
      },
    ]);
  });

  it('usage errors', async () => {
    await expect(runCheck(['extra'], io().io)).rejects.toMatchObject({ code: 'usage' });
    await expect(runCheck(['--bogus'], io().io)).rejects.toMatchObject({ code: 'usage' });
  });
});
