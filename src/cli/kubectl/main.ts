// `kubectl mirrorscope …` / `oc mirrorscope …`: the collector's report, findings, traces and page,
// read through the API server's service proxy with the user's kubeconfig and RBAC
// (./collector-proxy.ts). Output in the kubectl style (./output.ts); exit status as the CLI's.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { parseArgs, type FlagValues } from '../../core/args.js';
import { causeIdByFinding } from '../../core/causes/of-scan.js';
import { MirrorscopeError } from '../../core/errors.js';
import { SEVERITY_RANK } from '../../core/findings/types.js';
import { nodeFindings } from '../../core/report/node-findings.js';
import type { ClusterReport, NodeReport } from '../../core/report/types.js';
import { styleFor } from '../../core/style.js';
import type { TraceResult } from '../../trace/types.js';
import type { WhatIfReport } from '../../core/what-if/types.js';
import { WHAT_IF_PATH } from '../../protocol/messages.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CommandIo } from '../command.js';
import { CollectorProxy, DEFAULT_LOCATION } from './collector-proxy.js';
import { document, outputFormat, table, type Column } from './output.js';

export const USAGE = `usage: kubectl mirrorscope <command> [flags]      (or: oc mirrorscope …)

Reads the mirrorscope collector through the API server's service proxy, with your kubeconfig: no
port-forward, and your own RBAC applies (get services/proxy in the collector's namespace).

commands:
  report                          the cluster report, causes first (as \`mirrorscope report\`)
  findings NODE                   one node's findings, with the cause each belongs to
  trace NODE IMAGE [--all]        the node's agent pulls IMAGE as its CRI-O would, step by step
  trace --selector SEL IMAGE      the same on every node matching the label selector, grouped by outcome
  what-if -f FILE... [--delete KIND/NAME]...
                                  what a mirror change (ICSP/IDMS/ITMS, image.config, …) would do to the
                                  pulls of every node, before it is applied (as \`mirrorscope what-if --collector\`)
  open [--port N] [--browser]     serve the report page on 127.0.0.1 through the API server

flags:
  -o, --output FORMAT    table (default), wide, json or yaml (report, trace NODE, what-if: text, json or yaml)
  -l, --selector SEL     trace: the nodes to trace on (a label selector, as kubectl's)
      --all              trace: every source CRI-O would try, not only up to the first that works
  -f, --filename FILE    what-if: the objects that change (YAML or JSON, a directory, "-" stdin; repeatable)
      --delete KIND/NAME what-if: an object the change removes (repeatable)
      --verbose          what-if: also list the images the change leaves alone
  -n, --namespace NS     the collector's namespace (default ${DEFAULT_LOCATION.namespace})
      --service NAME     the collector's Service (default ${DEFAULT_LOCATION.service})
      --kubeconfig FILE  the kubeconfig (default $KUBECONFIG, ~/.kube/config, in-cluster)
      --context NAME     the kubeconfig context (default its current context)

Exit status: 0 nothing wrong, 1 a problem (an error-severity problem or finding, an image that
would not pull), 2 usage error, or the collector cannot be reached or refuses.
`;

