// Prometheus metrics of the agent (prom-client); every series is prefixed `mirrorscope_`. Labels stay
// low-cardinality: registry host and finding id, never image or tag.
import { countCauses } from '../core/causes/of-scan.js';
import type { Cause } from '../core/causes/types.js';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { NodeFinding } from '../core/findings/types.js';
import type { HostProbe, ImageStatus } from '../protocol/messages.js';

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly findings: Gauge;
  private readonly causes: Gauge;
  private readonly probeSeconds: Histogram;
  private readonly probes: Counter;
  private readonly mirrorUp: Gauge;
  private readonly scanSeconds: Histogram;
  private readonly scans: Counter;
  private readonly lastScanProbes: Gauge;
  private readonly images: Gauge;
  private readonly configGeneration: Gauge;
  private readonly configChanges: Counter;
  private readonly collectorConnected: Gauge;
  private readonly ready: Gauge;

  constructor() {
    const registers = [this.registry];
    // A coarse event-loop monitor: the default 10 ms precision wakes the process 100 times a second.
    collectDefaultMetrics({
      register: this.registry,
      prefix: 'mirrorscope_',
      eventLoopMonitoringPrecision: 1000,
    });
    this.causes = new Gauge({
      name: 'mirrorscope_causes',
      help: 'Current causes on this node (each explains one or more findings) by cause kind and severity.',
      labelNames: ['kind', 'severity'],
      registers,
    });
    this.findings = new Gauge({
      name: 'mirrorscope_findings',
      help: 'Current findings on this node by finding id and severity.',
      labelNames: ['code', 'severity'],
      registers,
    });
    this.probeSeconds = new Histogram({
      name: 'mirrorscope_probe_duration_seconds',
      help: 'Latency of manifest probes (ping, auth and manifest request) per registry host.',
      labelNames: ['host'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.probes = new Counter({
      name: 'mirrorscope_probes_total',
      help: 'Manifest probes sent, by registry host and outcome.',
      labelNames: ['host', 'outcome'],
      registers,
    });
    this.mirrorUp = new Gauge({
      name: 'mirrorscope_mirror_up',
      help: '1 when the registry host answered its last probe, 0 when it did not.',
      labelNames: ['host'],
      registers,
    });
    this.scanSeconds = new Histogram({
      name: 'mirrorscope_scan_duration_seconds',
      help: 'Duration of a scan over all images of the node.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.scans = new Counter({ name: 'mirrorscope_scans_total', help: 'Scans run since start.', registers });
    this.lastScanProbes = new Gauge({
      name: 'mirrorscope_scan_probes',
      help: 'Manifest probes sent by the last scan (cache misses).',
      registers,
    });
    this.images = new Gauge({
      name: 'mirrorscope_images',
      help: 'Images checked by the last scan, by whether this node can pull them.',
      labelNames: ['pullable'],
      registers,
    });
    this.configGeneration = new Gauge({
      name: 'mirrorscope_config_generation',
      help: 'Increases each time the host configuration changes.',
      registers,
    });
    this.configChanges = new Counter({
      name: 'mirrorscope_config_changes_total',
      help: 'Host configuration changes seen.',
      registers,
    });
    this.collectorConnected = new Gauge({
      name: 'mirrorscope_collector_connected',
      help: '1 while the WebSocket to the collector is open.',
      registers,
    });
    this.ready = new Gauge({
      name: 'mirrorscope_ready',
      help: '1 when the configuration is loaded and the first scan is done.',
      registers,
    });
  }

  probe(host: string, seconds: number, outcome: string): void {
    this.probeSeconds.observe({ host }, seconds);
    this.probes.inc({ host, outcome });
  }

  scanned(
    result: {
      durationMs: number;
      probes: number;
      findings: readonly NodeFinding[];
      images: readonly ImageStatus[];
      hosts: readonly HostProbe[];
    },
    causes: readonly Cause[],
  ): void {
    this.scans.inc();
    this.causes.reset();
    for (const { kind, severity, count } of countCauses(causes).values())
      this.causes.set({ kind, severity }, count);
    this.scanSeconds.observe(result.durationMs / 1000);
    this.lastScanProbes.set(result.probes);
    this.findings.reset();
    const counts = new Map<string, number>();
    for (const f of result.findings)
      counts.set(`${f.id}\0${f.severity}`, (counts.get(`${f.id}\0${f.severity}`) ?? 0) + 1);
    for (const [k, n] of counts) {
      const [code, severity] = k.split('\0') as [string, string];
      this.findings.set({ code, severity }, n);
    }
    this.images.reset();
    const pullable = result.images.filter((i) => i.pullable).length;
    this.images.set({ pullable: 'true' }, pullable);
    this.images.set({ pullable: 'false' }, result.images.length - pullable);
    this.mirrorUp.reset();
    for (const h of result.hosts) this.mirrorUp.set({ host: h.host }, h.reachable ? 1 : 0);
  }

  config(generation: number, changed: boolean): void {
    this.configGeneration.set(generation);
    if (changed) this.configChanges.inc();
  }

  connected(up: boolean): void {
    this.collectorConnected.set(up ? 1 : 0);
  }

  setReady(ready: boolean): void {
    this.ready.set(ready ? 1 : 0);
  }
}
