// `npm start`: the main job on an embedded default — the example worker root shipped in the repo —
// or on a real root with `--root /`.
import { readFile } from 'node:fs/promises';
import { MirrorscopeError } from '../../core/errors.js';
import { parseArgs } from '../../core/args.js';
import { EXIT_OK, EXIT_USAGE, type CommandIo } from '../command.js';
import { EXAMPLE_IMAGES, EXAMPLE_ROOT } from '../example-root.js';
import { loadResolver, parseRuntime } from '../../host/load-resolver.js';
import { renderNotes, renderResolveResult } from '../render-resolve.js';
import { styleFor } from '../../core/style.js';

export const usage = `usage: mirrorscope start [--root DIR] [--image REF]... [--runtime crio|podman] [--listen ADDR]
                         [--node NAME] [--timeout MS] [--exit-after-report] [--no-live]

The main job on one machine: explains where CRI-O would pull each image from, then runs a collector
and an agent in this process against the same root and serves the cluster report page until Ctrl-C.
Without flags it uses the example OpenShift worker shipped with mirrorscope (examples/node-root) and
its images (examples/images.txt); --root / reads this machine's configuration.

  --listen ADDR          report page and collector address (default 127.0.0.1:8080; loopback only)
  --node NAME            the node name the agent reports (default: this host's name)
  --timeout MS           per network step of the probes (default 3000)
  --exit-after-report    print the first report and exit instead of serving
  --no-live              only the resolution explanation (no collector, no agent, no network)
`;

async function readImageList(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, {
    root: { type: 'string' },
    image: { type: 'string', multiple: true },
    runtime: { type: 'string' },
    listen: { type: 'string' },
    node: { type: 'string' },
    timeout: { type: 'number' },
    'exit-after-report': { type: 'boolean' },
    'no-live': { type: 'boolean' },
  });
  if (positionals.length > 0) throw new MirrorscopeError('usage', `unexpected argument "${positionals[0]}"`);
  const root = typeof flags.root === 'string' ? flags.root : EXAMPLE_ROOT;
  const images = (flags.image as string[] | undefined) ?? (await readImageList(EXAMPLE_IMAGES));
  const style = styleFor(io.isTTY, io.env);
  let loaded;
  try {
    loaded = await loadResolver(root, parseRuntime(flags.runtime));
  } catch (err) {
    if (!(err instanceof MirrorscopeError) || err.code !== 'config-invalid') throw err;
    io.stderr.write(
      `mirrorscope: the configuration under ${root} cannot be loaded; CRI-O would fail every pull:\n  ${err.message}\n`,
    );
    return EXIT_USAGE;
  }
  const { config } = loaded.loaded;
  io.stdout.write(
    `${style.strong('mirrorscope')} — node root ${root}\n` +
      `  read ${config.files.length} registries file(s): ${config.files.join(', ') || 'none (CRI-O starts from an empty configuration)'}\n` +
      `  ${config.registries.length} [[registry]] entries, ${config.registries.reduce((n, r) => n + r.mirrors.length, 0)} mirrors\n\n`,
  );
  for (const image of images)
    io.stdout.write(`${renderResolveResult(loaded.resolver.resolve(image), style)}\n\n`);
  if (config.notes.length > 0) io.stdout.write(`${renderNotes(config.notes, style)}\n`);
  if (flags['no-live'] === true) return EXIT_OK;
  const { runLive } = await import('../start-cluster.js');
  return runLive(
    {
      root,
      images,
      listen: typeof flags.listen === 'string' ? flags.listen : '127.0.0.1:8080',
      node: typeof flags.node === 'string' ? flags.node : root === EXAMPLE_ROOT ? 'example-worker-0' : null,
      timeoutMs: typeof flags.timeout === 'number' ? flags.timeout : 3000,
      exitAfterReport: flags['exit-after-report'] === true,
    },
    io.stdout,
    style,
  );
}