const FLAGS = {
  output: { type: 'string', short: 'o' },
  selector: { type: 'string', short: 'l' },
  all: { type: 'boolean' },
  filename: { type: 'string', multiple: true, short: 'f' },
  delete: { type: 'string', multiple: true },
  verbose: { type: 'boolean' },
  namespace: { type: 'string', short: 'n' },
  service: { type: 'string' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  port: { type: 'number' },
  browser: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Context {
  readonly flags: FlagValues;
  readonly args: readonly string[];
  readonly io: CommandIo;
  readonly proxy: () => CollectorProxy;
}

function expectArgs(ctx: Context, count: number, names: string): void {
  if (ctx.args.length !== count)
    throw new MirrorscopeError(
      'usage',
      ctx.args.length < count ? `missing ${names}` : `unexpected argument "${ctx.args[count]}"`,
    );
}

async function getJson<T>(ctx: Context, path: string): Promise<T> {
  const answer = await ctx.proxy().request('GET', path);
  try {
    return JSON.parse(answer.body.toString('utf8')) as T;
  } catch {
    throw new MirrorscopeError(
      'input-invalid',
      `the collector did not answer ${path.split('?')[0]} with JSON`,
    );
  }
}

async function report(ctx: Context): Promise<number> {
  expectArgs(ctx, 0, '');
  const format = outputFormat(ctx.flags.output, ['table', 'json', 'yaml']);
  const doc = await getJson<ClusterReport>(ctx, '/api/v1/report');
  if (format === 'json' || format === 'yaml') ctx.io.stdout.write(document(doc, format));
  else {
    const { renderReportText } = await import('../../core/report/render-text.js');
    const style = styleFor(ctx.io.isTTY, ctx.io.env);
    ctx.io.stdout.write(
      renderReportText(doc, { strong: style.strong, error: style.bad, warn: style.warn, dim: style.dim }),
    );
  }
  return doc.problems.some((p) => p.severity === 'error') ? EXIT_FAILED : EXIT_OK;
}

type NodeFinding = NodeReport['findings'][number];

function subject(f: NodeFinding): string {
  if (f.host) return f.host;
  if (f.image) return f.image;
  if (f.file) return f.line === null || f.line === undefined ? f.file : `${f.file}:${f.line}`;
  return f.scope ?? '';
}

async function findings(ctx: Context): Promise<number> {
  expectArgs(ctx, 1, 'NODE');
  const name = ctx.args[0]!;
  const format = outputFormat(ctx.flags.output);
  const doc = await getJson<ClusterReport>(ctx, `/api/v1/report?node=${encodeURIComponent(name)}`);
  const node = doc.nodes.find((n) => n.name === name);
  if (node === undefined)
    throw new MirrorscopeError(
      'input-invalid',
      `node ${name} is not in the collector's report: not a node of this cluster, or one the collector has not seen yet (\`kubectl get node ${name}\`)`,
    );
  if (node.agent === 'missing')
    throw new MirrorscopeError(
      'input-invalid',
      `no agent has reported from node ${name}, so mirrorscope cannot tell what it would pull: is the mirrorscope-agent pod on that node running? (\`kubectl -n ${ctx.proxy().location.namespace} get pods -l app.kubernetes.io/name=mirrorscope-agent --field-selector spec.nodeName=${name}\`)`,
    );
  if (node.agent !== 'connected')
    ctx.io.stderr.write(
      `kubectl mirrorscope: the agent on node ${name} is ${node.agent} (last seen ${node.lastSeen ?? 'never'}): these are the findings it sent last\n`,
    );
  const causeOf = causeIdByFinding(doc.causes);
  const rows = [...nodeFindings(doc, node)].sort(
    (a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.id.localeCompare(b.id),
  );
  if (format === 'json' || format === 'yaml')
    ctx.io.stdout.write(
      document(
        {
          node: name,
          agent: node.agent,
          findings: rows.map((f) => ({ ...f, cause: causeOf.get(f.key) ?? null })),
        },
        format,
      ),
    );
  else if (rows.length === 0) ctx.io.stdout.write(`No findings on node ${name}.\n`);
  else {
    const columns: Column<NodeFinding>[] = [
      { header: 'SEVERITY', value: (f) => f.severity },
      { header: 'FINDING', value: (f) => f.id },
      { header: 'SUBJECT', value: subject },
      { header: 'CAUSE', value: (f) => causeOf.get(f.key) ?? '', wide: true },
      { header: 'MESSAGE', value: (f) => f.message },
      { header: 'FIX', value: (f) => f.fix, wide: true },
    ];
    ctx.io.stdout.write(table(rows, columns, format === 'wide'));
  }
  return rows.some((f) => f.severity === 'error') ? EXIT_FAILED : EXIT_OK;
}

interface TraceGroup {
  readonly outcome: string;
  readonly source: string | null;
  readonly reason: string;
  readonly nodes: string[];
}

async function trace(ctx: Context): Promise<number> {
  const all = ctx.flags.all === true ? '&all=1' : '';
  const selector = ctx.flags.selector;
  if (typeof selector === 'string') {
    expectArgs(ctx, 1, 'IMAGE');
    const image = ctx.args[0]!;
    const format = outputFormat(ctx.flags.output);
    const doc = await getJson<{ image: string; nodes: number; groups: TraceGroup[] }>(
      ctx,
      `/api/v1/trace?image=${encodeURIComponent(image)}&labelSelector=${encodeURIComponent(selector)}${all}`,
    );
    if (doc.nodes === 0)
      throw new MirrorscopeError(
        'input-invalid',
        `no node matching "${selector}" has an agent connected to the collector: nothing was traced`,
      );
    if (format === 'json' || format === 'yaml') ctx.io.stdout.write(document(doc, format));
    else
      ctx.io.stdout.write(
        table(
          doc.groups,
          [
            { header: 'NODES', value: (g) => String(g.nodes.length) },
            { header: 'OUTCOME', value: (g) => g.outcome },
            { header: 'SOURCE', value: (g) => g.source ?? '' },
            { header: 'REASON', value: (g) => g.reason },
            { header: 'NODE NAMES', value: (g) => g.nodes.join(','), wide: true },
          ],
          format === 'wide',
        ),
      );
    return doc.groups.every((g) => g.outcome === 'pulled') ? EXIT_OK : EXIT_FAILED;
  }
  expectArgs(ctx, 2, ctx.args.length === 0 ? 'NODE and IMAGE (or --selector SEL IMAGE)' : 'IMAGE');
  const [node, image] = ctx.args as [string, string];
  const format = outputFormat(ctx.flags.output, ['table', 'json', 'yaml']);
  const doc = await getJson<{ trace?: TraceResult }>(
    ctx,
    `/api/v1/nodes/${encodeURIComponent(node)}/trace?image=${encodeURIComponent(image)}${all}`,
  );
  const result = doc.trace;
  if (result === undefined || result === null || typeof result !== 'object' || !('result' in result))
    throw new MirrorscopeError('input-invalid', `node ${node} did not answer with a trace of ${image}`);
  if (format === 'json' || format === 'yaml') ctx.io.stdout.write(document(result, format));
  else {
    const { renderTrace } = await import('../../trace/render.js');
    ctx.io.stdout.write(`node ${node}:\n${renderTrace(result, styleFor(ctx.io.isTTY, ctx.io.env))}\n`);
  }
  return result.result.outcome === 'pulled' ? EXIT_OK : EXIT_FAILED;
}

async function whatIf(ctx: Context): Promise<number> {
  expectArgs(ctx, 0, '');
  const files = (ctx.flags.filename as string[] | undefined) ?? [];
  if (files.length === 0) throw new MirrorscopeError('usage', 'name at least one -f FILE');
  const format = outputFormat(ctx.flags.output, ['table', 'json', 'yaml']);
  const { readObjectFiles } = await import('../object-files.js');
  // Each -f is one layer, sent as read: the collector parses them, so its errors name file and line.
  const layers = [];
  for (const f of files) layers.push((await readObjectFiles([f])).files);
  const body = Buffer.from(JSON.stringify({ layers, delete: ctx.flags.delete ?? [] }));
  const answer = await ctx
    .proxy()
    .request('POST', WHAT_IF_PATH, body, { 'Content-Type': 'application/json' });
  let report: WhatIfReport;
  try {
    report = JSON.parse(answer.body.toString('utf8')) as WhatIfReport;
    if (typeof report.summary !== 'object' || !Array.isArray(report.changes)) throw new Error('not a report');
  } catch {
    throw new MirrorscopeError('input-invalid', 'the collector did not answer with a what-if report');
  }
  if (format === 'json' || format === 'yaml') ctx.io.stdout.write(document(report, format));
  else {
    const { renderWhatIfText } = await import('../../core/what-if/render-text.js');
    ctx.io.stdout.write(renderWhatIfText(report, { verbose: ctx.flags.verbose === true }));
  }
  const { whatIfFails } = await import('../../core/what-if/classify.js');
  return whatIfFails(report) ? EXIT_FAILED : EXIT_OK;
}

/** Local HTTP → the collector through the API server, until interrupted (like `kubectl proxy`). */
async function open(ctx: Context): Promise<number> {
  expectArgs(ctx, 0, '');
  const proxy = ctx.proxy();
  // Refusals (not installed, RBAC) show now, not in the browser.
  await proxy.request('GET', '/api/v1/summary');
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      proxy
        .request(
          method,
          req.url ?? '/',
          method === 'GET' || method === 'HEAD' ? undefined : Buffer.concat(chunks),
        )
        .then((answer) => {
          const type = answer.headers['content-type'];
          res.writeHead(answer.status, type === undefined ? {} : { 'Content-Type': type });
          res.end(answer.body);
        })
        .catch((err: unknown) => {
          res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end(`${(err as Error).message}\n`);
        });
    });
  });
  const port = typeof ctx.flags.port === 'number' ? ctx.flags.port : 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new MirrorscopeError(
          'input-invalid',
          `cannot listen on 127.0.0.1:${port}: ${err.code ?? err.message}`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  ctx.io.stdout.write(
    `Serving the mirrorscope report of ${proxy.location.namespace}/${proxy.location.service} at ${url} (through the API server; Ctrl-C to stop)\n`,
  );
  if (ctx.flags.browser === true) {
    const opener =
      process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.on('error', () =>
      ctx.io.stderr.write(`kubectl mirrorscope: cannot start ${opener}: open ${url} yourself\n`),
    );
    child.unref();
  }
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return EXIT_OK;
}

