// Prometheus metrics of the agent (prom-client). Every series is `mirrorscope_agent_…`, so a node's view
// never reads like the collector's cluster view (`mirrorscope_cluster_…`) or the collector's own
// counters (`mirrorscope_collector_…`). Labels stay low-cardinality: registry host (capped at
// MAX_LABEL_VALUES), finding id and cause kind (catalogues), never image or tag.
import { countCauses } from '../core/causes/of-scan.js';
import type { Cause } from '../core/causes/types.js';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { NodeFinding } from '../core/findings/types.js';
import type { HostProbe, ImageStatus } from '../protocol/messages.js';
import { LabelCap, mostImportant, type MetricSpec } from '../metrics/spec.js';

export const AGENT_METRICS_PREFIX = 'mirrorscope_agent_';

/** Every series the agent exports besides prom-client's defaults; docs/metrics.md is generated from it. */
export const AGENT_METRICS = {
  findings: {
    name: 'mirrorscope_agent_findings',
    type: 'gauge',
    help: 'Current findings on this node by finding id (docs/findings.md) and severity.',
    labelNames: ['finding', 'severity'],
  },
  causes: {
    name: 'mirrorscope_agent_causes',
    type: 'gauge',
    help: 'Current causes on this node (each explains one or more findings) by cause kind and severity.',
    labelNames: ['kind', 'severity'],
  },
  probeSeconds: {
    name: 'mirrorscope_agent_probe_duration_seconds',
    type: 'histogram',
    help: 'Latency of manifest probes (ping, auth and manifest request) per registry host.',
    labelNames: ['host'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  },
  probes: {
    name: 'mirrorscope_agent_probes_total',
    type: 'counter',
    help: 'Manifest probes sent, by registry host and outcome.',
    labelNames: ['host', 'outcome'],
  },
  mirrorUp: {
    name: 'mirrorscope_agent_mirror_up',
    type: 'gauge',
    help: '1 when the mirror or registry host answered its last probe from this node, 0 when it did not.',
    labelNames: ['host'],
  },
  scanSeconds: {
    name: 'mirrorscope_agent_scan_duration_seconds',
    type: 'histogram',
    help: 'Duration of a scan over all images of the node.',
    labelNames: [],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  },
  scans: {
    name: 'mirrorscope_agent_scans_total',
    type: 'counter',
    help: 'Scans run since the agent started.',
    labelNames: [],
  },
  lastScanProbes: {
    name: 'mirrorscope_agent_last_scan_probes',
    type: 'gauge',
    help: 'Manifest probes sent by the last scan (probe cache misses).',
    labelNames: [],
  },
  images: {
    name: 'mirrorscope_agent_images',
    type: 'gauge',
    help: 'Images checked by the last scan, by whether this node can pull them.',
    labelNames: ['pullable'],
  },
  configGeneration: {
    name: 'mirrorscope_agent_config_generation',
    type: 'gauge',
    help: 'Generation of the host configuration the agent runs with (moves when it changes).',
    labelNames: [],
  },
  configChanges: {
    name: 'mirrorscope_agent_config_changes_total',
    type: 'counter',
    help: 'Host configuration changes seen since the agent started.',
    labelNames: [],
  },
  collectorLinkUp: {
    name: 'mirrorscope_agent_collector_link_up',
    type: 'gauge',
    help: "1 while this agent's WebSocket to the collector is open, 0 while it is not.",
    labelNames: [],
  },
  ready: {
    name: 'mirrorscope_agent_ready',
    type: 'gauge',
    help: '1 when the configuration is loaded and the first scan is done.',
    labelNames: [],
  },
} as const satisfies Record<string, MetricSpec>;

const spec = <K extends keyof typeof AGENT_METRICS>(key: K) => {
  const { name, help, labelNames } = AGENT_METRICS[key];
  return { name, help, labelNames: [...labelNames] };
};

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
  private readonly collectorLinkUp: Gauge;
  private readonly ready: Gauge;

  /** Probe hosts are cumulative (counter, histogram): the first MAX_LABEL_VALUES keep their name. */
  private readonly probeHosts = new LabelCap();

  constructor() {
    const registers = [this.registry];
    // A coarse event-loop monitor: the default 10 ms precision wakes the process 100 times a second.
    collectDefaultMetrics({
      register: this.registry,
      prefix: AGENT_METRICS_PREFIX,
      eventLoopMonitoringPrecision: 1000,
    });
    this.causes = new Gauge({ ...spec('causes'), registers });
    this.findings = new Gauge({ ...spec('findings'), registers });
    this.probeSeconds = new Histogram({
      ...spec('probeSeconds'),
      buckets: [...AGENT_METRICS.probeSeconds.buckets],
      registers,
    });
    this.probes = new Counter({ ...spec('probes'), registers });
    this.mirrorUp = new Gauge({ ...spec('mirrorUp'), registers });
    this.scanSeconds = new Histogram({
      ...spec('scanSeconds'),
      buckets: [...AGENT_METRICS.scanSeconds.buckets],
      registers,
    });
    this.scans = new Counter({ ...spec('scans'), registers });
    this.lastScanProbes = new Gauge({ ...spec('lastScanProbes'), registers });
    this.images = new Gauge({ ...spec('images'), registers });
    this.configGeneration = new Gauge({ ...spec('configGeneration'), registers });
    this.configChanges = new Counter({ ...spec('configChanges'), registers });
    this.collectorLinkUp = new Gauge({ ...spec('collectorLinkUp'), registers });
    this.ready = new Gauge({ ...spec('ready'), registers });
  }

  probe(host: string, seconds: number, outcome: string): void {
    const label = this.probeHosts.value(host);
    this.probeSeconds.observe({ host: label }, seconds);
    this.probes.inc({ host: label, outcome });
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
      const [finding, severity] = k.split('\0') as [string, string];
      this.findings.set({ finding, severity }, n);
    }
    this.images.reset();
    const pullable = result.images.filter((i) => i.pullable).length;
    this.images.set({ pullable: 'true' }, pullable);
    this.images.set({ pullable: 'false' }, result.images.length - pullable);
    this.mirrorUp.reset();
    // Unreachable hosts first, so a capped list never hides one that is down.
    for (const h of mostImportant(
      result.hosts,
      (x) => (x.reachable ? 0 : 1),
      (x) => x.host,
    ))
      this.mirrorUp.set({ host: h.host }, h.reachable ? 1 : 0);
  }

  config(generation: number, changed: boolean): void {
    this.configGeneration.set(generation);
    if (changed) this.configChanges.inc();
  }

  connected(up: boolean): void {
    this.collectorLinkUp.set(up ? 1 : 0);
  }

  setReady(ready: boolean): void {
    this.ready.set(ready ? 1 : 0);
  }
}
