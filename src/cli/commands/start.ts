// `npm start`: the main job on an embedded default — the lab cluster (three example nodes and
// in-process registries, no network needed) — or on a real root with `--root /`.
import { hostname } from 'node:os';
import path from 'node:path';
import { MirrorscopeError } from '../../core/errors.js';
import { parseArgs } from '../../core/args.js';
import { EXIT_OK, EXIT_USAGE, type CommandIo } from '../command.js';
import { EXAMPLE_IMAGES } from '../example-root.js';
import { readImageList } from '../../host/image-list.js';
import { loadResolver, parseRuntime, requireContainersDir } from '../../host/load-resolver.js';
import { renderNotes, renderResolveResult } from '../render-resolve.js';
import { styleFor } from '../../core/style.js';
import { installConnectRoutes, parseConnectTo } from '../../probe/connect-to.js';
import type { LiveNode, LiveOptions } from '../start-cluster.js';

export const usage = `usage: mirrorscope start [--root DIR] [--image REF]... [--listen ADDR] [--node NAME]
                         [--connect-to HOST[:PORT]=ADDR:PORT]... [--exit-after-report] [--no-live]

The main job on one machine: a collector and agents in this process check where CRI-O would pull each
image from and what the registries answer; the first screen lists the root causes, most impact first,
each with the next command to run, then the report page's address. Serves until Ctrl-C.

Without --root it runs the embedded lab: three example OpenShift workers (examples/lab/nodes) and
in-process registries on 127.0.0.1 that answer for quay.io, registry.redhat.io, docker.io and the
corporate mirrors, with TLS, credentials and signatures. No network is needed and no name outside the
lab is ever looked up. --root / checks this machine's own configuration instead.

  --root DIR             one node root (default: the embedded lab)
  --image REF            an image to check (repeatable; default: the lab's images, or
                         examples/images.txt with --root)
  --listen ADDR          report page and collector address (default 127.0.0.1:8080, or any free port
                         when that one is taken; a named ADDR must be free; loopback only)
  --node NAME            the node name with --root (default: this host's name)
  --connect-to HOST[:PORT]=ADDR:PORT
                         connect to ADDR:PORT whenever HOST[:PORT] is contacted (repeatable)
  --timeout MS           per network step of the probes (default 3000)
  --allow-empty-root     accept a --root without etc/containers
  --exit-after-report    print the first screen and exit: 0 no error cause, 1 otherwise
  --no-live              only the resolution explanation of each image (no network)
`;

