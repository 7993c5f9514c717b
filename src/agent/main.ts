// Wiring of the agent process: logger, metrics, HTTP endpoint, collector link, optional Kubernetes
// image listing, signals. Heavy modules are imported only by the mode that needs them.
import type { Writable } from 'node:stream';
import { MirrorscopeError } from '../core/errors.js';
import { findingJson, type Finding } from '../core/findings/types.js';
import { VERSION } from '../version.js';
import { Agent } from './agent.js';
import { createLogger, type AgentLogger } from './log.js';
import type { AgentOptions } from './options.js';

/** `--once`: one scan; the findings in the `check --json` shape. */
export async function runOnce(options: AgentOptions, stderr: Writable): Promise<Finding[]> {
  const { pino } = await import('pino');
  const log = pino(
    {
      // The findings are the output; only failures of the agent itself are logged.
      level: 'fatal',
      base: { node: options.node },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stderr,
  );
  let images = options.images;
  if (options.imagesFromKube) {
    const { listNodeImages } = await import('./kube-images.js');
    try {
      images = [...images, ...(await listNodeImages(options.node))];
    } catch (err) {
      throw new MirrorscopeError(
        'config-invalid',
        `listing the pods of node ${options.node} with the Kubernetes API failed: ${(err as Error).message}`,
      );
    }
  }
  const agent = new Agent({ ...options, images }, log, null);
  await agent.load();
  const out = await agent.scan('once');
  await agent.stop();
  if (out === null) throw new Error('the scan failed');
  return agent.findings.map(findingJson);
}

const SHUTDOWN_DEADLINE_MS = 8_000;

export interface RunningAgent {
  /** Readiness off, the collector socket closed, listeners stopped; the log is flushed. */
  stop(): Promise<void>;
}

function agentLogger(options: AgentOptions): AgentLogger {
  return createLogger({
    node: options.node,
    pod: options.pod.name,
    level: options.logLevel,
    version: VERSION,
  });
}

/** The long-running agent; resolves with the exit code after SIGTERM/SIGINT. */
export async function runAgent(options: AgentOptions): Promise<number> {
  const log = agentLogger(options);
  return new Promise<number>((resolve, reject) => {
    // The signals are handled from the start: a SIGTERM during the first load still stops cleanly.
    const running = startAgent(options, log);
    running.catch(reject);
    const shutdown = (signal: string) => {
      log.info({ event: 'shutdown', signal }, `Received ${signal}: shutting down.`);
      const hard = setTimeout(() => {
        log.warn({ event: 'shutdown-forced' }, 'Shutdown took too long; exiting anyway.');
        log.flush();
        process.exit(0);
      }, SHUTDOWN_DEADLINE_MS);
      hard.unref();
      void running
        .then((agent) => agent.stop())
        .then(() => {
          resolve(0);
          // Whatever still holds the event loop (a socket closing slowly) must not delay the exit.
          setTimeout(() => process.exit(0), 500).unref();
        });
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
}

/** An agent running in this process (several for `mirrorscope start`); the caller handles signals. */
export async function startAgent(
  options: AgentOptions,
  log: AgentLogger = agentLogger(options),
): Promise<RunningAgent> {
  const { AgentMetrics } = await import('./metrics.js');
  const metrics = new AgentMetrics();
  const agent = new Agent(options, log, metrics);
  const stop = () =>
    agent.stop().then(
      () =>
        new Promise<void>((resolve) => {
          log.info({ event: 'stopped' }, 'The agent stopped.');
          log.flush(() => resolve());
        }),
    );

  log.info(
    {
      event: 'starting',
      root: options.root,
      listen: options.listen,
      collector: options.collector,
      images: options.images.length,
    },
    `mirrorscope agent ${VERSION} starting on node ${options.node}.`,
  );
  await agent.load();

  if (options.listen !== null || options.probeListen !== null) {
    const { AgentHttpServer } = await import('./http-server.js');
    const handlers = {
      healthy: () => true,
      readiness: () =>
        agent.ready
          ? { ready: true, reason: 'ready' }
          : {
              ready: false,
              reason: agent.last === null ? 'the first scan has not finished' : 'shutting down',
            },
      metrics: async () => ({
        contentType: metrics.registry.contentType,
        body: await metrics.registry.metrics(),
      }),
      trace: (image: string, all: boolean, namespace?: string) =>
        agent.trace(image, all, undefined, namespace),
      findings: () => agent.findingsDocument(),
      config: () => agent.configDocument(),
    };
    for (const [address, scope] of [
      [options.listen, 'full'],
      [options.probeListen, 'probes'],
    ] as const) {
      if (address === null) continue;
      const http = new AgentHttpServer(handlers, scope);
      const bound = await http.listen(address.host, address.port);
      agent.attach({ http });
      const endpoints =
        scope === 'full' ? '/healthz, /readyz, /metrics and /v1/*' : '/healthz, /readyz and /metrics';
      log.info(
        { event: 'listening', address: `${bound.address}:${bound.port}`, scope },
        `Serving ${endpoints} on http://${bound.address}:${bound.port}.`,
      );
    }
  }

  if (options.collector !== null) {
    const { CollectorLink } = await import('./collector-link.js');
    const link = new CollectorLink({
      url: options.collector,
      tokenFile: options.tokenFile,
      caFile: options.collectorCa,
      log,
      hello: () => ({
        node: options.node,
        agentVersion: VERSION,
        configHash: agent.configHash,
        pod: options.pod,
      }),
      snapshot: (seq) => agent.snapshot(seq),
      configHash: () => agent.scannedConfigHash,
      onImages: (images, runtimeVersion) => {
        // The version first: a changed version reloads, and the images then scan with it.
        void agent.setReportedRuntime(runtimeVersion);
        agent.setCollectorImages(images);
      },
      onTraceRequest: (req) => agent.answerTraceRequest(req),
      onConnected: (up) => metrics.connected(up),
    });
    agent.attach({ link });
    link.start();
  }

  if (options.imagesFromKube) {
    const { listNodeImages } = await import('./kube-images.js');
    const refresh = async () => {
      try {
        agent.setKubeImages(await listNodeImages(options.node));
      } catch (err) {
        log.warn(
          { err: { message: (err as Error).message } },
          `Listing the pods of node ${options.node} failed: ${(err as Error).message}.`,
        );
      }
    };
    await refresh();
    setInterval(() => void refresh(), options.scanIntervalMs).unref();
  }

  agent.startLoops();
  return { stop };
}
