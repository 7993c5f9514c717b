#!/usr/bin/env node
// /usr/bin/gather of the must-gather image (OpenShift's must-gather convention): `oc adm must-gather
// --image=…` runs it and copies /must-gather back. Also runs anywhere with a kubeconfig:
// `gather [--dest DIR] [--kubeconfig FILE] [-n NAMESPACE] [--service NAME]`.
import { parseArgs } from '../core/args.js';
import { MirrorscopeError } from '../core/errors.js';
import { gather } from './gather/gather.js';
import { DEFAULT_LOCATION } from './kubectl/collector-proxy.js';

const USAGE = `usage: gather [--dest DIR] [--kubeconfig FILE] [-n NAMESPACE] [--service NAME]

Collects mirrorscope's diagnosis for a support case into DIR (default /must-gather): the collector's
report and causes, and per node its findings and its agent's effective configuration (credentials
redacted). Exit status: 0 the report was collected, 1 it was not (gather.log says why), 2 usage error.
`;

try {
  const { flags, positionals } = parseArgs(process.argv.slice(2), {
    dest: { type: 'string' },
    kubeconfig: { type: 'string' },
    namespace: { type: 'string', short: 'n' },
    service: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help === true) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (positionals.length > 0) throw new MirrorscopeError('usage', `unexpected argument "${positionals[0]}"`);
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  process.exitCode = await gather({
    dest: str(flags.dest) ?? process.env.BASE_COLLECTION_PATH ?? '/must-gather',
    kubeconfig: str(flags.kubeconfig),
    location: {
      namespace: str(flags.namespace) ?? DEFAULT_LOCATION.namespace,
      service: str(flags.service) ?? DEFAULT_LOCATION.service,
    },
    log: (line) => process.stdout.write(`mirrorscope gather: ${line}\n`),
  });
} catch (err) {
  if (!(err instanceof MirrorscopeError)) throw err;
  process.stderr.write(`gather: ${err.message}\n\n${USAGE}`);
  process.exitCode = 2;
}