const COMMANDS: Readonly<Record<string, (ctx: Context) => Promise<number>>> = {
  report,
  findings,
  trace,
  'what-if': whatIf,
  open,
};

export async function runPlugin(argv: readonly string[], io: CommandIo): Promise<number> {
  try {
    const { flags, positionals } = parseArgs(argv, FLAGS);
    const [name, ...args] = positionals;
    if (flags.help === true || name === 'help') {
      io.stdout.write(USAGE);
      return EXIT_OK;
    }
    if (name === undefined) throw new MirrorscopeError('usage', 'missing command');
    const command = COMMANDS[name];
    if (command === undefined) throw new MirrorscopeError('usage', `unknown command "${name}"`);
    let proxy: CollectorProxy | null = null;
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    return await command({
      flags,
      args,
      io,
      proxy: () =>
        (proxy ??= CollectorProxy.load({
          kubeconfig: str(flags.kubeconfig),
          context: str(flags.context),
          location: {
            namespace: str(flags.namespace) ?? DEFAULT_LOCATION.namespace,
            service: str(flags.service) ?? DEFAULT_LOCATION.service,
          },
        })),
    });
  } catch (err) {
    if (!(err instanceof MirrorscopeError)) throw err;
    io.stderr.write(`kubectl mirrorscope: ${err.message}\n${err.code === 'usage' ? `\n${USAGE}` : ''}`);
    return EXIT_USAGE;
  }
}
