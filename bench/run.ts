// `npm run bench`: runs every bench/*.bench.ts (or those named on the command line) in turn.
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { referenceWorkloadMs } from './reference.js';
import { say, type BenchModule } from './types.js';

const dir = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = (await readdir(dir))
  .filter((f) => f.endsWith('.bench.ts') && (only.length === 0 || only.some((o) => f.startsWith(o))))
  .sort();
let failed = false;

for (const file of files) {
  say(`\n== ${file}`);
  const referenceMs = referenceWorkloadMs();
  say(
    `  reference workload before it: ${referenceMs} ms (this machine's speed at the time; lower is faster)`,
  );
  process.stdout.write(
    `${JSON.stringify({ bench: 'machine', metric: 'referenceWorkloadMs', value: referenceMs, before: file })}\n`,
  );
  try {
    const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as BenchModule;
    for (const line of await mod.run()) process.stdout.write(`${JSON.stringify(line)}\n`);
  } catch (err) {
    failed = true;
    say(`${file} failed: ${(err as Error).stack ?? String(err)}`);
  }
}
process.exitCode = failed ? 1 : 0;
