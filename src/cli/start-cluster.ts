// The live half of `npm start`: a collector and an agent in this one process, on loopback, against
// the node root; prints where the report page is and the top problems once the first scan is in.
import { hostname } from 'node:os';
import type { Writable } from 'node:stream';
import type { ClusterReport } from '../core/report/types.js';
import type { Style } from '../core/style.js';

export interface LiveOptions {
  readonly root: string;
  readonly images: readonly string[];
  readonly listen: string;
  readonly node: string | null;
  readonly timeoutMs: number;
  /** Stop after printing the first report (for scripts and tests) instead of serving until Ctrl-C. */
  readonly exitAfterReport: boolean;
}

const FIRST_REPORT_DEADLINE_MS = 120_000;
const TOP = 10;

async function waitForFirstScan(report: () => ClusterReport, images: number): Promise<ClusterReport> {
  const deadline = Date.now() + FIRST_REPORT_DEADLINE_MS;
  for (;;) {
    const current = report();
    if (current.images.length >= images || Date.now() > deadline) return current;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** One line per finding id (most severe first), with how many distinct problems share it. */
function topProblems(report: ClusterReport, style: Style): string {
  const s = report.summary;
  const failing = report.images.filter((i) => i.nodesFailing.length > 0).length;
  const lines = [
    `${style.strong('Cluster report')} (${s.nodes} node(s)): ${report.problems.length} distinct problem(s), ${failing} image(s) that fail to pull`,
  ];
  const byId = new Map<string, { first: ClusterReport['problems'][number]; count: number }>();
  for (const p of report.problems) {
    const entry = byId.get(p.id);
    if (entry === undefined) byId.set(p.id, { first: p, count: 1 });
    else entry.count++;
  }
  for (const { first, count } of [...byId.values()].slice(0, TOP)) {
    const mark =
      first.severity === 'error'
        ? style.bad('error  ')
        : first.severity === 'warning'
          ? style.warn('warning')
          : 'info   ';
    const more = count > 1 ? ` (and ${count - 1} more like it)` : '';
    lines.push(`  ${mark} ${style.strong(first.id)}: ${first.message}${more}`);
  }
  if (byId.size > TOP) lines.push(`  … ${byId.size - TOP} more kinds of problem on the report page`);
  return lines.join('\n');
}

export async function runLive(options: LiveOptions, out: Writable, style: Style): Promise<number> {
  const [{ startCollector }, { silentLog }, { parseListen }, { agentOptions }, { runAgent }] =
    await Promise.all([
      import('../collector/collector.js'),
      import('../collector/log.js'),
      import('../collector/listen-address.js'),
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
  };
  let collector;
  try {
    collector = await startCollector({ ...base, listen: [parseListen(options.listen)] });
  } catch {
    // The port is taken (another mirrorscope?): any free port will do for a local run.
    collector = await startCollector({
      ...base,
      listen: [parseListen(options.listen.replace(/:\d+$/, ':0'))],
    });
  }
  const url = collector.urls[0]!;
  const node = options.node ?? hostname();
  out.write(
    `\n${style.strong('Collector and agent')} running in this process (node "${node}", ${options.images.length} image(s)).\n` +
      `  report page: ${url}/   JSON: ${url}/api/v1/report   metrics: ${url}/metrics\n` +
      `  waiting for the first scan (probes time out after ${options.timeoutMs} ms)…\n\n`,
  );
  const agent = agentOptions(
    {
      root: options.root,
      node,
      image: [...options.images],
      collector: url.replace(/^http/, 'ws'),
      listen: 'off',
      timeout: options.timeoutMs,
      // The report is the output here; the agent's own log would only repeat it.
      'log-level': 'fatal',
      'token-file': '/nonexistent',
    },
    {},
  );
  const agentDone = runAgent(agent);
  const report = await waitForFirstScan(collector.report, new Set(options.images).size);
  out.write(`${topProblems(report, style)}\n\n`);
  if (options.exitAfterReport) {
    await collector.close();
    // The agent stops the way it always does, on SIGTERM (readiness off, socket closed, logs flushed).
    process.kill(process.pid, 'SIGTERM');
    return agentDone;
  }
  out.write(`Serving ${url}/ until Ctrl-C.\n`);
  const code = await agentDone;
  await collector.close();
  return code;
}
