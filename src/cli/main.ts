import { EXIT_USAGE, type CommandIo, type CommandModule } from './command.js';
import { runCommand } from './run-command.js';

/** Command name → lazy loader. Each command lives in its own module under ./commands/. */
const COMMANDS: Readonly<Record<string, { summary: string; load: () => Promise<CommandModule> }>> = {
  start: {
    summary: 'run the main job on the embedded example node root (or --root DIR)',
    load: () => import('./commands/start.js'),
  },
  resolve: {
    summary: 'show the ordered pull sources CRI-O would try for images',
    load: () => import('./commands/resolve.js'),
  },
  trace: {
    summary: 'probe the registries CRI-O would contact for an image and say what each answers',
    load: () => import('./commands/trace.js'),
  },
  check: {
    summary: 'static findings for a node: registries, CRI-O, registries.d and signature policy (no network)',
    load: () => import('./commands/check.js'),
  },
  agent: {
    summary: 'the node agent (DaemonSet): continuous diagnosis, local HTTP, link to the collector',
    load: () => import('./commands/agent.js'),
  },
  collector: {
    summary: 'the control plane: agents connect to it; serves the cluster mirror health report and traces',
    load: () => import('./commands/collector.js'),
  },
  report: {
    summary: "print a running collector's cluster mirror health report",
    load: () => import('./commands/report.js'),
  },
  admission: {
    summary: 'what Portieris and Gatekeeper would decide for a pod naming each image, next to the pull',
    load: () => import('./commands/admission.js'),
  },
  render: {
    summary: 'render ICSP/IDMS/ITMS/Image objects into the registries.conf the MCO writes',
    load: () => import('./commands/render.js'),
  },
  'what-if': {
    summary: 'what a proposed ICSP/IDMS/ITMS/image.config change would do to the pulls, before it is applied',
    load: () => import('./commands/what-if.js'),
  },
  coverage: {
    summary: 'which images in use the mirror objects (or an oc-mirror directory) leave without a source',
    load: () => import('./commands/coverage.js'),
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: mirrorscope <command> [flags]\n\ncommands:\n${lines.join('\n')}\n\nRun "mirrorscope <command> --help" for a command's flags.\n`;
}

export async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === '--version') {
    io.stdout.write(`${(await import('../version.js')).VERSION}\n`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (entry === undefined) {
    io.stderr.write(`mirrorscope: unknown command "${name}"\n\n${usage()}`);
    return EXIT_USAGE;
  }
  return runCommand(name, await entry.load(), rest, io);
}
