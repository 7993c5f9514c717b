// End to end: `mirrorscope resolve --json` (the built CLI, as scripts call it) keeps the issue #2 JSON
// contract, and what it prints agrees with skopeo and podman for the same node root.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleUnavailableReason, podmanPull, skopeoInspect, writeRoot } from '../support/oracle.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const D = `sha256:${'fe'.repeat(32)}`;
const CONF = `unqualified-search-registries = ["quay.io", "registry.example.com"]

[[registry]]
prefix = "quay.io/team"
location = "quay.io/team"
mirror-by-digest-only = true

[[registry.mirror]]
location = "mirror.example.net/team"
insecure = true

[[registry]]
prefix = "registry.example.com"
location = "registry.example.com"
blocked = true

[[registry.mirror]]
location = "mirror.example.net/rex"
`;
const INPUTS = [
  `quay.io/team/app@${D}`,
  'quay.io/team/app:1',
  'registry.example.com/ns/db:2',
  'app',
  'example.com/Bad',
];

interface CliRun {
  readonly code: number;
  readonly stdout: string;
}

function cli(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1' } }, (err, stdout) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout });
    });
  });
}

const ERROR_CODES = ['config-invalid', 'invalid-reference', 'short-name-error', 'rewrite-invalid'];

/** The documented shape; extra fields are allowed. */
function expectContract(doc: unknown, inputs: readonly string[]): void {
  expect(doc).toMatchObject({ results: expect.any(Array) });
  const results = (doc as { results: unknown[] }).results;
  expect(results.map((r) => (r as { input: unknown }).input)).toEqual(inputs);
  for (const r of results as Record<string, unknown>[]) {
    expect(Array.isArray(r.candidates)).toBe(true);
    if (r.error !== null) {
      expect(r.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
      expect(ERROR_CODES).toContain((r.error as { code: string }).code);
    }
    for (const c of r.candidates as Record<string, unknown>[]) {
      expect(c).toMatchObject({ image: expect.any(String), sources: expect.any(Array) });
      for (const s of c.sources as Record<string, unknown>[]) {
        expect(s).toMatchObject({
          reference: expect.any(String),
          mirror: expect.any(Boolean),
          insecure: expect.any(Boolean),
          blocked: expect.any(Boolean),
        });
      }
    }
  }
}

type JsonResult = {
  candidates: { image: string; sources: { reference: string; insecure: boolean; blocked: boolean }[] }[];
  error: { code: string; message: string } | null;
};

describe.skipIf(oracleUnavailableReason() !== null)('mirrorscope resolve --json (built CLI)', () => {
  let root = '';
  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it)`);
    root = await mkdtemp(path.join(os.tmpdir(), 'mirrorscope-cli-json-'));
    await writeRoot(root, { 'etc/containers/registries.conf': CONF });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('prints one result per IMAGE in order, in the documented shape, matching skopeo and podman', async () => {
    const run = await cli(['resolve', '--root', root, '--json', '--runtime', 'podman', ...INPUTS]);
    expect(run.code).toBe(1); // some images cannot be pulled as written
    const doc = JSON.parse(run.stdout) as { results: JsonResult[] };
    expectContract(doc, INPUTS);
    const [digest, tag, blocked, short, bad] = doc.results as [
      JsonResult,
      JsonResult,
      JsonResult,
      JsonResult,
      JsonResult,
    ];
    expect(bad.error?.code).toBe('invalid-reference');
    expect(short.candidates.map((c) => c.image)).toEqual([
      'quay.io/app:latest',
      'registry.example.com/app:latest',
    ]);

    const skopeo = await skopeoInspect(root, INPUTS.slice(0, 3));
    [digest, tag, blocked].forEach((result, i) => {
      const attempts = skopeo[i]!.attempts;
      expect(result.candidates[0]!.sources.map((s) => s.reference)).toEqual(attempts.map((a) => a.reference));
      expect(result.candidates[0]!.sources.map((s) => s.blocked)).toEqual(
        attempts.map((a) => a.blockedBy !== null),
      );
    });
    expect(digest.candidates[0]!.sources.map((s) => s.insecure)).toEqual([true, false]);
    expect(blocked.candidates[0]!.sources.map((s) => s.blocked)).toEqual([false, true]);
    const [podman] = await podmanPull(root, ['app']);
    expect(short.candidates.map((c) => c.image)).toEqual(podman!.candidates.map((c) => c.image));
  });

  it('gives every result the config-invalid error when the configuration cannot be loaded', async () => {
    await writeRoot(root, {
      'etc/containers/registries.conf.d/90-bad.conf': '[[registry]]\nprefix = "x.example.com"\n',
    });
    const run = await cli(['resolve', '--root', root, '--json', 'quay.io/a:1', 'app']);
    expect(run.code).toBe(2);
    const doc = JSON.parse(run.stdout) as { results: JsonResult[] };
    expectContract(doc, ['quay.io/a:1', 'app']);
    for (const r of doc.results) {
      expect(r.candidates).toEqual([]);
      expect(r.error?.code).toBe('config-invalid');
      expect(r.error?.message).toContain('/etc/containers/registries.conf.d/90-bad.conf:1');
    }
    const [skopeo] = await skopeoInspect(root, ['quay.io/a:1']);
    expect(skopeo!.fatal).toContain('location is unset and prefix is not in the format');
  });
});
