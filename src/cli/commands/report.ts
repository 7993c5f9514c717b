// `mirrorscope report`: the collector's cluster report in a terminal (or as JSON).
import { readFile } from 'node:fs/promises';
import { MirrorscopeError } from '../../core/errors.js';
import { parseArgs } from '../../core/args.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CommandIo } from '../command.js';
import type { ClusterReport } from '../../core/report/types.js';

export const usage = `usage: mirrorscope report [--collector URL] [--json] [--token-file FILE]

Prints the cluster mirror health report of a running collector: summary, failing mirrors, images
that fail to pull, and every distinct problem with the nodes that see it.

  --collector URL     the collector's HTTP address (default $MIRRORSCOPE_COLLECTOR or http://127.0.0.1:8080)
  --json              print the report JSON (the GET /api/v1/report document)
  --token-file FILE   bearer token for a collector running with --auth kube
                      (default: $MIRRORSCOPE_TOKEN)

Exit status: 0 no error-severity problem, 1 some problem is an error, 2 usage error or collector unreachable.
`;

/** Not a usage error (no usage text): the collector is unreachable or refuses. */
function fail(io: CommandIo, message: string): number {
  io.stderr.write(`mirrorscope report: ${message}\n`);
  return EXIT_USAGE;
}

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, {
    collector: { type: 'string' },
    json: { type: 'boolean' },
    'token-file': { type: 'string' },
  });
  if (positionals.length > 0) throw new MirrorscopeError('usage', `unexpected argument "${positionals[0]}"`);
  const base = (
    (flags.collector as string | undefined) ??
    io.env.MIRRORSCOPE_COLLECTOR ??
    'http://127.0.0.1:8080'
  ).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(`${base}/api/v1/report`);
  } catch {
    throw new MirrorscopeError('usage', `--collector ${base} is not a URL`);
  }
  const tokenFile = flags['token-file'] as string | undefined;
  let token = io.env.MIRRORSCOPE_TOKEN;
  if (tokenFile !== undefined) {
    try {
      token = (await readFile(tokenFile, 'utf8')).trim();
    } catch (err) {
      throw new MirrorscopeError('usage', `cannot read --token-file ${tokenFile}: ${(err as Error).message}`);
    }
  }
  let response: Response;
  try {
    response = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return fail(
      io,
      `cannot reach the collector at ${base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
    );
  }
  const body = await response.text();
  if (!response.ok) {
    let reason = body.trim();
    try {
      reason = (JSON.parse(body) as { error?: string }).error ?? reason;
    } catch {
      // not JSON: keep the text
    }
    return fail(io, `the collector at ${base} answered HTTP ${response.status}: ${reason}`);
  }
  const { renderReportText } = await import('../../core/report/render-text.js');
  const { styleFor } = await import('../../core/style.js');
  let report;
  try {
    report = JSON.parse(body) as ClusterReport;
  } catch {
    return fail(io, `the collector at ${base} did not answer with a JSON report`);
  }
  if (flags.json === true) io.stdout.write(body.endsWith('\n') ? body : `${body}\n`);
  else {
    const style = styleFor(io.isTTY, io.env);
    io.stdout.write(
      renderReportText(report, { strong: style.strong, error: style.bad, warn: style.warn, dim: style.dim }),
    );
  }
  return report.problems.some((p) => p.severity === 'error') ? EXIT_FAILED : EXIT_OK;
}
