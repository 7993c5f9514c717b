// Shared plumbing of the differential suites: write a generated case to disk, ask the engine, ask
// the real tool, compare, and report a mismatch with everything needed to reproduce it.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MirrorscopeError } from '../../src/core/errors.js';
import { loadResolver } from '../../src/host/load-resolver.js';
import type { GeneratedCase } from '../support/config-generator.js';
import { writeRoot } from '../support/oracle.js';
import type { EngineAnswer } from './compare.js';

/** The engine as podman/skopeo on the node would use it (registries.conf's short-name-mode). */
export async function engineAnswers(rootDir: string, inputs: readonly string[]): Promise<EngineAnswer[]> {
  let loaded;
  try {
    loaded = await loadResolver(rootDir, 'podman');
  } catch (err) {
    if (!(err instanceof MirrorscopeError) || err.code !== 'config-invalid') throw err;
    const configError = {
      code: err.code,
      message: err.message,
      ...(err.upstream !== undefined ? { upstream: err.upstream } : {}),
    };
    return inputs.map(() => ({ configError }));
  }
  return inputs.map((input) => ({ result: loaded.resolver.resolve(input) }));
}

export interface Mismatch {
  readonly seed: number;
  readonly input: string;
  readonly problems: readonly string[];
  readonly files: GeneratedCase['files'];
  readonly ours: unknown;
  readonly theirs: unknown;
}

export function formatMismatch(m: Mismatch, env: string): string {
  const tree = Object.entries(m.files)
    .map(([file, text]) => `--- ${file}\n${text}`)
    .join('');
  const slim = (v: unknown): string =>
    JSON.stringify(v, (k, x: unknown) => (k === 'log' || k === 'explanation' ? undefined : x), 1);
  return [
    `seed ${m.seed} (reproduce: ${env}=${m.seed}), input ${JSON.stringify(m.input)}`,
    ...m.problems.map((p) => `  - ${p}`),
    'config tree:',
    tree,
    `ours: ${slim(m.ours)}`,
    `theirs: ${slim(m.theirs)}`,
  ].join('\n');
}

/** Runs `task` over `items` with at most `limit` in flight (the machine has two cores). */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Writes the case under a fresh temporary root, runs `body`, removes the root. */
export async function withRoot<R>(c: GeneratedCase, body: (root: string) => Promise<R>): Promise<R> {
  const root = await mkdtemp(path.join(os.tmpdir(), `mirrorscope-diff-${c.seed}-`));
  try {
    await writeRoot(root, c.files);
    return await body(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Seeds: a fixed default (reproducible CI), or `${env}=N` to replay or explore. */
export function seedsFrom(env: string, fallback: number, count: number): number[] {
  const fixed = process.env[env];
  if (fixed !== undefined && fixed !== '') return fixed.split(',').map((s) => Number(s.trim()));
  return Array.from({ length: count }, (_, i) => fallback + i);
}

export interface OracleOutcome<R> {
  readonly c: GeneratedCase;
  readonly runs: readonly R[];
  readonly mismatches: readonly Mismatch[];
  readonly configRejected: boolean;
}

/** One generated case through the engine and through the real tool (`ask`), compared input by input. */
export async function runOracleCase<R extends { readonly input: string }>(
  c: GeneratedCase,
  inputs: readonly string[],
  ask: (root: string, inputs: readonly string[]) => Promise<readonly R[]>,
  compare: (answer: EngineAnswer, run: R) => string[],
): Promise<OracleOutcome<R>> {
  return withRoot(c, async (root) => {
    const answers = await engineAnswers(root, inputs);
    const runs = await ask(root, inputs);
    const mismatches: Mismatch[] = [];
    runs.forEach((run, i) => {
      const answer = answers[i]!;
      const problems = compare(answer, run);
      if (problems.length > 0) {
        const ours = 'result' in answer ? answer.result : answer;
        mismatches.push({ seed: c.seed, input: run.input, problems, files: c.files, ours, theirs: run });
      }
    });
    return { c, runs, mismatches, configRejected: 'configError' in answers[0]! };
  });
}

/** How many mismatches, and the first ten written out for reproduction with `env`. */
export function mismatchReport(
  outcomes: readonly OracleOutcome<unknown>[],
  env: string,
): { count: number; text: string } {
  const all = outcomes.flatMap((o) => o.mismatches);
  return {
    count: all.length,
    text: all
      .slice(0, 10)
      .map((m) => formatMismatch(m, env))
      .join('\n\n'),
  };
}
