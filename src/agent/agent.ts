// The node agent: loads the host configuration, keeps it current, scans the node's images on a
// schedule and on every change, keeps the findings, and hands each load and each scan result to its
// sinks (log, metrics, collector link, HTTP state). `stop()` is the graceful shutdown (SIGTERM/SIGINT).
import { causesOfScan } from '../core/causes/of-scan.js';
import type { Cause } from '../core/causes/types.js';
import { isNamespaceName } from '../core/crio/runtime-notes.js';
import { parseCrioVersion, runtimeJson, type CrioVersion } from '../core/crio/versions.js';
import { nodeFindingJson, type NodeFinding } from '../core/findings/types.js';
import { MirrorscopeError, type ErrorBody } from '../core/errors.js';
import type {
  HelloMessage,
  HostProbe,
  ImageStatus,
  RuntimeInfo,
  SnapshotMessage,
  TraceRequestMessage,
} from '../protocol/messages.js';
import { VERSION } from '../version.js';
import type { CollectorPeer } from './collector-link.js';
import type { ConfigFiles } from './config-files.js';
import { ConfigWatcher } from './config-watcher.js';
import { effectiveConfig } from './effective-config.js';
import { FindingsStore } from './findings-store.js';
import { loadHostConfig, type HostConfig } from './host-config.js';
import { jitter } from './limits.js';
import type { AgentLogger } from './log.js';
import type { AgentOptions } from './options.js';
import { OverrideTracer } from './override-trace.js';
import type { CachingClientCache } from './probe-cache.js';
import { scanAnswers, Scanner, type ScanOutput } from './scanner.js';
import type { AgentSink, ScanResult } from './sinks.js';

export class Agent implements CollectorPeer {
  private config: HostConfig | null = null;
  private scanner: Scanner | null = null;
  private generation = 0;
  private loadedAt = '';
  private readonly store = new FindingsStore();
  private readonly overrides = new OverrideTracer();
  private lastScan: ScanOutput | null = null;
  /** The files the last scan ran with: what the collector is told its findings belong to. */
  private scannedFiles: ConfigFiles | null = null;
  private scanCount = 0;
  private scanning: Promise<void> | null = null;
  private rescan: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private watcher: ConfigWatcher | null = null;
  private stopping = false;
  private flagImages: readonly string[];
  private collectorImages: readonly string[] = [];
  private kubeImages: readonly string[] = [];
  /** The hash a reload started by the watcher is loading (null: none running). */
  private reloadingFor: string | null = null;
  /** Probe answers, kept across configuration changes (see Scanner). */
  private readonly answers: CachingClientCache;
  /** The node's containerRuntimeVersion as the collector last reported it (null: not known). */
  private reportedRuntime: string | null = null;

  /** `log` is for the agent's own troubles; what it loads and finds goes to `sinks`. */
  constructor(
    readonly options: AgentOptions,
    readonly log: AgentLogger,
    private readonly sinks: readonly AgentSink[],
  ) {
    this.flagImages = options.images;
    this.answers = scanAnswers(options, {
      probe: (host, seconds, outcome) => {
        for (const sink of this.sinks) sink.probed?.(host, seconds, outcome);
      },
    });
  }

  get images(): string[] {
    return [...new Set([...this.flagImages, ...this.collectorImages, ...this.kubeImages])].sort();
  }

  get configHash(): string {
    return this.config?.files.hash ?? '';
  }

  /** The CRI-O version simulated: --crio-version, else what the collector reads from the Node. */
  get runtime(): { version: CrioVersion | null; source: RuntimeInfo['source'] } {
    if (this.options.crioVersion !== null) return { version: this.options.crioVersion, source: 'flag' };
    if (this.reportedRuntime !== null) {
      try {
        return { version: parseCrioVersion(this.reportedRuntime), source: 'collector' };
      } catch (err) {
        if (!(err instanceof MirrorscopeError)) throw err;
      }
    }
    return { version: null, source: null };
  }

  get runtimeInfo(): RuntimeInfo {
    const { version, source } = this.runtime;
    const json = runtimeJson('crio', version);
    return { name: 'crio', version: json.version, containersImage: json.containersImage, source };
  }

  /**
   * The node's containerRuntimeVersion from the collector; a change of the simulated version reloads
   * the configuration (and rescans). Resolves when that reload is done.
   */
  async setReportedRuntime(runtimeVersion: string | null | undefined): Promise<void> {
    if (runtimeVersion === undefined || runtimeVersion === this.reportedRuntime) return;
    const before = this.runtimeInfo.version;
    this.reportedRuntime = runtimeVersion;
    const after = this.runtimeInfo;
    if (runtimeVersion !== null && after.source !== 'collector' && this.options.crioVersion === null)
      this.log.warn(
        { event: 'runtime', runtimeVersion },
        `The node reports container runtime "${runtimeVersion}", which is not CRI-O: the newest CRI-O rules are applied.`,
      );
    if (after.version === before) return;
    this.log.info(
      { event: 'runtime', runtimeVersion, crioVersion: after.version },
      `The collector reports ${runtimeVersion ?? 'no runtime version'} for this node: simulating CRI-O ${after.version ?? '(unknown version, newest rules)'}.`,
    );
    if (this.config !== null) await this.configChanged();
  }

