// `npm test` runs a short pass of the fuzzer (scripts/fuzz.ts); `npm run fuzz` the long one. The
// runner's own checks are tested too: planted crash, unnamed error and hang targets must fail it.
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/cli.js';

interface Summary {
  fuzz: { seed: number; inputs: number; failures: number };
  failures: { target: string; kind: string; message: string; input: string }[];
}

function fuzz(args: readonly string[]): Promise<{ code: number; summary: Summary; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/fuzz.ts', ...args],
      { cwd: REPO, timeout: 60_000, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        try {
          resolve({ code, summary: JSON.parse(stdout) as Summary, stderr });
        } catch {
          reject(new Error(`no summary from the fuzzer (exit ${code}):\n${stderr.slice(-4000)}`));
        }
      },
    );
  });
}

describe('fuzzer', () => {
  it('a short seeded pass over every parser finds no crash, hang or unnamed error', async () => {
    const seed = process.env.MIRRORSCOPE_FUZZ_SEED ?? '1';
    const run = await fuzz(['--seed', seed, '--time', '4']);
    expect(run.summary.failures, run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.summary.fuzz.inputs).toBeGreaterThan(200);
  });

  it('fails on a crash, an error without its file and a hang (its own planted targets)', async () => {
    const run = await fuzz(['--self-test', '--rounds', '1', '--hang-ms', '1500', '--time', '30']);
    expect(run.code).toBe(1);
    const kinds = Object.fromEntries(run.summary.failures.map((f) => [f.target, f.kind]));
    expect(kinds).toEqual({
      'self-test crash': 'crash',
      'self-test unnamed': 'unnamed',
      'self-test hang': 'hang',
    });
  });
});
