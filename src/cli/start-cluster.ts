// The live half of `npm start`: a collector and one agent per node in this one process, on loopback;
// once every node's first scan is in, the first screen (root causes, then the page address).
import type { Writable } from 'node:stream';
import { MirrorscopeError } from '../core/errors.js';
import type { ClusterReport } from '../core/report/types.js';
import type { Style } from '../core/style.js';
import { renderFirstScreen, type CommandContext } from './first-screen.js';

export interface LiveNode {
  readonly name: string;
  readonly root: string;
  /** What the node shows (the lab's nodes). */
  readonly story?: string;
}

export interface LiveOptions {
  readonly nodes: readonly LiveNode[];
  readonly images: readonly string[];
  /** null: the default address (127.0.0.1:8080), or any free port when that one is taken. */
  readonly listen: string | null;
  /** Pools of the nodes when there is no Kubernetes API to ask (the embedded lab). */
  readonly nodePools?: ReadonlyMap<string, string>;
  readonly timeoutMs: number;
  /** Stop after printing the first screen (for scripts and tests) instead of serving until Ctrl-C. */
  readonly exitAfterReport: boolean;
  /** The root of a node, for the commands that read its files. */
  rootOf(node: string | null): string;
  /** Printed between the causes and the page address (what the nodes are). */
  readonly note: string | null;
}

const DEFAULT_LISTEN = '127.0.0.1:8080';
const FIRST_REPORT_DEADLINE_MS = 120_000;

/** Every node has reported on every image (or the deadline passed, or Ctrl-C). */
async function waitForFirstScans(
  report: () => ClusterReport,
  nodes: number,
  images: number,
  stopped: () => boolean,
): Promise<ClusterReport> {
  const deadline = Date.now() + FIRST_REPORT_DEADLINE_MS;
  for (;;) {
    const current = report();
    const complete =
      current.images.length >= images &&
      current.images.every((i) => i.nodesPulling + i.nodesFailing.length >= nodes);
    if (complete || stopped() || Date.now() > deadline) return current;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGINT/SIGTERM from the start: an interrupted first scan still stops the agents and the lab. */
function interruption(): { readonly requested: () => boolean; readonly done: Promise<void>; off(): void } {
  let requested = false;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const stop = () => {
    requested = true;
    resolve();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return {
    requested: () => requested,
    done,
    off: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

/** The exit status of a run stopped by a signal before its first screen (128 + SIGINT). */
const EXIT_INTERRUPTED = 130;

export async function runLive(options: LiveOptions, out: Writable, style: Style): Promise<number> {
  const interrupt = interruption();
  try {
    return await serve(options, out, style, interrupt);
  } finally {
    interrupt.off();
  }
}

async function serve(
  options: LiveOptions,
  out: Writable,
  style: Style,
  interrupt: ReturnType<typeof interruption>,
): Promise<number> {
  const [{ startCollector }, { silentLog }, { parseListen }, { agentOptions }, { startAgent }] =
    await Promise.all([
      import('../collector/collector.js'),
      import('../collector/log.js'),
      import('../protocol/listen-address.js'),
      import('../agent/options.js'),
      import('../agent/main.js'),
    ]);
  const base = {
    auth: 'none' as const,
    kube: null,
    namespace: 'mirrorscope',
    agentUser: 'system:serviceaccount:mirrorscope:mirrorscope-agent',
    publicReport: true,
    log: silentLog,
    ...(options.nodePools ? { nodePools: options.nodePools } : {}),
  };
  let collector;
  let portNote = '';
  try {
    collector = await startCollector({ ...base, listen: [parseListen(options.listen ?? DEFAULT_LISTEN)] });
  } catch (err) {
    const code = /\b(EADDRINUSE|EACCES)\b/.exec((err as Error).message)?.[1];
    if (code === undefined) throw err;
    // An address the user named is kept or refused; only the default gives way.
    if (options.listen !== null)
      throw new MirrorscopeError(
        'input-invalid',
        `--listen ${options.listen}: ${code === 'EADDRINUSE' ? 'the address is in use' : 'not allowed for this user'} (${code})`,
      );
    collector = await startCollector({ ...base, listen: [parseListen('127.0.0.1:0')] });
    const why = code === 'EADDRINUSE' ? 'is in use' : 'is not allowed for this user';
    portNote = `  ${DEFAULT_LISTEN} ${why} (${code}): serving on ${collector.urls[0]!.replace(/^https?:\/\//, '')} instead\n`;
  }
  const url = collector.urls[0]!;
  const agents = await Promise.all(
    options.nodes.map((node) =>
      startAgent(
        agentOptions(
          {
            root: node.root,
            node: node.name,
            image: [...options.images],
            collector: url.replace(/^http/, 'ws'),
            listen: 'off',
            timeout: options.timeoutMs,
            // The first screen is the output here; the agents' own logs would only repeat it.
            'log-level': 'fatal',
            'token-file': '/nonexistent',
          },
          {},
        ),
      ),
    ),
  );
  const stopAll = async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await collector.close();
  };
  const report = await waitForFirstScans(
    collector.report,
    options.nodes.length,
    new Set(options.images).size,
    interrupt.requested,
  );
  if (interrupt.requested()) {
    await stopAll();
    return EXIT_INTERRUPTED;
  }
  const commands: CommandContext = {
    // `mirrorscope trace --node` asks http://127.0.0.1:8080 unless told otherwise.
    collector: url === `http://${DEFAULT_LISTEN}` ? null : url,
    rootOf: options.rootOf,
  };
  out.write(`${renderFirstScreen(report, commands, style)}\n\n`);
  if (options.note !== null) out.write(`${options.note}\n\n`);
  out.write(
    `${style.strong('Report page')}: ${url}/   JSON: ${url}/api/v1/report   metrics: ${url}/metrics\n${portNote}`,
  );
  const code = report.causes.some((c) => c.severity === 'error') ? 1 : 0;
  if (options.exitAfterReport) {
    await stopAll();
    return code;
  }
  out.write(`Serving until Ctrl-C.\n`);
  await interrupt.done;
  await stopAll();
  return 0;
}
