// The reference workload (reference-workload.mjs) in a fresh process: how fast this machine runs at
// the moment, beside figures taken then.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKLOAD = fileURLToPath(new URL('./reference-workload.mjs', import.meta.url));

/** Milliseconds of the reference workload (NaN if it could not run); lower is faster. */
export function referenceWorkloadMs(): number {
  const run = spawnSync(process.execPath, [WORKLOAD], { encoding: 'utf8' });
  return run.status === 0 ? Number(run.stdout.trim()) : NaN;
}
