// `mirrorscope collector`, in-process: wires the agent endpoint, the informers, the report, the
// HTTP API and the ConfigMap publisher together. `startCollector` is also what `npm start` uses to
// run a collector next to an agent in one process.
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { MirrorscopeError } from '../core/errors.js';
import type { ClusterReport } from '../core/report/types.js';
import { CachedAccessReviewer } from '../kube/access-review.js';
import { writeConfigMap } from '../kube/config-map-writer.js';
import type { KubeClients } from '../kube/kube-clients.js';
import { ChangeCount } from './change-count.js';
import { ClusterWatch } from './cluster-watch.js';
import { PodBoundNodes } from '../kube/bound-pod.js';
import { CachedTokenReviewer } from '../kube/token-review.js';
import { httpServerOptions } from '../protocol/http-limits.js';
import { TOKEN_AUDIENCE } from '../protocol/messages.js';
import { kubeAgentAuth, openAgentAuth } from './agent-auth.js';
import { AgentServer } from './agent-server.js';
import { kubeApiAuth, openApiAuth } from './api-auth.js';
import { COLLECTOR_DEFAULTS } from './defaults.js';
import { createRequestHandler } from './http-routes.js';
import { formatUrl, isLoopback, type ListenAddress } from '../protocol/listen-address.js';
import { readTlsPair, reloadTlsPeriodically, type TlsFiles } from './tls-files.js';
import type { Log } from './log.js';
import { createMetrics } from './metrics.js';
import { NodeStore } from './node-store.js';
import { clusterInput } from './report-input.js';
import { ImageSets } from './pod-images.js';
import { RateLimiter } from './rate-limiter.js';
import { HeapRelease } from './heap-release.js';
import { ReportCache } from './report-cache.js';
import { ReportHistory } from './report-history.js';
import { MemoryGuard, refuseUpgrade } from './memory-guard.js';
import { ReportPublisher } from './report-publisher.js';
import { ReviewThrottle } from './review-throttle.js';
import { TraceBroker } from './trace-broker.js';
import type { KubeWritesOptions } from './kube-writes.js';
import { WhatIfService } from './what-if.js';
import { whatIfNodes } from './what-if-nodes.js';
import { poolOf as poolByRoleLabels } from './node-pools.js';

export interface CollectorOptions {
  readonly listen: readonly ListenAddress[];
  readonly auth: 'kube' | 'none';
  /** Serve HTTPS/WSS with this certificate and key (files, re-read when they change). */
  readonly tls?: TlsFiles | null;
  /** null: no Kubernetes API (only with --auth none): no informers, no ConfigMap. */
  readonly kube: KubeClients | null;
  /** Namespace of the collector (the ConfigMap and the agent service account live there). */
  readonly namespace: string;
  /** `system:serviceaccount:<ns>:<name>` every agent token must belong to. */
  readonly agentUser: string;
  /**
   * Accept agent tokens bound to no pod and take the agent's word for its node name
   * (--allow-unbound-agent-tokens). Off: such a token is refused, since it proves no node.
   */
  readonly allowUnboundAgentTokens?: boolean;
  /** How long an agent may take to say hello after the upgrade (default 10 s). */
  readonly helloDeadlineMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** An agent quiet this long is `agent-silent` (default 3 heartbeat intervals). */
  readonly silentAfterMs?: number;
  readonly configMapName?: string;
  readonly configMapIntervalMs?: number;
  readonly publicReport?: boolean;
  readonly traceTimeoutMs?: number;
  readonly eventMaxAgeMs?: number;
  readonly informerWatchdogMs?: number;
  /**
   * Without the Kubernetes API (the embedded demo), the nodes that exist and their pools: node →
   * pool. They count as registered nodes, so pool-level checks (drift) apply to them.
   */
  readonly nodePools?: ReadonlyMap<string, string>;
  /** Read Portieris/Gatekeeper objects and FailedCreate events for the Admission section. */
  readonly admission?: boolean;
  /** How often the admission objects are re-read (default 60 s). */
  readonly admissionIntervalMs?: number;
  /** Read the pull secrets pods name (`get` by name): mirror-credentials-only-in-pod-secret, pod traces. */
  readonly podPullSecrets?: boolean;
  /** Node conditions, Events and PolicyReports written back (docs/kubernetes-surfaces.md); off when absent. */
  readonly kubeWrites?: KubeWritesOptions | null;
  readonly log: Log;
}

export interface RunningCollector {
  readonly urls: readonly string[];
  report(): ClusterReport;
  close(): Promise<void>;
}

/** `--auth none` is for local use and tests: every listener must be on loopback. */
export function checkAuthAllowed(auth: 'kube' | 'none', listen: readonly ListenAddress[]): void {
  if (auth !== 'none') return;
  const open = listen.filter((l) => !isLoopback(l.host));
  if (open.length > 0)
    throw new MirrorscopeError(
      'usage',
      `--auth none is only allowed when every listener is on loopback; ${open.map((l) => formatUrl(l)).join(', ')} is not`,
    );
}

