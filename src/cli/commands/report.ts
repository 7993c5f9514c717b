// `mirrorscope report`: the collector's cluster report in a terminal (or as JSON).
import { MirrorscopeError } from '../../core/errors.js';
import { parseArgs } from '../../core/args.js';
import { collectorBase, COLLECTOR_FLAGS, getFromCollector } from '../collector-client.js';
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
    ...COLLECTOR_FLAGS,
    json: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new MirrorscopeError('usage', `unexpected argument "${positionals[0]}"`);
  const base = collectorBase(flags.collector, io);
  const answer = await getFromCollector(base, '/api/v1/report', flags['token-file'], io);
  if (!answer.ok) return fail(io, answer.message);
  const body = answer.body;
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
