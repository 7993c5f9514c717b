// Shared plumbing of the differential suites: write a generated case to disk, ask the engine, ask
// the real tool, compare, and report a mismatch with everything needed to reproduce it.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MirrorscopeError } from '../../src/core/errors.js';
import { loadResolver } from '../../src/host/load-resolver.js';
import { parseCrioVersion } from '../../src/core/crio/versions.js';
import { invalidReferenceResult } from '../../src/core/resolve/resolver.js';
import type { GeneratedCase } from './config-generator.js';
import { writeRoot } from './oracle.js';
import type { EngineAnswer } from './differential-compare.js';

/** Which engine answers: podman/skopeo on the node, or a given CRI-O. */
export type Engine = { readonly runtime: 'podman' } | { readonly runtime: 'crio'; readonly version: string };

export const PODMAN: Engine = { runtime: 'podman' };
/** CRI-O 1.26 (OpenShift 4.13) vendors containers/image 5.23–5.24, the library of the Debian tools. */
export const CRIO_1_26: Engine = { runtime: 'crio', version: '1.26' };

export function engineLabel(engine: Engine): string {
  return engine.runtime === 'podman' ? 'podman' : `CRI-O ${engine.version}`;
}

/**
 * The engine's answers: as podman/skopeo on the node would resolve (registries.conf's short-name-mode),
 * or as `--crio-version V` does (CRI-O's mode; the image name parsed before the configuration).
 */
export async function engineAnswers(
  rootDir: string,
  inputs: readonly string[],
  engine: Engine = PODMAN,
): Promise<EngineAnswer[]> {
  let loaded;
  try {
    loaded =
      engine.runtime === 'podman'
        ? await loadResolver(rootDir, 'podman')
        : await loadResolver(rootDir, 'crio', parseCrioVersion(engine.version));
  } catch (err) {
    if (!(err instanceof MirrorscopeError) || err.code !== 'config-invalid') throw err;
    const configError = {
      code: err.code,
      message: err.message,
      ...(err.upstream !== undefined ? { upstream: err.upstream } : {}),
    };
    return inputs.map((input) => {
      const rejected = engine.runtime === 'crio' ? invalidReferenceResult(input) : null;
      return rejected !== null ? { result: rejected } : { configError };
    });
  }
  return inputs.map((input) => ({ result: loaded.resolver.resolve(input) }));
}

export interface Mismatch {
  readonly seed: number;
  readonly engine: string;
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
    `seed ${m.seed} (reproduce: ${env}=${m.seed}), ${m.engine}, input ${JSON.stringify(m.input)}`,
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

/**
 * One generated case through the engine and through the real tool (`ask`, run once), compared input
 * by input for each engine (`compare` gets the engine, for the differences it expects of it).
 */
export async function runOracleCase<R extends { readonly input: string }>(
  c: GeneratedCase,
  inputs: readonly string[],
  ask: (root: string, inputs: readonly string[]) => Promise<readonly R[]>,
  compare: (answer: EngineAnswer, run: R, engine: Engine) => string[],
  engines: readonly Engine[] = [PODMAN],
): Promise<OracleOutcome<R>> {
  return withRoot(c, async (root) => {
    const answersByEngine = await Promise.all(engines.map((e) => engineAnswers(root, inputs, e)));
    const runs = await ask(root, inputs);
    const mismatches: Mismatch[] = [];
    engines.forEach((engine, e) => {
      runs.forEach((run, i) => {
        const answer = answersByEngine[e]![i]!;
        const problems = compare(answer, run, engine);
        if (problems.length > 0) {
          const ours = 'result' in answer ? answer.result : answer;
          mismatches.push({
            seed: c.seed,
            engine: engineLabel(engine),
            input: run.input,
            problems,
            files: c.files,
            ours,
            theirs: run,
          });
        }
      });
    });
    return { c, runs, mismatches, configRejected: 'configError' in answersByEngine[0]![0]! };
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
