// `npm run fuzz`: a seeded fuzzer of every parser of files and peer messages (test/support/fuzz-targets.ts).
// It fails on an exception other than the parser's classified error, on an error that does not name
// its file, on an input slower than --slow-ms, and on a hang: a worker thread that reports no
// progress for --hang-ms is stopped, and the fuzzing resumes after that input. Inputs are derived
// from (seed, target, index), so every failure is reproducible; each is also saved under
// test/.artifacts/fuzz/. `npm test` runs a short pass (test/fuzz/fuzz.test.ts).
//
//   npm run fuzz -- [--seed N] [--time SECONDS] [--rounds N] [--target NAME]... [--slow-ms N] [--hang-ms N]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { generate, inputSeed, prng } from '../test/support/mutate.js';
import { SELF_TEST_TARGETS, TARGETS } from '../test/support/fuzz-targets.js';
import type { WorkerJob, WorkerReport } from '../test/support/fuzz-worker.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    time: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '1000000000' },
    target: { type: 'string', multiple: true, default: [] },
    'slow-ms': { type: 'string', default: '10000' },
    'hang-ms': { type: 'string', default: '30000' },
    'self-test': { type: 'boolean', default: false },
  },
});

const seed = Number(values.seed);
const hangMs = Number(values['hang-ms']);
const selfTest = values['self-test'];
const pool = selfTest ? SELF_TEST_TARGETS : TARGETS;
const unknown = values.target.filter((t) => !pool.some((p) => p.name === t));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown target(s): ${unknown.join(', ')}; targets: ${pool.map((p) => p.name).join(', ')}\n`,
  );
  process.exit(2);
}
const deadline = Date.now() + Number(values.time) * 1000;
const maxRounds = Number(values.rounds);
const ARTIFACTS = path.join(path.dirname(new URL(import.meta.url).pathname), '../test/.artifacts/fuzz');

interface Failure {
  readonly target: string;
  readonly index: number;
  readonly kind: string;
  readonly message: string;
  readonly input: string;
  count: number;
}

const failures: Failure[] = [];
let inputs = 0;

/** Failures with the same target, kind and message are one defect: reported once, counted. */
const seen = new Map<string, Failure & { count: number }>();

function record(target: string, index: number, kind: string, message: string, stack?: string): void {
  const key = `${target}\0${kind}\0${message.replace(/\d+/g, 'N').slice(0, 200)}`;
  const known = seen.get(key);
  if (known !== undefined) {
    known.count++;
    return;
  }
  const t = pool.find((p) => p.name === target)!;
  const text = generate(prng(inputSeed(seed, target, index)), t.seeds, t.dialect);
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${target.replace(/[^\w.-]+/g, '_')}-seed${seed}-${index}.txt`);
  writeFileSync(file, text);
  const failure = { target, index, kind, message, input: file, count: 1 };
  seen.set(key, failure);
  failures.push(failure);
  process.stderr.write(
    `FAIL ${kind} ${target} #${index} (seed ${seed}): ${message}\n  input: ${file}\n${stack ? `${stack}\n` : ''}`,
  );
}

// Workers cannot load TypeScript by themselves: register tsx in the thread, then import the worker.
const WORKER = new URL('../test/support/fuzz-worker.ts', import.meta.url).href;
const STARTUP_MS = 60_000;
const BOOT = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(WORKER)}); })`;

/** Runs one worker from `firstRound`; resolves with the round to resume at, or null when finished. */
function runWorker(firstRound: number): Promise<number | null> {
  const job: WorkerJob = {
    seed,
    targets: values.target,
    selfTest,
    firstRound,
    deadline,
    maxRounds: maxRounds - firstRound,
    slowMs: Number(values['slow-ms']),
  };
  return new Promise((resolve, reject) => {
    const worker = new Worker(BOOT, { eval: true, workerData: job });
    let current: { target: string; index: number } | null = null;
    let lastProgress = Date.now();
    // Loading TypeScript in the thread takes seconds on a busy machine: that is not a parser hang.
    const watchdog = setInterval(() => {
      if (Date.now() - lastProgress <= (current === null ? Math.max(hangMs, STARTUP_MS) : hangMs)) return;
      clearInterval(watchdog);
      const stuck = current;
      void worker.terminate().then(() => {
        if (stuck === null) return reject(new Error(`the fuzz worker did not start within ${hangMs} ms`));
        record(stuck.target, stuck.index, 'hang', `no result within ${hangMs} ms`);
        resolve(stuck.index + 1);
      });
    }, 100);
    worker.on('message', (r: WorkerReport) => {
      lastProgress = Date.now();
      if (r.t === 'start') {
        current = { target: r.target, index: r.index };
        inputs++;
      } else if (r.t === 'fail') record(r.target, r.index, r.kind, r.message, r.stack);
      else {
        clearInterval(watchdog);
        resolve(null);
      }
    });
    worker.on('error', (err) => {
      clearInterval(watchdog);
      reject(err);
    });
  });
}

const started = Date.now();
let resumeAt: number | null = 0;
while (resumeAt !== null && Date.now() < deadline && resumeAt < maxRounds)
  resumeAt = await runWorker(resumeAt);

const summary = {
  fuzz: {
    seed,
    targets: (values.target.length > 0 ? values.target : pool.map((p) => p.name)).length,
    inputs,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    failures: failures.reduce((n, f) => n + f.count, 0),
    distinct: failures.length,
  },
  failures,
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
process.stderr.write(
  `fuzz: ${inputs} inputs over ${summary.fuzz.targets} targets in ${summary.fuzz.seconds} s, ${summary.fuzz.failures} failure(s), ${failures.length} distinct\n`,
);
process.exitCode = failures.length > 0 ? 1 : 0;
