// GET /metrics: the cluster view computed from the current report at scrape time
// (`mirrorscope_cluster_…`), plus the collector's own counters (`mirrorscope_collector_…`). Labels stay
// low-cardinality: registry host (the MAX_LABEL_VALUES most failing), pool, severity, state, cause
// kind — never image or node.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { SHED_STEPS } from './memory-guard.js';
import { countCauses } from '../core/causes/of-scan.js';
import type { ClusterReport } from '../core/report/types.js';
import { mostImportant, type MetricSpec } from '../metrics/spec.js';

export const COLLECTOR_METRICS_PREFIX = 'mirrorscope_collector_';

/** Every series the collector exports besides prom-client's defaults; docs/metrics.md is generated from it. */
export const COLLECTOR_METRICS = {
  nodes: {
    name: 'mirrorscope_cluster_nodes',
    type: 'gauge',
    help: 'Nodes by the state of their agent (connected, disconnected, silent, missing).',
    labelNames: ['state'],
  },
  findings: {
    name: 'mirrorscope_cluster_findings',
    type: 'gauge',
    help: 'Findings across all nodes, by severity (a problem seen by N nodes counts N times).',
    labelNames: ['severity'],
  },
  causes: {
    name: 'mirrorscope_cluster_causes',
    type: 'gauge',
    help: 'Causes in the cluster (each explains one or more problems), by cause kind (docs/causes.md) and severity.',
    labelNames: ['kind', 'severity'],
  },
  problems: {
    name: 'mirrorscope_cluster_problems',
    type: 'gauge',
    help: 'Distinct problems in the cluster (deduplicated across nodes), by severity.',
    labelNames: ['severity'],
  },
  poolNodes: {
    name: 'mirrorscope_cluster_pool_mirror_config_nodes',
    type: 'gauge',
    help: "Nodes per MachineConfigPool by mirror configuration state: done (runs the target's registry files), lagging, drifted (OpenShift).",
    labelNames: ['pool', 'state'],
  },
  mirrorNodesFailing: {
    name: 'mirrorscope_cluster_mirror_nodes_failing',
    type: 'gauge',
    help: 'Nodes whose probe of a mirror or registry host fails (the 100 hosts failing on most nodes).',
    labelNames: ['host'],
  },
  mirrorNodesReachable: {
    name: 'mirrorscope_cluster_mirror_nodes_reachable',
    type: 'gauge',
    help: 'Nodes that reach a mirror or registry host (the same hosts as mirrorscope_cluster_mirror_nodes_failing).',
    labelNames: ['host'],
  },
  mirrorHosts: {
    name: 'mirrorscope_cluster_mirror_hosts',
    type: 'gauge',
    help: 'Mirror and registry hosts the agents probe (the per-host series show at most 100 of them).',
    labelNames: [],
  },
  mirrorLatency: {
    name: 'mirrorscope_cluster_mirror_latency_seconds',
    type: 'gauge',
    help: 'Probe latency of a mirror or registry host across nodes (quantile 0.5 and 0.95).',
    labelNames: ['host', 'quantile'],
  },
  imagesFailing: {
    name: 'mirrorscope_cluster_images_failing',
    type: 'gauge',
    help: 'Images that fail to pull on at least one node (simulated or seen in kubelet events).',
    labelNames: [],
  },
  nodesConfigDrifted: {
    name: 'mirrorscope_cluster_nodes_config_drifted',
    type: 'gauge',
    help: "Nodes whose registries configuration differs from their pool's majority.",
    labelNames: [],
  },
  agentsConnected: {
    name: 'mirrorscope_collector_agents_connected',
    type: 'gauge',
    help: 'Agents connected to the collector right now.',
    labelNames: [],
  },
  informerRestarts: {
    name: 'mirrorscope_collector_informer_restarts_total',
    type: 'counter',
    help: 'Times an informer was replaced after an error or a silent stall.',
    labelNames: ['informer'],
  },
  tokenReviews: {
    name: 'mirrorscope_collector_token_reviews_total',
    type: 'counter',
    help: 'TokenReview requests sent to the API server (positive answers are cached).',
    labelNames: [],
  },
  tokenReviewsThrottled: {
    name: 'mirrorscope_collector_token_reviews_throttled_total',
    type: 'counter',
    help: 'TokenReviews not sent because a source (or all together) sent too many unknown tokens; the caller got 429.',
    labelNames: [],
  },
  messages: {
    name: 'mirrorscope_collector_agent_messages_total',
    type: 'counter',
    help: 'Messages received from agents, by type.',
    labelNames: ['type'],
  },
  agentAuthFailures: {
    name: 'mirrorscope_collector_agent_auth_failures_total',
    type: 'counter',
    help: 'Agent connections refused at upgrade, by HTTP status.',
    labelNames: ['status'],
  },
  agentLimitHits: {
    name: 'mirrorscope_collector_agent_limit_hits_total',
    type: 'counter',
    help: 'Times an agent sent more than the collector keeps per node (findings, hosts, images, bytes); the excess was dropped.',
    labelNames: ['limit'],
  },
  agentPolicyCloses: {
    name: 'mirrorscope_collector_agent_policy_closes_total',
    type: 'counter',
    help: 'Agent connections the collector closed for breaking the rules (no-hello, too-many-messages, wrong-node, invalid-message, finding-bodies).',
    labelNames: ['reason'],
  },
  apiAuthFailures: {
    name: 'mirrorscope_collector_api_auth_failures_total',
    type: 'counter',
    help: 'HTTP API requests refused, by HTTP status.',
    labelNames: ['status'],
  },
  configMapWrites: {
    name: 'mirrorscope_collector_configmap_writes_total',
    type: 'counter',
    help: 'Writes of the report ConfigMap, by result.',
    labelNames: ['result'],
  },
  memorySheds: {
    name: 'mirrorscope_collector_memory_sheds_total',
    type: 'counter',
    help: 'Steps the memory guard took near the heap limit, by step (report: the cached report dropped; history: the report history dropped, paged readers get 410; agents: new agent connections refused).',
    labelNames: ['step'],
  },
  kubeWrites: {
    name: 'mirrorscope_collector_kube_writes_total',
    type: 'counter',
    help: 'Writes of the ImagePullsPredicted node condition (node-condition-transition|new|update|heartbeat|remove), PredictedPullFailure Events (event-create|patch) and PolicyReports (policy-report-apply|delete), by result.',
    labelNames: ['write', 'result'],
  },
} as const satisfies Record<string, MetricSpec>;

