// The entry point of dist/agent.mjs: `mirrorscope agent` and everything it loads, its packages
// included, bundled into one ES module without comments or indentation (`npm run build`). The agent
// runs on every node for as long as the node lives, so its resident memory counts more than any
// startup time: loaded as ~230 modules (ours, then pino, ws, prom-client, yaml, smol-toml and theirs)
// it holds every file's source text and the loader's records for each, ~3 MiB of the ~55 MiB it
// needs at rest (bench/agent.bench.ts). Identifiers keep their names, so stacks in the log stay
// readable. What only some modes load (the Kubernetes client, openpgp) stays outside, loaded lazily
// as before. dist/cli.js falls back to ./cli/main.js when the bundle is absent (a build without it,
// or the tests running src/).
import * as agent from './commands/agent.js';
import { runCommand, type BundledCommand } from './run-command.js';

/** `main(['agent', ...rest], io)`, without the other commands. */
export const runBundled: BundledCommand['runBundled'] = (rest, io) => runCommand('agent', agent, rest, io);
