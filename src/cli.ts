#!/usr/bin/env node
import { existsSync } from 'node:fs';
import module from 'node:module';
import type * as AgentEntry from './cli/agent-entry.js';
import type * as CollectorEntry from './cli/collector-entry.js';

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
/** `npm run build` makes it; absent when dist/ was built by tsc alone. */
const AGENT_BUNDLE = new URL('./agent.mjs', import.meta.url);
const COLLECTOR_BUNDLE = new URL('./collector.mjs', import.meta.url);
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
  if (relaunched !== null) process.exitCode = relaunched;
  else if (argv[0] === 'agent' && existsSync(AGENT_BUNDLE)) {
    // The agent runs from its one-file bundle: less resident memory on every node (cli/agent-entry.ts).
    const { runAgent } = (await import(AGENT_BUNDLE.href)) as typeof AgentEntry;
    process.exitCode = await runAgent(argv.slice(1), io);
  } else if (argv[0] === 'collector' && existsSync(COLLECTOR_BUNDLE)) {
    // The collector runs from its one-file bundle too: the Kubernetes client costs a third of its
    // resident memory at rest when loaded as ~830 modules (cli/collector-entry.ts).
    const { runCollector } = (await import(COLLECTOR_BUNDLE.href)) as typeof CollectorEntry;
    process.exitCode = await runCollector(argv.slice(1), io);
  } else {
    const { main } = await import('./cli/main.js');
    process.exitCode = await main(argv, io);
  }
}
