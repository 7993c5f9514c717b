// The entry point of dist/collector.mjs: `mirrorscope collector` and everything it loads, the
// Kubernetes client included, bundled into one ES module without comments or indentation
// (`npm run build`). Loaded as its ~830 modules, @kubernetes/client-node alone holds 14 MiB of
// source text in the heap and adds ~70 MiB of resident memory at import; bundled, ~24 MiB
// (docs/collector.md, "Memory"). Identifiers keep their names, so stacks in the log stay readable.
// openpgp stays outside, loaded lazily as before. dist/cli.js falls back to ./cli/main.js when the
// bundle is absent (a build without it, or the tests running src/).
import * as collector from './commands/collector.js';
import { runCommand, type BundledCommand } from './run-command.js';

/** `main(['collector', ...rest], io)`, without the other commands. */
export const runBundled: BundledCommand['runBundled'] = (rest, io) =>
  runCommand('collector', collector, rest, io);
