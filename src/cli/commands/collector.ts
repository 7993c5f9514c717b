// `mirrorscope collector`: the control plane every agent connects to (see src/collector/).
import { getHeapStatistics } from 'node:v8';
import { heapLimitNote } from '../../collector/heap-limit.js';
import { readFileSync } from 'node:fs';
import { MirrorscopeError } from '../../core/errors.js';
import { parseArgs } from '../../core/args.js';
import { COLLECTOR_DEFAULTS as DEFAULTS } from '../../collector/defaults.js';
import { AGENT_PATH } from '../../protocol/messages.js';
import { EXIT_OK, type CommandIo } from '../command.js';
import { KUBE_WRITE_FLAGS, KUBE_WRITE_USAGE, kubeWritesFrom } from './collector-write-flags.js';

export const usage = `usage: mirrorscope collector [--listen ADDR]... [--auth kube|none] [--kubeconfig FILE] [--tls-cert FILE --tls-key FILE]
                            [--namespace NS] [--agent-service-account NAME] [--allow-unbound-agent-tokens]

The control plane: agents connect to it over a WebSocket (${AGENT_PATH}); it watches pods, nodes and
kubelet pull-failure events, serves the cluster mirror health report and runs traces on nodes.

  --listen ADDR                  HOST:PORT to serve on (repeatable; default ${DEFAULTS.listen}; an empty
                                 HOST is 127.0.0.1: 0.0.0.0 is written out)
  --auth kube|none               kube (default): agents and API callers present a bearer token checked
                                 with TokenReview (and SubjectAccessReview for the API); none: no checks,
                                 only allowed when every listener is on loopback
  --kubeconfig FILE              Kubernetes API configuration (default: $KUBECONFIG, ~/.kube/config or
                                 the in-cluster service account). With --auth none and none of these,
                                 the collector runs without the Kubernetes API
  --namespace NS                 the collector's namespace, for the mirrorscope-report ConfigMap and the
                                 agent service account (default $POD_NAMESPACE, the service account's
                                 namespace, or "${DEFAULTS.namespace}")
  --agent-service-account NAME   service account agent tokens must belong to (default ${DEFAULTS.agentServiceAccount})
  --allow-unbound-agent-tokens   accept agent tokens bound to no pod and take the agent's word for its
                                 node, if that Node exists (default: refused, as such a token proves no
                                 node; --auth kube only)
  --heartbeat-interval SECONDS   agent heartbeat and ping interval (default ${DEFAULTS.heartbeatIntervalMs / 1000})
  --silent-after SECONDS         an agent quiet this long is agent-silent (default ${DEFAULTS.silentAfterHeartbeats} × heartbeat)
  --configmap-interval SECONDS   minimum time between ConfigMap writes (default ${DEFAULTS.configMapIntervalMs / 1000})
  --trace-timeout SECONDS        how long a trace waits for its agent (default ${DEFAULTS.traceTimeoutMs / 1000})
  --public-report                serve /, /api/v1/report and /metrics without authentication
  --admission                    read Portieris and Gatekeeper objects and FailedCreate events for the
                                 Admission section (needs the read-only admission role; every minute)
  --pod-pull-secrets             read the pull secrets pods name (by name, keys kept, never values) for
                                 mirror-credentials-only-in-pod-secret and traces with &pod= (needs the
                                 pod-pull-secrets role)
  --tls-cert FILE, --tls-key FILE  serve HTTPS and WSS with this pair (e.g. the OpenShift service-CA
                                 serving certificate); re-read every minute, so a rotation needs no restart
  --log-level LEVEL              info (default), debug, warn, error, silent
${KUBE_WRITE_USAGE}
Endpoints: / (report page), /api/v1/report (JSON), /metrics,
/api/v1/nodes/NODE/trace?image=REF[&all=1][&namespace=NS[&pod=POD]],
/api/v1/trace?image=REF[&labelSelector=SEL], /healthz, /readyz. Runs until SIGTERM/SIGINT.
`;

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

function defaultNamespace(env: NodeJS.ProcessEnv): string {
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  try {
    return readFileSync(SA_NAMESPACE_FILE, 'utf8').trim() || DEFAULTS.namespace;
  } catch {
    return DEFAULTS.namespace;
  }
}

/** A duration flag in ms; undefined when absent, so the collector's default applies. */
function seconds(value: number | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!(value > 0)) throw new MirrorscopeError('usage', `--${flag} must be a positive number of seconds`);
  return value * 1000;
}

function authMode(value: string | undefined): 'kube' | 'none' {
  if (value === undefined || value === 'kube' || value === 'none') return value ?? 'kube';
  throw new MirrorscopeError('usage', `--auth must be kube or none, got "${value}"`);
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
    'pod-pull-secrets': { type: 'boolean' },
    'log-level': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    ...KUBE_WRITE_FLAGS,
  });
  if (positionals.length > 0) throw new MirrorscopeError('usage', `unexpected argument "${positionals[0]}"`);
  const auth = authMode(flags.auth);
  const allowUnbound = flags['allow-unbound-agent-tokens'] === true;
  if (allowUnbound && auth !== 'kube')
    throw new MirrorscopeError('usage', '--allow-unbound-agent-tokens only applies to --auth kube');
  const { parseListen } = await import('../../protocol/listen-address.js');
  const listen = (flags.listen ?? [DEFAULTS.listen]).map((value) => parseListen(value));
  const namespace = flags.namespace ?? defaultNamespace(io.env);
  const kubeconfig = flags.kubeconfig ?? null;
  const certFile = flags['tls-cert'];
  const keyFile = flags['tls-key'];
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new MirrorscopeError('usage', '--tls-cert and --tls-key go together');
  const kubeWrites = kubeWritesFrom(flags, io.env);

  const [{ startCollector, checkAuthAllowed }, { pinoLog }, { VERSION }] = await Promise.all([
    import('../../collector/collector.js'),
    import('../../collector/pino-log.js'),
    import('../../version.js'),
  ]);
  const log = pinoLog(flags['log-level'] ?? 'info', VERSION);
  const wantsKube =
    auth === 'kube' ||
    kubeconfig !== null ||
    Boolean(io.env.KUBECONFIG) ||
    Boolean(io.env.KUBERNETES_SERVICE_HOST);
  const base = {
    listen,
    auth,
    namespace,
    agentUser: `system:serviceaccount:${namespace}:${flags['agent-service-account'] ?? DEFAULTS.agentServiceAccount}`,
    allowUnboundAgentTokens: allowUnbound,
    heartbeatIntervalMs: seconds(flags['heartbeat-interval'], 'heartbeat-interval'),
    silentAfterMs: seconds(flags['silent-after'], 'silent-after'),
    configMapIntervalMs: seconds(flags['configmap-interval'], 'configmap-interval'),
    traceTimeoutMs: seconds(flags['trace-timeout'], 'trace-timeout'),
    publicReport: flags['public-report'] === true || auth === 'none',
    admission: flags.admission === true,
    podPullSecrets: flags['pod-pull-secrets'] === true,
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
  const collector = await startCollector({ ...base, kube, kubeWrites });
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
