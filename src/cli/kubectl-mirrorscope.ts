#!/usr/bin/env node
// The kubectl/oc plugin executable: `kubectl mirrorscope …` and `oc mirrorscope …` find it on PATH
// by its name (package.json `bin`).
import { runPlugin } from './kubectl/main.js';

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(141);
});

process.exitCode = await runPlugin(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  isTTY: Boolean(process.stdout.isTTY),
});
