// `npm start` on the embedded lab: how long the lab takes to come up in-process (two CAs, five TLS
// registries, images, GPG and sigstore signatures), and the wall time of
// `start --exit-after-report` from exec to exit (three agents' first scans, the first screen).
// Targets: lab ≤ 500 ms; the first screen ≤ 3 s, so `npm start` answers before a user wonders.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type * as LabModule from '../src/lab/lab.js';
import { loadBuilt, say, type BenchLine } from './types.js';

const exec = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function run(): Promise<BenchLine[]> {
  const { startLab } = await loadBuilt<typeof LabModule>('lab/lab.js');
  const labMs: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    const lab = await startLab();
    labMs.push(performance.now() - t);
    await lab.stop();
  }
  const startMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    // Exit status 1: the lab has error causes, by design.
    await exec(process.execPath, [CLI, 'start', '--exit-after-report', '--listen', '127.0.0.1:0']).catch(
      (err: { code?: number }) => {
        if (err.code !== 1) throw err;
      },
    );
    startMs.push(performance.now() - t);
  }
  const lab = Math.round(median(labMs));
  const first = Math.round(median(startMs));
  say(`  embedded lab up in ${lab} ms (median of 10; target ≤ 500)`);
  say(`  start --exit-after-report: ${first} ms exec to exit (median of 5; target ≤ 3000)`);
  return [
    { bench: 'start', metric: 'lab_start_ms', value: lab, runs: 10, target: 500 },
    { bench: 'start', metric: 'first_screen_exit_ms', value: first, runs: 5, target: 3000 },
  ];
}