  /**
   * The hash of the configuration the current findings came from. Between a reload and the rescan
   * it differs from configHash: a snapshot sent then must not pair the new hash with old findings.
   * Before the first scan there are no findings, so the loaded configuration speaks for itself.
   */
  get scannedConfigHash(): string {
    return (this.scannedFiles ?? this.config?.files)?.hash ?? '';
  }

  get findings(): NodeFinding[] {
    return this.store.all;
  }

  /** The causes of the current findings, most important first (the same model the collector builds). */
  private get causes(): Cause[] {
    // Beside a collector the commands go through it (`trace --node`); `--once` runs on the node root.
    const place =
      this.options.collector !== null
        ? ({ kind: 'cluster' } as const)
        : ({ kind: 'local', root: this.options.root, runtime: 'crio' } as const);
    return causesOfScan(this.store.all, this.lastScan?.images ?? [], this.options.node, { place });
  }

  /** Loads the configuration (generation 1). */
  async load(): Promise<void> {
    await this.reload();
  }

  /** Watching, the schedule and the first scan. */
  startLoops(): void {
    const config = this.config!;
    this.watcher = new ConfigWatcher({
      root: config.root,
      pollMs: this.options.configPollMs,
      extra: () => this.config?.extraPaths ?? [],
      // While a reload runs, the hash it was started for counts as loaded: a second look at the same
      // change (another event of one rename, the poll) must not load it twice.
      current: () => this.reloadingFor ?? this.configHash,
      onChange: (files) => void this.configChanged(files.hash),
      onError: (err) =>
        this.log.warn(
          { err: { message: err.message } },
          `Reading the host configuration failed: ${err.message}.`,
        ),
    });
    this.watcher.start(config.files.directories);
    this.requestScan('start');
  }

  private async reload(): Promise<void> {
    const previous = this.config;
    const config = await loadHostConfig(this.options.root, {
      timeoutMs: this.options.timeoutMs,
      crioVersion: this.runtime.version,
    });
    if (this.stopping) return;
    this.config = config;
    this.generation++;
    this.loadedAt = new Date().toISOString();
    this.scanner?.close();
    this.answers.forgetSilentHosts();
    this.scanner = new Scanner(config, this.options, this.answers);
    const event = {
      config,
      generation: this.generation,
      previous,
      changedFiles: previous === null ? [] : diffFiles(previous.files, config.files),
    };
    for (const sink of this.sinks) sink.configLoaded?.(event);
  }

  /** `hash`: the configuration hash the watcher saw (undefined: the runtime version changed). */
  private async configChanged(hash?: string): Promise<void> {
    if (this.stopping) return;
    if (hash !== undefined) this.reloadingFor = hash;
    try {
      await this.reload();
    } catch (err) {
      this.log.error(
        { err: { message: (err as Error).message } },
        `Reloading the host configuration failed: ${(err as Error).message}.`,
      );
      return;
    } finally {
      if (hash !== undefined && this.reloadingFor === hash) this.reloadingFor = null;
    }
    this.requestScan('config-changed');
  }

  setCollectorImages(images: readonly string[]): void {
    const same = [...images].sort().join('\n') === [...this.collectorImages].sort().join('\n');
    this.collectorImages = images;
    if (same && this.lastScan !== null) {
      // The same set again (after a reconnect): the last scan still stands.
      this.log.debug(
        { event: 'images', count: images.length },
        `The collector sent the same ${images.length} image(s) again.`,
      );
      return;
    }
    this.log.info(
      { event: 'images', count: images.length },
      `The collector sent ${images.length} image(s) used by pods on this node.`,
    );
    this.requestScan('images');
  }

  setKubeImages(images: readonly string[]): void {
    const before = this.images.join('\n');
    this.kubeImages = images;
    if (this.images.join('\n') !== before) this.requestScan('images');
  }

