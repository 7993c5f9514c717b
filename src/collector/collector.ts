// `mirrorscope collector`, in-process: wires the agent endpoint, the informers, the report, the
// HTTP API and the ConfigMap publisher together. `startCollector` is also what `npm start` uses to
// run a collector next to an agent in one process.
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { CoreV1Event, V1Node, V1Pod } from '@kubernetes/client-node';
import { MirrorscopeError } from '../core/errors.js';
import { buildReport } from '../core/report/build-report.js';
import type { ClusterReport, NodeInput, PullEvent } from '../core/report/types.js';
import { CachedAccessReviewer } from '../kube/access-review.js';
import { writeConfigMap } from '../kube/config-map-writer.js';
import type { KubeClients } from '../kube/kube-clients.js';
import type { SupervisedInformer } from '../kube/supervised-informer.js';
import { pullSourcesByImage } from './admission-inputs.js';
import type { AdmissionWatch } from './admission-watch.js';
import type { ClusterIntent } from './cluster-intent.js';
import { PodBoundNodes } from '../kube/bound-pod.js';
import { CachedTokenReviewer } from '../kube/token-review.js';
import { httpServerOptions } from '../protocol/http-limits.js';
import { TOKEN_AUDIENCE } from '../protocol/messages.js';
import { kubeAgentAuth, openAgentAuth } from './agent-auth.js';
import { AgentServer } from './agent-server.js';
import { kubeApiAuth, openApiAuth } from './api-auth.js';
import { createRequestHandler } from './http-routes.js';
import { formatUrl, isLoopback, type ListenAddress } from './listen-address.js';
import { readTlsPair, reloadTlsPeriodically, type TlsFiles } from './tls-files.js';
import type { Log } from './log.js';
import { createMetrics } from './metrics.js';
import { NodeStore } from './node-store.js';
import { poolOf } from './node-pools.js';
import {
  ImageSets,
  imagesByNode,
  podCountsByNode,
  runtimeVersionsByNode,
  withUpgradeImage,
} from './pod-images.js';
import { pullEventsFrom } from './pull-events.js';
import { RateLimiter } from './rate-limiter.js';
import { ReportPublisher } from './report-publisher.js';
import { ReviewThrottle } from './review-throttle.js';
import { TraceBroker } from './trace-broker.js';
import { WhatIfService } from './what-if.js';
import { whatIfNodes } from './what-if-nodes.js';

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

