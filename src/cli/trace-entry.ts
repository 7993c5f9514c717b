// The entry point of dist/cli/trace.cjs: `mirrorscope trace` and everything it can load, bundled into
// one CommonJS file (`npm run build`). A cold trace is dominated by Node's per-module cost (≈80 ES
// modules otherwise); one file, whose compiled code is also cached between runs (./bundle-loader.ts),
// starts in a fraction of that. dist/cli.js falls back to ./main.js when the bundle is absent.
import * as trace from './commands/trace.js';
import type { CommandIo } from './command.js';
import { runCommand } from './run-command.js';

/** `main(['trace', ...rest], io)`, without the other commands. */
export function runTrace(rest: readonly string[], io: CommandIo): Promise<number> {
  return runCommand('trace', trace, rest, io);
}