  /** Runs a scan now, or right after the running one. */
  requestScan(reason: string): void {
    if (this.stopping) return;
    if (this.scanning !== null) {
      this.rescan = reason;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.scanning = this.scan(reason)
      .then(() => undefined)
      .finally(() => {
        this.scanning = null;
        const again = this.rescan;
        this.rescan = null;
        if (again !== null) this.requestScan(again);
        else this.schedule();
      });
  }

  private schedule(): void {
    if (this.stopping) return;
    if (this.timer) clearTimeout(this.timer);
    const interval = this.options.scanIntervalMs;
    // ±10 % so the nodes of a cluster drift apart instead of probing the mirrors in lockstep.
    this.timer = setTimeout(() => this.requestScan('interval'), interval * 0.9 + jitter(interval * 0.2));
  }

  /** One scan, its findings diffed and handed to every sink. */
  async scan(reason: string): Promise<ScanOutput | null> {
    const scanner = this.scanner;
    if (scanner === null) return null;
    let out: ScanOutput;
    try {
      out = await scanner.scan(this.images);
    } catch (err) {
      this.log.error(
        { err: { message: (err as Error).message, stack: (err as Error).stack } },
        `The scan failed: ${(err as Error).message}.`,
      );
      return null;
    }
    if (this.stopping || scanner !== this.scanner) return null; // superseded by a config change
    this.scanCount++;
    this.scannedFiles = this.config!.files;
    const change = this.store.replace(out.findings, this.config?.skippedChecks ?? []);
    this.lastScan = out;
    const result: ScanResult = {
      reason,
      count: this.scanCount,
      output: out,
      change,
      findings: this.store.all,
      causes: this.causes,
      configHash: this.configHash,
    };
    for (const sink of this.sinks) sink.scanned?.(result);
    return out;
  }

  /** Waits for the scan in progress (if any). */
  async settled(): Promise<void> {
    while (this.scanning !== null) await this.scanning;
  }

  hello(): Omit<HelloMessage, 'v' | 'type'> {
    return {
      node: this.options.node,
      agentVersion: VERSION,
      configHash: this.configHash,
      pod: this.options.pod,
    };
  }

  /** The collector's image set for this node, and the runtime version its Node reports. */
  imagesFromCollector(images: readonly string[], runtimeVersion: string | null | undefined): void {
    // The version first: a changed version reloads, and the images then scan with it.
    void this.setReportedRuntime(runtimeVersion);
    this.setCollectorImages(images);
  }

  snapshot(seq: number): SnapshotMessage {
    const s = this.lastScan;
    return {
      v: 1,
      type: 'snapshot',
      seq,
      generatedAt: new Date().toISOString(),
      configHash: this.scannedConfigHash,
      files: (this.scannedFiles ?? this.config?.files)?.files ?? [],
      findings: this.store.all.map(nodeFindingJson),
      hosts: (s?.hosts ?? []) as HostProbe[],
      images: (s?.images ?? []) as ImageStatus[],
      scan: s === null ? null : { at: s.at, durationMs: s.durationMs, probes: s.probes },
      runtime: this.runtimeInfo,
    };
  }

  configDocument(): unknown {
    if (this.config === null)
      return { node: this.options.node, error: 'the configuration is not loaded yet' };
    const document = effectiveConfig(this.config, {
      node: this.options.node,
      generation: this.generation,
      loadedAt: this.loadedAt,
    });
    return { ...(document as Record<string, unknown>), runtime: this.runtimeInfo };
  }

  async trace(
    image: string,
    all: boolean,
    timeoutMs?: number,
    namespace?: string,
    pullCredentials?: TraceRequestMessage['pullCredentials'],
  ): Promise<unknown> {
    if (this.scanner === null)
      return { image, error: { code: 'not-ready', message: 'the configuration is not loaded yet' } };
    return this.scanner.trace(image, all, timeoutMs, namespace, pullCredentials);
  }

  async answerTraceRequest(req: TraceRequestMessage): Promise<{ trace: unknown; error: ErrorBody | null }> {
    const timeout = Math.min(Math.max(req.timeoutMs, 1_000), 120_000);
    const namespace = req.namespace ?? undefined;
    if (namespace !== undefined && !isNamespaceName(namespace))
      return {
        trace: null,
        error: { code: 'bad-request', message: 'namespace is not a Kubernetes namespace name' },
      };
    if (req.config != null)
      return this.overrides.answer(this.config, req.image, req.config, {
        timeoutMs: Math.min(this.options.timeoutMs, timeout),
        ...(namespace !== undefined ? { namespace } : {}),
      });
    const trace = await this.trace(
      req.image,
      req.all,
      Math.min(this.options.timeoutMs, timeout),
      namespace,
      req.pullCredentials,
    );
    return { trace, error: null };
  }

  /** Graceful stop: timers and watches stopped, every sink told (not ready, socket closed with 1001). */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.stop();
    await Promise.allSettled(this.sinks.map((sink) => sink.stop?.()));
    this.scanner?.close();
    this.answers.close();
  }
}

function diffFiles(a: ConfigFiles, b: ConfigFiles): string[] {
  const before = new Map(a.files.map((f) => [f.path, f.sha256] as const));
  const after = new Map(b.files.map((f) => [f.path, f.sha256] as const));
  const out: string[] = [];
  for (const [p, h] of after) if (before.get(p) !== h) out.push(p);
  for (const p of before.keys()) if (!after.has(p)) out.push(p);
  return out.sort();
}
