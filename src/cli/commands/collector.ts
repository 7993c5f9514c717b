// `mirrorscope collector`: the control plane every agent connects to (see src/collector/).
import { getHeapStatistics } from 'node:v8';
import { heapLimitNote } from '../../collector/heap-limit.js';
import { readFileSync } from 'node:fs';
import { MirrorscopeError } from '../../core/errors.js';
import { parseArgs } from '../../core/args.js';
import { EXIT_OK, type CommandIo } from '../command.js';

export const usage = `usage: mirrorscope collector [--listen ADDR]... [--auth kube|none] [--kubeconfig FILE] [--tls-cert FILE --tls-key FILE]
                            [--namespace NS] [--agent-service-account NAME] [--allow-unbound-agent-tokens]

The control plane: agents connect to it over a WebSocket (${'/api/v1/agents'}); it watches pods, nodes and
kubelet pull-failure events, serves the cluster mirror health report and runs traces on nodes.

  --listen ADDR                  HOST:PORT to serve on (repeatable; default 127.0.0.1:8080)
  --auth kube|none               kube (default): agents and API callers present a bearer token checked
                                 with TokenReview (and SubjectAccessReview for the API); none: no checks,
                                 only allowed when every listener is on loopback
  --kubeconfig FILE              Kubernetes API configuration (default: $KUBECONFIG, ~/.kube/config or
                                 the in-cluster service account). With --auth none and none of these,
                                 the collector runs without the Kubernetes API
  --namespace NS                 the collector's namespace, for the mirrorscope-report ConfigMap and the
                                 agent service account (default $POD_NAMESPACE, the service account's
                                 namespace, or "mirrorscope")
  --agent-service-account NAME   service account agent tokens must belong to (default mirrorscope-agent)
  --allow-unbound-agent-tokens   accept agent tokens bound to no pod and take the agent's word for its
                                 node, if that Node exists (default: refused, as such a token proves no
                                 node; --auth kube only)
  --heartbeat-interval SECONDS   agent heartbeat and ping interval (default 30)
  --silent-after SECONDS         an agent quiet this long is agent-silent (default 3 × heartbeat)
  --configmap-interval SECONDS   minimum time between ConfigMap writes (default 30)
  --trace-timeout SECONDS        how long a trace waits for its agent (default 30)
  --public-report                serve /, /api/v1/report and /metrics without authentication
  --admission                    read Portieris and Gatekeeper objects and FailedCreate events for the
                                 Admission section (needs the read-only admission role; every minute)
  --tls-cert FILE, --tls-key FILE  serve HTTPS and WSS with this pair (e.g. the OpenShift service-CA
                                 serving certificate); re-read every minute, so a rotation needs no restart
  --log-level LEVEL              info (default), debug, warn, error, silent

Endpoints: / (report page), /api/v1/report (JSON), /metrics, /api/v1/nodes/NODE/trace?image=REF[&all=1],
/api/v1/trace?image=REF[&labelSelector=SEL], /healthz, /readyz. Runs until SIGTERM/SIGINT.
`;

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

function defaultNamespace(env: NodeJS.ProcessEnv): string {
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  try {
    return readFileSync(SA_NAMESPACE_FILE, 'utf8').trim() || 'mirrorscope';
  } catch {
    return 'mirrorscope';
  }
}

function seconds(value: unknown, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = value as number;
  if (n <= 0) throw new MirrorscopeError('usage', `--${flag} must be a positive number of seconds`);
  return n * 1000;
}

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, {
    listen: { type: 'string', multiple: true },
    auth: { type: 'string' },
    kubeconfig: { type: 'string' },
    namespace: { type: 'string' },
    'agent-service-account': { type: 'string' },
    'allow-unbound-agent-tokens': { type: 'boolean' },
    'heartbeat-interval': { type: 'number' },
    'silent-after': { type: 'number' },
    'configmap-interval': { type: 'number' },
    'trace-timeout': { type: 'number' },
    'public-report': { type: 'boolean' },
    admission: { type: 'boolean' },
    'log-level': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
  });
  if (positionals.length > 0) throw new MirrorscopeError('usage', `unexpected argument "${positionals[0]}"`);
  const auth = (flags.auth as string | undefined) ?? 'kube';
  if (auth !== 'kube' && auth !== 'none')
    throw new MirrorscopeError('usage', `--auth must be kube or none, got "${auth}"`);
  const allowUnbound = flags['allow-unbound-agent-tokens'] === true;
  if (allowUnbound && auth !== 'kube')
    throw new MirrorscopeError('usage', '--allow-unbound-agent-tokens only applies to --auth kube');
  const { parseListen } = await import('../../collector/listen-address.js');
  const listen = ((flags.listen as string[] | undefined) ?? ['127.0.0.1:8080']).map(parseListen);
  const namespace = (flags.namespace as string | undefined) ?? defaultNamespace(io.env);
  const kubeconfig = (flags.kubeconfig as string | undefined) ?? null;
  const certFile = flags['tls-cert'] as string | undefined;
  const keyFile = flags['tls-key'] as string | undefined;
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new MirrorscopeError('usage', '--tls-cert and --tls-key go together');

  const [{ startCollector, checkAuthAllowed }, { pinoLog }, { VERSION }] = await Promise.all([
    import('../../collector/collector.js'),
    import('../../collector/pino-log.js'),
    import('../../version.js'),
  ]);
  const log = pinoLog((flags['log-level'] as string | undefined) ?? 'info', VERSION);
  const wantsKube =
    auth === 'kube' ||
    kubeconfig !== null ||
    Boolean(io.env.KUBECONFIG) ||
    Boolean(io.env.KUBERNETES_SERVICE_HOST);
  const heartbeatIntervalMs = seconds(flags['heartbeat-interval'], 'heartbeat-interval', 30_000);
  const base = {
    listen,
    auth: auth as 'kube' | 'none',
    namespace,
    agentUser: `system:serviceaccount:${namespace}:${(flags['agent-service-account'] as string | undefined) ?? 'mirrorscope-agent'}`,
    allowUnboundAgentTokens: allowUnbound,
    heartbeatIntervalMs,
    silentAfterMs: seconds(flags['silent-after'], 'silent-after', heartbeatIntervalMs * 3),
    configMapIntervalMs: seconds(flags['configmap-interval'], 'configmap-interval', 30_000),
    traceTimeoutMs: seconds(flags['trace-timeout'], 'trace-timeout', 30_000),
    publicReport: flags['public-report'] === true || auth === 'none',
    admission: flags.admission === true,
    tls: certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : null,
    log,
  };
  // Refuse a bad --auth/--listen combination before paying for the Kubernetes client.
  checkAuthAllowed(base.auth, listen);
  let kube = null;
  if (wantsKube) {
    const { loadKubeClients } = await import('../../kube/kube-clients.js');
    kube = loadKubeClients(kubeconfig, io.env);
  } else
    log.info(
      'no Kubernetes configuration: running without the Kubernetes API (no pod images, events or ConfigMap)',
    );
  const collector = await startCollector({ ...base, kube });
  log.info(heapLimitNote(getHeapStatistics().heap_size_limit));
  io.stderr.write(`mirrorscope collector: report at ${collector.urls[0]}/\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  log.info('shutting down');
  await collector.close();
  return EXIT_OK;
}
