// Wiring of the agent process: logger, metrics, HTTP endpoint, collector link, optional Kubernetes
// image listing, signals. Heavy modules are imported only by the mode that needs them.
import type { Writable } from 'node:stream';
import { MirrorscopeError } from '../core/errors.js';
import { VERSION } from '../version.js';
import { Agent } from './agent.js';
import type { AgentHttpServer } from './http-server.js';
import { createLogger, type AgentLogger } from './log.js';
import type { AgentOptions } from './options.js';
import { ScanLog } from './scan-log.js';
import { ScanState, type FindingsDocument } from './scan-state.js';
import type { AgentSink } from './sinks.js';

/** `--once`: one scan; its causes and findings in the `check --json` shape. */
export async function runOnce(options: AgentOptions, stderr: Writable): Promise<FindingsDocument> {
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
  const state = new ScanState();
  const agent = new Agent({ ...options, images }, log, [state]);
  await agent.load();
  const out = await agent.scan('once');
  await agent.stop();
  if (out === null) throw new Error('the scan failed');
  return state.findingsDocument();
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
  const [{ AgentMetrics }, { MetricsSink }] = await Promise.all([
    import('./metrics.js'),
    import('./metrics-sink.js'),
  ]);
  const metrics = new AgentMetrics();
  const state = new ScanState();
  const sinks: AgentSink[] = [new ScanLog(log), new MetricsSink(metrics), state];
  let link = null;
  if (options.collector !== null) {
    const { CollectorLink } = await import('./collector-link.js');
    link = new CollectorLink({
      url: options.collector,
      tokenFile: options.tokenFile,
      caFile: options.collectorCa,
      log,
      onConnected: (up) => metrics.connected(up),
    });
    sinks.push(link);
  }
  const agent = new Agent(options, log, sinks);
  const servers: AgentHttpServer[] = [];
  const stop = () =>
    agent
      .stop()
      .then(() => Promise.allSettled(servers.map((s) => s.close())))
      .then(
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
      readiness: () => state.readiness(),
      metrics: async () => ({
        contentType: metrics.registry.contentType,
        body: await metrics.registry.metrics(),
      }),
      trace: (image: string, all: boolean, namespace?: string) =>
        agent.trace(image, all, undefined, namespace),
      findings: () => state.findingsDocument(),
      config: () => agent.configDocument(),
    };
    for (const [address, scope] of [
      [options.listen, 'full'],
      [options.probeListen, 'probes'],
    ] as const) {
      if (address === null) continue;
      const http = new AgentHttpServer(handlers, scope);
      const bound = await http.listen(address.host, address.port);
      servers.push(http);
      const endpoints =
        scope === 'full' ? '/healthz, /readyz, /metrics and /v1/*' : '/healthz, /readyz and /metrics';
      log.info(
        { event: 'listening', address: `${bound.address}:${bound.port}`, scope },
        `Serving ${endpoints} on http://${bound.address}:${bound.port}.`,
      );
    }
  }

  link?.start(agent);

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