export async function startCollector(options: CollectorOptions): Promise<RunningCollector> {
  validateOptions(options);
  const { log, kube } = options;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 30_000;
  const silentAfterMs = options.silentAfterMs ?? heartbeatIntervalMs * 3;
  const store = new NodeStore();
  const broker = new TraceBroker();
  const imageSets = new ImageSets();
  let pullEvents: PullEvent[] = [];
  let eventsVersion = 0;
  let intent: ClusterIntent | null = null;
  let admission: AdmissionWatch | null = null;

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

  let metricsRef: ReturnType<typeof createMetrics> | null = null;
  const agents = new AgentServer({
    authenticator: agentAuth,
    store,
    broker,
    heartbeatIntervalMs,
    log,
    imagesFor: (node) => imageSets.get(node),
    onMessage: (type) => metricsRef?.messages.inc({ type }),
    onAuthFailure: (status) => metricsRef?.agentAuthFailures.inc({ status: String(status) }),
    onLimitHit: (limit) => metricsRef?.agentLimitHits.inc({ limit }),
    onPolicyClose: (reason) => metricsRef?.agentPolicyCloses.inc({ reason }),
    ...(options.helloDeadlineMs !== undefined ? { helloDeadlineMs: options.helloDeadlineMs } : {}),
    nodeExists: (node) =>
      informers.nodes?.synced === true ? informers.nodes.get(node) !== undefined : undefined,
  });

  const sendImages = (node: string): void => {
    const { generation, images, runtimeVersion } = imageSets.get(node);
    agents.connection(node)?.send({ v: 1, type: 'images', generation, images: [...images], runtimeVersion });
  };

  // ---- informers ----
  const informers: {
    pods?: SupervisedInformer<V1Pod>;
    nodes?: SupervisedInformer<V1Node>;
    events?: SupervisedInformer<CoreV1Event>;
  } = {};
  const informerLog = (level: 'info' | 'warn', message: string): void => log[level](message);
  const hooks = {
    log: informerLog,
    ...(options.informerWatchdogMs !== undefined ? { watchdogMs: options.informerWatchdogMs } : {}),
  };
  const podNode = (namespace: string, name: string): string | undefined =>
    informers.pods?.get(name, namespace)?.spec?.nodeName;
  const refreshEvents = (): void => {
    if (informers.events === undefined) return;
    pullEvents = pullEventsFrom(
      informers.events.list(),
      Date.now(),
      options.eventMaxAgeMs ?? 3_600_000,
      podNode,
    );
    eventsVersion++;
  };
  if (kube !== null) {
    // Loaded only with a Kubernetes API: client-node costs ~70 MiB and ~300 ms at import.
    const { eventInformer, nodeInformer, podInformer } = await import('../kube/watched-objects.js');
    const refreshImages = (): void => {
      if (informers.pods === undefined) return;
      const byNode = withUpgradeImage(
        imagesByNode(informers.pods.list()),
        informers.nodes?.list() ?? [],
        intent?.upgradeImage() ?? null,
      );
      const changed = imageSets.update(byNode);
      for (const node of changed) sendImages(node);
      if (changed.length > 0) log.info(`image sets changed on ${changed.length} node(s)`);
    };
    informers.pods = podInformer(kube, hooks, () => {
      refreshImages();
      refreshEvents();
    });
    informers.nodes = nodeInformer(kube, hooks, () => {
      // A node whose CRI-O changed (an upgrade) gets its images again with the new version.
      for (const node of imageSets.updateRuntimes(runtimeVersionsByNode(informers.nodes!.list())))
        sendImages(node);
      // A deleted node whose agent has left is forgotten; one whose agent still talks stays.
      const existing = new Set(informers.nodes!.list().map((n) => n.metadata?.name));
      if (existing.size > 0)
        for (const name of [...store.names()]) if (!existing.has(name)) store.forget(name);
      eventsVersion++;
      intent?.nodesChanged();
      refreshImages();
    });
    informers.events = eventInformer(kube, hooks, refreshEvents);
    const { ClusterIntent } = await import('./cluster-intent.js');
    intent = new ClusterIntent({
      kube,
      hooks,
      log,
      nodes: () => informers.nodes?.list() ?? [],
      files: (node) => store.currentFiles(node),
      onChange: () => {
        eventsVersion++;
        refreshImages();
      },
    });
    if (options.admission === true) {
      const { AdmissionWatch } = await import('./admission-watch.js');
      admission = new AdmissionWatch(kube, {
        intervalMs: options.admissionIntervalMs ?? 60_000,
        eventMaxAgeMs: options.eventMaxAgeMs ?? 3_600_000,
        log: informerLog,
        onChange: () => eventsVersion++,
      });
    }
  }

  // ---- report ----
  let lastBuildMs = 0;
  let dropCache: NodeJS.Timeout | undefined;
  let cached: { report: ClusterReport; storeVersion: number; eventsVersion: number; at: number } | null =
    null;
  const report = (): ClusterReport => {
    const now = Date.now();
    if (
      cached !== null &&
      cached.storeVersion === store.version &&
      cached.eventsVersion === eventsVersion &&
      now - cached.at < 2000
    )
      return cached.report;
    const nodes: NodeInput[] = [];
    const seen = new Set<string>();
    // Role labels until (or unless) MachineConfigPools are listed: poolAssigner falls back to them.
    const poolOfNode = intent?.poolAssigner() ?? poolOf;
    for (const n of informers.nodes?.list() ?? []) {
      const name = n.metadata?.name;
      if (name === undefined) continue;
      seen.add(name);
      nodes.push({
        name,
        pool: poolOfNode(n),
        registered: true,
        agent: store.get(name) ?? null,
        runtimeVersion: n.status?.nodeInfo?.containerRuntimeVersion ?? null,
      });
    }
    for (const [name, pool] of options.nodePools ?? [])
      if (!seen.has(name)) {
        seen.add(name);
        nodes.push({ name, pool, registered: true, agent: store.get(name) ?? null });
      }
    for (const name of store.names())
      if (!seen.has(name))
        nodes.push({ name, pool: null, registered: false, agent: store.get(name)!, runtimeVersion: null });
    const started = performance.now();
    const built = buildReport({
      nowMs: now,
      silentAfterMs,
      nodes,
      events: pullEvents,
      agentWitnesses: store.witnesses.entries(),
      intent: intent?.evaluate(now) ?? null,
      admission:
        admission?.section(informers.pods?.list() ?? [], now, () => pullSourcesByImage(nodes)) ?? null,
      ...(informers.pods === undefined ? {} : { pods: podCountsByNode(informers.pods.list()) }),
    });
    lastBuildMs = performance.now() - started;
    cached = { report: built, storeVersion: store.version, eventsVersion, at: now };
    // A 5,000-node report is tens of MiB: keep it only as long as it is reused.
    clearTimeout(dropCache);
    dropCache = setTimeout(() => (cached = null), 5000).unref();
    return built;
  };

  const metrics = createMetrics(report, {
    connectedAgents: () => agents.connectedCount,
    informerRestarts: () => ({
      ...Object.fromEntries(Object.entries(informers).map(([k, i]) => [k, i.restarts])),
      ...intent?.informerRestarts,
    }),
    tokenReviews: () => (tokenReviewer?.calls ?? 0) + (apiTokenReviewer?.calls ?? 0),
    tokenReviewsThrottled: () => throttle.refused,
  });
  metricsRef = metrics;

  const whatIf = new WhatIfService({
    basis: () => intent?.whatIfBasis() ?? null,
    nodes: () =>
      whatIfNodes({
        nodes: informers.nodes?.list() ?? [],
        poolOf: intent?.poolAssigner() ?? poolOf,
        ...(options.nodePools !== undefined ? { nodePools: options.nodePools } : {}),
        agentNodes: store.names(),
        agentImages: (node) => store.get(node)?.images ?? [],
        agentConfigHash: (node) => store.get(node)?.configHash ?? null,
        pods: informers.pods?.list() ?? null,
      }),
    agent: (node) => agents.connection(node),
    broker,
    traceTimeoutMs: options.traceTimeoutMs ?? 30_000,
  });
  const handler = createRequestHandler({
    report,
    lastBuildMs: () => lastBuildMs,
    agents,
    broker,
    api: apiAuth,
    publicReport: options.publicReport ?? options.auth === 'none',
    limiter: new RateLimiter(10, 1),
    metrics,
    traceTimeoutMs: options.traceTimeoutMs ?? 30_000,
    nodeLabels:
      informers.nodes === undefined ? null : (node) => informers.nodes!.get(node)?.metadata?.labels ?? {},
    ready: () => kube === null || (informers.pods?.synced === true && informers.nodes?.synced === true),
    log,
    whatIf,
  });

  const servers: Server[] = [];
  const urls: string[] = [];
  const tls = options.tls ? readTlsPair(options.tls) : null;
  try {
    for (const address of options.listen) {
      const server = tls
        ? createHttpsServer({ ...httpServerOptions(), ...tls }, handler)
        : createServer(httpServerOptions(), handler);
      server.on('upgrade', (req, socket, head) => agents.handleUpgrade(req, socket, head));
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
  if (kube !== null) {
    for (const informer of Object.values(informers)) informer.start();
    intent?.start();
    admission?.start();
    const name = options.configMapName ?? 'mirrorscope-report';
    publisher = new ReportPublisher(
      report,
      (data) =>
        writeConfigMap(kube.core, options.namespace, name, data, { 'app.kubernetes.io/name': 'mirrorscope' }),
      log,
      options.configMapIntervalMs ?? 30_000,
      (result) => metrics.configMapWrites.inc({ result }),
      () => store.version + eventsVersion,
    );
    publisher.start();
  }
  log.info(
    `collector listening on ${urls.join(', ')} (auth ${options.auth}${kube === null ? ', no Kubernetes API' : `, Kubernetes API ${kube.source}`})`,
  );

  return {
    urls,
    report,
    async close() {
      stopTlsReload();
      publisher?.stop();
      agents.close();
      admission?.stop();
      await Promise.all([...Object.values(informers).map((i) => i.stop()), intent?.stop()]);
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