function validateOptions(options: CollectorOptions): void {
  checkAuthAllowed(options.auth, options.listen);
  if (options.auth === 'kube' && options.kube === null)
    throw new MirrorscopeError(
      'usage',
      '--auth kube needs the Kubernetes API (--kubeconfig FILE or an in-cluster service account)',
    );
}

function listen(server: Server, address: ListenAddress, scheme: 'http' | 'https'): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      const bound = server.address() as AddressInfo;
      resolve(formatUrl({ host: address.host, port: bound.port }, scheme));
    });
  });
}

/** Sends each node's agent its current image set (the informers say which nodes' sets changed). */
function pushImages(agents: AgentServer, imageSets: ImageSets, nodes: readonly string[]): void {
  for (const node of nodes) {
    const { generation, images, runtimeVersion } = imageSets.get(node);
    agents.connection(node)?.send({ v: 1, type: 'images', generation, images: [...images], runtimeVersion });
  }
}

export async function startCollector(options: CollectorOptions): Promise<RunningCollector> {
  validateOptions(options);
  const { log, kube } = options;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? COLLECTOR_DEFAULTS.heartbeatIntervalMs;
  const silentAfterMs =
    options.silentAfterMs ?? heartbeatIntervalMs * COLLECTOR_DEFAULTS.silentAfterHeartbeats;
  const store = new NodeStore();
  const broker = new TraceBroker();
  const imageSets = new ImageSets();
  const changes = new ChangeCount();
  const inputsVersion = (): number => store.version + changes.value;

  const watchOptions = {
    store,
    imageSets,
    changes,
    eventMaxAgeMs: options.eventMaxAgeMs ?? 3_600_000,
    admission: options.admission === true ? { intervalMs: options.admissionIntervalMs ?? 60_000 } : null,
    podPullSecrets: options.podPullSecrets === true,
    log,
    ...(options.informerWatchdogMs !== undefined ? { informerWatchdogMs: options.informerWatchdogMs } : {}),
  };
  const cluster =
    kube === null ? ClusterWatch.none(watchOptions) : await ClusterWatch.open(kube, watchOptions);
  const { informers } = cluster;

  const sources = { store, cluster, nodePools: options.nodePools, silentAfterMs };
  const heapRelease = new HeapRelease({ log: (m) => log.debug(m) });
  const reports = new ReportCache({
    inputsVersion,
    input: (nowMs) => clusterInput(sources, nowMs),
    onDrop: () => heapRelease.released(),
  });

  // One throttle for both reviewers: it protects the API server, whoever sends the unknown tokens.
  const throttle = new ReviewThrottle();
  const admit = (source: string): number => throttle.admit(source);
  const tokenReviewer =
    kube === null ? null : new CachedTokenReviewer(kube.authentication, [TOKEN_AUDIENCE], { admit });
  const apiTokenReviewer = kube === null ? null : new CachedTokenReviewer(kube.authentication, [], { admit });
  const agentAuth =
    options.auth === 'kube'
      ? kubeAgentAuth({
          reviewer: tokenReviewer!,
          serviceAccountUser: options.agentUser,
          nodes: new PodBoundNodes(kube!.core, (namespace, name) => informers.pods?.get(name, namespace)),
          allowUnbound: options.allowUnboundAgentTokens === true,
        })
      : openAgentAuth;
  const apiAuth =
    options.auth === 'kube'
      ? kubeApiAuth(apiTokenReviewer!, new CachedAccessReviewer(kube!.authorization))
      : openApiAuth;

  const metrics = createMetrics(reports.current, {
    connectedAgents: () => store.connectedCount,
    informerRestarts: () => cluster.informerRestarts(),
    tokenReviews: () => (tokenReviewer?.calls ?? 0) + (apiTokenReviewer?.calls ?? 0),
    tokenReviewsThrottled: () => throttle.refused,
  });
  let snapshotsReceived = 0;
  const agents = new AgentServer({
    authenticator: agentAuth,
    store,
    broker,
    heartbeatIntervalMs,
    log,
    imagesFor: (node) => imageSets.get(node),
    onMessage: (type) => {
      metrics.messages.inc({ type });
      if (type === 'snapshot') snapshotsReceived++;
    },
    onAuthFailure: (status) => metrics.agentAuthFailures.inc({ status: String(status) }),
    onLimitHit: (limit) => metrics.agentLimitHits.inc({ limit }),
    onPolicyClose: (reason) => metrics.agentPolicyCloses.inc({ reason }),
    ...(options.helloDeadlineMs !== undefined ? { helloDeadlineMs: options.helloDeadlineMs } : {}),
    nodeExists: (node) =>
      informers.nodes?.synced === true ? informers.nodes.get(node) !== undefined : undefined,
  });
  cluster.onImagesChanged((nodes) => pushImages(agents, imageSets, nodes));

  const history = new ReportHistory();
  const memory = new MemoryGuard({
    shedReport: () => reports.drop(),
    shedHistory: () => history.clear(),
    onStep: (step) => metrics.memorySheds.inc({ step }),
    log: (message) => log.warn(message),
  });
  memory.start();
  const whatIf = new WhatIfService({
    basis: () => cluster.intent?.whatIfBasis() ?? null,
    nodes: () =>
      whatIfNodes({
        nodes: cluster.nodes(),
        poolOf: cluster.intent?.poolAssigner() ?? poolByRoleLabels,
        ...(options.nodePools !== undefined ? { nodePools: options.nodePools } : {}),
        agentNodes: store.names(),
        agentImages: (node) => store.get(node)?.images ?? [],
        agentConfigHash: (node) => store.get(node)?.configHash ?? null,
        pods: informers.pods === undefined ? null : cluster.pods(),
      }),
    agent: (node) => agents.connection(node),
    broker,
    traceTimeoutMs: options.traceTimeoutMs ?? COLLECTOR_DEFAULTS.traceTimeoutMs,
  });
  const handler = createRequestHandler({
    report: reports.current,
    history,
    lastBuildMs: () => reports.lastBuildMs,
    agents,
    broker,
    api: apiAuth,
    publicReport: options.publicReport ?? options.auth === 'none',
    limiter: new RateLimiter(10, 1),
    metrics,
    traceTimeoutMs: options.traceTimeoutMs ?? COLLECTOR_DEFAULTS.traceTimeoutMs,
    nodeLabels:
      informers.nodes === undefined ? null : (node) => informers.nodes!.get(node)?.metadata?.labels ?? {},
    ready: () => cluster.synced,
    log,
    whatIf,
    podCredentials:
      cluster.podSecrets === null
        ? null
        : (await import('./pod-pull-secrets.js')).podCredentialSource(
            cluster.podSecrets,
            (namespace, name) => informers.pods?.get(name, namespace),
            options.tls != null || options.listen.every((l) => isLoopback(l.host)),
          ),
  });

  const servers: Server[] = [];
  const urls: string[] = [];
  const tls = options.tls ? readTlsPair(options.tls) : null;
  try {
    for (const address of options.listen) {
      const server = tls
        ? createHttpsServer({ ...httpServerOptions(), ...tls }, handler)
        : createServer(httpServerOptions(), handler);
      server.on('upgrade', (req, socket, head) =>
        memory.refusingAgents ? refuseUpgrade(socket) : agents.handleUpgrade(req, socket, head),
      );
      server.on('clientError', (_err, socket) => socket.destroy());
      servers.push(server);
      urls.push(await listen(server, address, tls ? 'https' : 'http'));
    }
  } catch (err) {
    agents.close();
    for (const s of servers) s.close();
    throw new MirrorscopeError('usage', `cannot listen: ${(err as Error).message}`);
  }

  const stopTlsReload =
    options.tls && tls
      ? reloadTlsPeriodically(options.tls, tls, servers as HttpsServer[], (message) =>
          log.warn(`keeping the current serving certificate: ${message}`),
        )
      : () => undefined;

  let publisher: ReportPublisher | null = null;
  let kubeWrites: { stop(): void } | null = null;
  if (kube !== null) {
    cluster.start();
    const name = options.configMapName ?? 'mirrorscope-report';
    publisher = new ReportPublisher(
      reports.current,
      (data) =>
        writeConfigMap(kube.core, options.namespace, name, data, { 'app.kubernetes.io/name': 'mirrorscope' }),
      log,
      options.configMapIntervalMs ?? COLLECTOR_DEFAULTS.configMapIntervalMs,
      (result) => metrics.configMapWrites.inc({ result }),
      inputsVersion,
    );
    publisher.start();
    if (options.kubeWrites) {
      const { startKubeWrites } = await import('./kube-writes.js');
      kubeWrites = startKubeWrites(
        {
          kube,
          report: reports.current,
          finished: (report) => reports.finished(report),
          agent: (node) => store.get(node),
          node: (name) => informers.nodes?.get(name),
          pods: () => informers.pods?.list() ?? [],
          synced: () => cluster.synced,
          snapshots: () => snapshotsReceived,
          log,
          onWrite: (write, result) => metrics.kubeWrites.inc({ write, result }),
        },
        options.kubeWrites,
      );
    }
  }
  log.info(
    `collector listening on ${urls.join(', ')} (auth ${options.auth}${kube === null ? ', no Kubernetes API' : `, Kubernetes API ${kube.source}`})`,
  );

  return {
    urls,
    report: reports.current,
    async close() {
      stopTlsReload();
      memory.stop();
      publisher?.stop();
      kubeWrites?.stop();
      agents.close();
      reports.drop();
      await cluster.stop();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}
