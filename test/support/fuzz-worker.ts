// The fuzzer's worker thread: generates the inputs of every target in rounds (input i of each target,
// then i+1, …) and judges each. It reports the input it starts before running it, so that the main
// thread can name the input a hung parser is stuck on, stop this thread and go on without it.
import { parentPort, workerData } from 'node:worker_threads';
import { generate, inputSeed, prng } from './mutate.js';
import { SELF_TEST_TARGETS, TARGETS } from './fuzz-targets.js';

export interface WorkerJob {
  readonly seed: number;
  readonly targets: readonly string[];
  readonly selfTest: boolean;
  readonly firstRound: number;
  /** Epoch ms after which no new round starts. */
  readonly deadline: number;
  readonly maxRounds: number;
  readonly slowMs: number;
}

export type WorkerReport =
  | { readonly t: 'start'; readonly target: string; readonly index: number }
  | {
      readonly t: 'fail';
      readonly target: string;
      readonly index: number;
      readonly kind: 'crash' | 'unnamed' | 'slow';
      readonly message: string;
      readonly stack?: string;
    }
  | { readonly t: 'done'; readonly rounds: number; readonly inputs: number };

const job = workerData as WorkerJob;
const pool = job.selfTest ? SELF_TEST_TARGETS : TARGETS;
const targets = pool.filter((t) => job.targets.length === 0 || job.targets.includes(t.name));
const post = (r: WorkerReport): void => parentPort!.postMessage(r);

let inputs = 0;
let round = job.firstRound;
for (; round < job.firstRound + job.maxRounds && Date.now() < job.deadline; round++) {
  for (const target of targets) {
    post({ t: 'start', target: target.name, index: round });
    const text = generate(prng(inputSeed(job.seed, target.name, round)), target.seeds, target.dialect);
    const started = performance.now();
    const verdict = target.run(text);
    const ms = performance.now() - started;
    inputs++;
    if (!verdict.ok) post({ t: 'fail', target: target.name, index: round, ...verdict });
    else if (ms > job.slowMs)
      post({
        t: 'fail',
        target: target.name,
        index: round,
        kind: 'slow',
        message: `took ${Math.round(ms)} ms for ${text.length} characters (bound ${job.slowMs} ms)`,
      });
  }
}
post({ t: 'done', rounds: round - job.firstRound, inputs });
