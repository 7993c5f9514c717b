import { MirrorscopeError } from '../../core/errors.js';
import { parseArgs } from '../../core/args.js';
import { EXIT_FAILED, EXIT_OK, type CommandIo } from '../command.js';
import { installConnectTo } from '../connect-to-flag.js';

export const usage = `usage: mirrorscope agent [--root DIR] [--node NAME] [--image REF]... [--listen ADDR]
                        [--collector URL] [--scan-interval SECONDS] [--once]

The node agent the DaemonSet runs on every node: reads the node's pull configuration under --root (and
re-reads it when it changes), checks every image the node needs — resolution, static findings, a probe
of each source CRI-O would try, the signature verdict — and reports findings as JSON log lines on
stdout, on a local HTTP endpoint and to the collector over a WebSocket.

  --root DIR               the node's root (default /; the DaemonSet mounts host directories under /host)
  --node NAME              this node's name (default $NODE_NAME)
  --crio-version V         the node's CRI-O (1.29, 1.29.4, cri-o://1.29.4-…); default: the version the
                           collector reads from the Node (status.nodeInfo.containerRuntimeVersion);
                           unknown: the newest rules, with a crio-version-dependent note
  --image REF              an image to check (repeatable); added to the collector's image set
  --images-from-kube       list the pods on this node with the Kubernetes API (standalone, no collector)
  --listen ADDR            local HTTP endpoint (default 127.0.0.1:9464; "off" disables it):
                           /healthz /readyz /metrics /v1/trace?image=REF[&all=1][&namespace=NS]
                           /v1/findings /v1/config
  --probe-listen ADDR      a second endpoint with only /healthz /readyz /metrics, for kubelet probes
                           and Prometheus on the pod IP (default off)
  --collector URL          ws(s)://HOST:PORT of the collector
  --collector-ca FILE      CA bundle for a wss:// collector (e.g. the OpenShift service CA), re-read
                           at every connect (default: the system trust)
  --token-file FILE        service-account token presented to the collector, re-read at every connect
                           (default $MIRRORSCOPE_TOKEN_FILE or /var/run/secrets/mirrorscope/token)
  --scan-interval SECONDS  time between periodic scans (default 300; also on every config or image change)
  --config-poll SECONDS    periodic re-read of the configuration besides file watches (default 60)
  --probe-ttl SECONDS      how long a registry answer is reused (default 0.9 × scan interval)
  --timeout MS             per request, its redirects included (default 10000)
  --concurrency N          probe requests in flight per registry host (default 4); hosts are probed
                           in parallel, so a slow registry holds up only the images that need it
  --host-rate N            at most N probe requests per second per registry host (default: no
                           fixed rate; --concurrency bounds each host)
  --log-level LEVEL        info (default), debug, warn, error, silent
  --connect-to HOST[:PORT]=ADDR:PORT
                           connect to ADDR:PORT whenever HOST[:PORT] is contacted (repeatable, as
                           curl's option); names, SNI and certificate checks stay HOST's
  --once                   one scan of the --image set, print {"causes","findings"} like "check --json", exit

Exit status with --once: 0 no error-severity finding, 1 some finding is an error, 2 usage error.
Without --once the agent runs until SIGTERM/SIGINT and exits 0.
`;

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const [{ AGENT_FLAGS, agentOptions }] = await Promise.all([import('../../agent/options.js')]);
  const { flags, positionals } = parseArgs(argv, AGENT_FLAGS);
  if (positionals.length > 0)
    throw new MirrorscopeError('usage', `unexpected argument "${positionals[0]}" (use --image REF)`);
  const options = agentOptions(flags, io.env);
  installConnectTo(flags['connect-to']);
  if (options.once) {
    const { runOnce } = await import('../../agent/main.js');
    const doc = await runOnce(options, io.stderr);
    io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return doc.causes.some((c) => c.severity === 'error') ? EXIT_FAILED : EXIT_OK;
  }
  const { runAgent } = await import('../../agent/main.js');
  return runAgent(options);
}