/** A path as the user would type it from here. */
function shown(p: string): string {
  const relative = path.relative(process.cwd(), p);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : p;
}

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, {
    root: { type: 'string' },
    image: { type: 'string', multiple: true },
    runtime: { type: 'string' },
    listen: { type: 'string' },
    node: { type: 'string' },
    timeout: { type: 'number' },
    'connect-to': { type: 'string', multiple: true },
    'allow-empty-root': { type: 'boolean' },
    'exit-after-report': { type: 'boolean' },
    'no-live': { type: 'boolean' },
  });
  if (positionals.length > 0) throw new MirrorscopeError('usage', `unexpected argument "${positionals[0]}"`);
  const userRoutes = parseConnectTo((flags['connect-to'] as string[] | undefined) ?? []);
  const style = styleFor(io.isTTY, io.env);
  const runtime = parseRuntime(flags.runtime);
  const live = {
    listen: typeof flags.listen === 'string' ? flags.listen : null,
    timeoutMs: typeof flags.timeout === 'number' ? flags.timeout : 3000,
    exitAfterReport: flags['exit-after-report'] === true,
  };

  let nodes: LiveNode[];
  let images: string[];
  let extra: Pick<LiveOptions, 'commands' | 'commandsNote' | 'nodePools'>;
  let stopLab = async () => {};
  if (typeof flags.root === 'string') {
    const root = flags.root;
    await requireContainersDir(root, flags['allow-empty-root'] === true);
    installConnectRoutes(
      userRoutes.length > 0 ? { routes: userRoutes, exclusive: false, scope: '--connect-to' } : null,
    );
    nodes = [{ name: typeof flags.node === 'string' ? flags.node : hostname(), root }];
    images = (flags.image as string[] | undefined) ?? (await readImageList(EXAMPLE_IMAGES));
    const connect = ((flags['connect-to'] as string[] | undefined) ?? [])
      .map((v) => `--connect-to=${v}`)
      .join(' ');
    extra = { commands: { connect, rootOf: () => shown(root) }, commandsNote: null };
  } else {
    const { startLab } = await import('../../lab/lab.js');
    const lab = await startLab();
    stopLab = () => lab.stop();
    installConnectRoutes({
      routes: [...userRoutes, ...lab.routes],
      exclusive: true,
      scope: 'the embedded lab',
    });
    nodes = lab.nodes.map((n) => ({ name: n.name, root: n.root, story: n.story }));
    images = (flags.image as string[] | undefined) ?? [...lab.images];
    const rootOf = (node: string | null) =>
      lab.nodes.find((n) => n.name === node)?.root ?? lab.nodes[0]!.root;
    extra = {
      nodePools: new Map(lab.nodes.map((n) => [n.name, 'worker'])),
      commands: { connect: '$LAB', rootOf },
      commandsNote:
        `${style.dim('The next commands reach the lab while this runs; in another shell, first:')}\n` +
        `  LAB='${lab.connectToFlags.join(' ')}'\n` +
        `${style.dim('Nodes:')} ${lab.nodes.map((n) => `${n.name} (${n.story})`).join(', ')}`,
    };
  }
  extra = { ...extra, commands: { ...extra.commands, imageVia: await imageLocator(nodes, images, runtime) } };
  try {
    if (flags['no-live'] === true) {
      for (const node of nodes) {
        const code = await explain(node, runtime, images, io, style);
        if (code !== EXIT_OK) return code;
      }
      return EXIT_OK;
    }
    const { runLive } = await import('../start-cluster.js');
    return await runLive({ nodes, images, ...live, ...extra }, io.stdout, style);
  } finally {
    await stopLab();
  }
}

/** For a mirror-level cause: an image whose pull on that node tries the host (resolution only). */
async function imageLocator(
  nodes: readonly LiveNode[],
  images: readonly string[],
  runtime: ReturnType<typeof parseRuntime>,
): Promise<(host: string, node: string | null) => string | null> {
  const byNode = new Map<string, Map<string, string>>();
  for (const node of nodes) {
    const hosts = new Map<string, string>();
    try {
      const { resolver } = await loadResolver(node.root, runtime);
      for (const image of images)
        for (const c of resolver.resolve(image).candidates)
          for (const s of c.sources) if (!hosts.has(s.host)) hosts.set(s.host, image);
    } catch {
      // a configuration that does not load has its own cause; no image to offer here
    }
    byNode.set(node.name, hosts);
  }
  return (host, node) => byNode.get(node ?? nodes[0]!.name)?.get(host) ?? null;
}

/** `--no-live`: where CRI-O would pull each image from, on one node; no network. */
async function explain(
  node: LiveNode,
  runtime: ReturnType<typeof parseRuntime>,
  images: readonly string[],
  io: CommandIo,
  style: ReturnType<typeof styleFor>,
): Promise<number> {
  let loaded;
  try {
    loaded = await loadResolver(node.root, runtime);
  } catch (err) {
    if (!(err instanceof MirrorscopeError) || err.code !== 'config-invalid') throw err;
    io.stderr.write(
      `mirrorscope: the configuration under ${node.root} cannot be loaded; CRI-O would fail every pull:\n  ${err.message}\n`,
    );
    return EXIT_USAGE;
  }
  const { config } = loaded.loaded;
  io.stdout.write(
    `${style.strong('mirrorscope')} — node ${node.name}${node.story ? ` (${node.story})` : ''}, root ${node.root}\n` +
      `  read ${config.files.length} registries file(s): ${config.files.join(', ') || 'none (CRI-O starts from an empty configuration)'}\n` +
      `  ${config.registries.length} [[registry]] entries, ${config.registries.reduce((n, r) => n + r.mirrors.length, 0)} mirrors\n\n`,
  );
  for (const image of images)
    io.stdout.write(`${renderResolveResult(loaded.resolver.resolve(image), style)}\n\n`);
  if (config.notes.length > 0) io.stdout.write(`${renderNotes(config.notes, style)}\n`);
  return EXIT_OK;
}
