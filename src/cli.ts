#!/usr/bin/env node
import { existsSync } from 'node:fs';
import module from 'node:module';
import type { BundledCommand } from './cli/run-command.js';

// Node ≥ 22.1 keeps compiled code between runs, which shortens every later start (the container
// image runs Node 24; /tmp is writable there). Older Nodes do not have it.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

// A reader that stops early (`mirrorscope resolve … | head`) closes the pipe: end quietly with the
// status a shell reports for a program killed by SIGPIPE, as skopeo and podman end, not with a stack.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(141);
});

const argv = process.argv.slice(2);
/**
 * The commands that run from a one-file bundle, for less resident memory where they run for the
 * node's or the cluster's lifetime (cli/agent-entry.ts, cli/collector-entry.ts). `npm run build`
 * makes them; absent when dist/ was built by tsc alone.
 */
const BUNDLES = new Map([
  ['agent', new URL('./agent.mjs', import.meta.url)],
  ['collector', new URL('./collector.mjs', import.meta.url)],
]);
const io = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  isTTY: Boolean(process.stdout.isTTY),
};
// `trace` is run by hand while debugging a pull, so its cold start counts: when the build made it, it
// runs from a one-file bundle with a code cache of its own (cli/trace-entry.ts, cli/bundle-loader.ts).
const bundle = argv[0] === 'trace' ? (await import('./cli/bundle-loader.js')).loadTraceBundle() : null;
if (bundle !== null) {
  const code = await bundle.runTrace(argv.slice(1), io);
  process.exitCode = code;
  bundle.saveCache(code);
} else {
  // The collector's heap follows its container's memory limit (collector/heap-limit.ts).
  const relaunched =
    argv[0] === 'collector'
      ? await (await import('./collector/heap-limit.js')).relaunchWithHeapLimit(argv)
      : null;
  const oneFile = BUNDLES.get(argv[0] ?? '');
  if (relaunched !== null) process.exitCode = relaunched;
  else if (oneFile !== undefined && existsSync(oneFile)) {
    const { runBundled } = (await import(oneFile.href)) as BundledCommand;
    process.exitCode = await runBundled(argv.slice(1), io);
  } else {
    const { main } = await import('./cli/main.js');
    process.exitCode = await main(argv, io);
  }
}