type Key = keyof typeof COLLECTOR_METRICS;
type LabelOf<K extends Key> = (typeof COLLECTOR_METRICS)[K]['labelNames'][number];

const spec = <K extends Key>(key: K) => {
  const { name, help, labelNames } = COLLECTOR_METRICS[key];
  return { name, help, labelNames: [...labelNames] as LabelOf<K>[] };
};

export interface CollectorMetrics {
  readonly registry: Registry;
  readonly messages: Counter<'type'>;
  readonly agentAuthFailures: Counter<'status'>;
  readonly agentLimitHits: Counter<'limit'>;
  readonly agentPolicyCloses: Counter<'reason'>;
  readonly apiAuthFailures: Counter<'status'>;
  readonly configMapWrites: Counter<'result'>;
  readonly kubeWrites: Counter<'write' | 'result'>;
  readonly memorySheds: Counter<'step'>;
}

export function createMetrics(
  current: () => ClusterReport,
  extra: {
    connectedAgents: () => number;
    informerRestarts: () => Record<string, number>;
    tokenReviews: () => number;
    tokenReviewsThrottled: () => number;
  },
): CollectorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: COLLECTOR_METRICS_PREFIX });
  const registers = [registry];
  // The hosts failing on most nodes first: a capped list never hides the mirror that is down.
  const shownMirrors = () =>
    mostImportant(
      current().mirrors,
      (m) => m.nodesFailing,
      (m) => m.host,
    );
  new Gauge({
    ...spec('nodes'),
    registers,
    collect() {
      const counts: Record<string, number> = { connected: 0, disconnected: 0, silent: 0, missing: 0 };
      for (const n of current().nodes) counts[n.agent] = (counts[n.agent] ?? 0) + 1;
      for (const [state, value] of Object.entries(counts)) this.set({ state }, value);
    },
  });
  new Gauge({
    ...spec('findings'),
    registers,
    collect() {
      const f = current().summary.findings;
      for (const severity of ['error', 'warning', 'info'] as const) this.set({ severity }, f[severity]);
    },
  });
  new Gauge({
    ...spec('causes'),
    registers,
    collect() {
      this.reset();
      for (const { kind, severity, count } of countCauses(current().causes).values())
        this.set({ kind, severity }, count);
    },
  });
  new Gauge({
    ...spec('problems'),
    registers,
    collect() {
      const counts = { error: 0, warning: 0, info: 0 };
      for (const p of current().problems) counts[p.severity]++;
      for (const [severity, value] of Object.entries(counts)) this.set({ severity }, value);
    },
  });
  new Gauge({
    ...spec('poolNodes'),
    registers,
    collect() {
      this.reset();
      for (const p of current().rollout?.pools ?? []) {
        this.set({ pool: p.name, state: 'done' }, p.nodesDone);
        this.set({ pool: p.name, state: 'lagging' }, p.lagging.length);
        this.set({ pool: p.name, state: 'drifted' }, p.drifted.length);
      }
    },
  });
  new Gauge({
    ...spec('mirrorNodesFailing'),
    registers,
    collect() {
      this.reset();
      for (const m of shownMirrors()) this.set({ host: m.host }, m.nodesFailing);
    },
  });
  new Gauge({
    ...spec('mirrorNodesReachable'),
    registers,
    collect() {
      this.reset();
      for (const m of shownMirrors()) this.set({ host: m.host }, m.nodesReachable);
    },
  });
  new Gauge({
    ...spec('mirrorHosts'),
    registers,
    collect() {
      this.set(current().mirrors.length);
    },
  });
  new Gauge({
    ...spec('mirrorLatency'),
    registers,
    collect() {
      this.reset();
      for (const m of shownMirrors())
        if (m.latencyMs !== null) {
          this.set({ host: m.host, quantile: '0.5' }, m.latencyMs.p50 / 1000);
          this.set({ host: m.host, quantile: '0.95' }, m.latencyMs.p95 / 1000);
        }
    },
  });
  new Gauge({
    ...spec('imagesFailing'),
    registers,
    collect() {
      this.set(current().summary.imagesFailing);
    },
  });
  new Gauge({
    ...spec('nodesConfigDrifted'),
    registers,
    collect() {
      this.set(current().summary.nodesDrifted);
    },
  });
  new Gauge({
    ...spec('agentsConnected'),
    registers,
    collect() {
      this.set(extra.connectedAgents());
    },
  });
  // Totals the collector keeps elsewhere, exported as counters: set to the running total at scrape time.
  new Counter({
    ...spec('informerRestarts'),
    registers,
    collect() {
      this.reset();
      for (const [informer, value] of Object.entries(extra.informerRestarts())) this.inc({ informer }, value);
    },
  });
  new Counter({
    ...spec('tokenReviews'),
    registers,
    collect() {
      this.reset();
      this.inc(extra.tokenReviews());
    },
  });
  new Counter({
    ...spec('tokenReviewsThrottled'),
    registers,
    collect() {
      this.reset();
      this.inc(extra.tokenReviewsThrottled());
    },
  });
  return {
    registry,
    messages: new Counter({ ...spec('messages'), registers }),
    agentAuthFailures: new Counter({ ...spec('agentAuthFailures'), registers }),
    agentLimitHits: new Counter({ ...spec('agentLimitHits'), registers }),
    agentPolicyCloses: new Counter({ ...spec('agentPolicyCloses'), registers }),
    apiAuthFailures: new Counter({ ...spec('apiAuthFailures'), registers }),
    configMapWrites: new Counter({ ...spec('configMapWrites'), registers }),
    kubeWrites: new Counter({ ...spec('kubeWrites'), registers }),
    memorySheds: zeroed(new Counter({ ...spec('memorySheds'), registers }), 'step', SHED_STEPS),
  };
}

/** Each label value's series exported from the start (at 0), so that increase() sees the first step. */
function zeroed<L extends string>(counter: Counter<L>, label: L, values: readonly string[]): Counter<L> {
  for (const value of values) counter.inc({ [label]: value } as Partial<Record<L, string>>, 0);
  return counter;
}
