// GET /metrics: cluster-level series computed from the current report at scrape time, plus the
// collector's own counters. Labels stay low-cardinality: mirror host, severity, state — never image or node.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ClusterReport } from '../core/report/types.js';

export interface CollectorMetrics {
  readonly registry: Registry;
  readonly messages: Counter<'type'>;
  readonly agentAuthFailures: Counter<'status'>;
  readonly agentLimitHits: Counter<'limit'>;
  readonly agentPolicyCloses: Counter<'reason'>;
  readonly apiAuthFailures: Counter<'status'>;
  readonly configMapWrites: Counter<'result'>;
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
  collectDefaultMetrics({ register: registry, prefix: 'mirrorscope_collector_' });
  const registers = [registry];
  new Gauge({
    name: 'mirrorscope_nodes',
    help: 'Nodes by agent state (connected, disconnected, silent, missing).',
    labelNames: ['state'],
    registers,
    collect() {
      const counts: Record<string, number> = { connected: 0, disconnected: 0, silent: 0, missing: 0 };
      for (const n of current().nodes) counts[n.agent] = (counts[n.agent] ?? 0) + 1;
      for (const [state, value] of Object.entries(counts)) this.set({ state }, value);
    },
  });
  new Gauge({
    name: 'mirrorscope_findings',
    help: 'Findings across all nodes, by severity (a problem seen by N nodes counts N times).',
    labelNames: ['severity'],
    registers,
    collect() {
      const f = current().summary.findings;
      for (const severity of ['error', 'warning', 'info'] as const) this.set({ severity }, f[severity]);
    },
  });
  new Gauge({
    name: 'mirrorscope_problems',
    help: 'Distinct problems in the cluster (deduplicated across nodes), by severity.',
    labelNames: ['severity'],
    registers,
    collect() {
      const counts = { error: 0, warning: 0, info: 0 };
      for (const p of current().problems) counts[p.severity]++;
      for (const [severity, value] of Object.entries(counts)) this.set({ severity }, value);
    },
  });
  new Gauge({
    name: 'mirrorscope_pool_mirror_config_nodes',
    help: "Nodes per MachineConfigPool by mirror configuration state: done (runs the target's registry files), lagging, drifted (OpenShift).",
    labelNames: ['pool', 'state'],
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
    name: 'mirrorscope_mirror_nodes_failing',
    help: 'Nodes whose probe of a mirror/registry host fails.',
    labelNames: ['host'],
    registers,
    collect() {
      this.reset();
      for (const m of current().mirrors) this.set({ host: m.host }, m.nodesFailing);
    },
  });
  new Gauge({
    name: 'mirrorscope_mirror_nodes_reachable',
    help: 'Nodes that reach a mirror/registry host.',
    labelNames: ['host'],
    registers,
    collect() {
      this.reset();
      for (const m of current().mirrors) this.set({ host: m.host }, m.nodesReachable);
    },
  });
  new Gauge({
    name: 'mirrorscope_mirror_latency_seconds',
    help: 'Probe latency of a mirror/registry host across nodes (quantile 0.5 and 0.95).',
    labelNames: ['host', 'quantile'],
    registers,
    collect() {
      this.reset();
      for (const m of current().mirrors)
        if (m.latencyMs !== null) {
          this.set({ host: m.host, quantile: '0.5' }, m.latencyMs.p50 / 1000);
          this.set({ host: m.host, quantile: '0.95' }, m.latencyMs.p95 / 1000);
        }
    },
  });
  new Gauge({
    name: 'mirrorscope_images_failing',
    help: 'Images that fail to pull on at least one node (simulated or seen in kubelet events).',
    registers,
    collect() {
      this.set(current().summary.imagesFailing);
    },
  });
  new Gauge({
    name: 'mirrorscope_nodes_config_drift',
    help: "Nodes whose registries configuration differs from their pool's majority.",
    registers,
    collect() {
      this.set(current().summary.nodesDrifted);
    },
  });
  new Gauge({
    name: 'mirrorscope_collector_agents_connected',
    help: 'Agents connected right now.',
    registers,
    collect() {
      this.set(extra.connectedAgents());
    },
  });
  new Gauge({
    name: 'mirrorscope_collector_informer_restarts',
    help: 'Times an informer was replaced after an error or a silent stall.',
    labelNames: ['informer'],
    registers,
    collect() {
      for (const [informer, value] of Object.entries(extra.informerRestarts())) this.set({ informer }, value);
    },
  });
  new Gauge({
    name: 'mirrorscope_collector_token_reviews',
    help: 'TokenReview requests sent to the API server (positive answers are cached).',
    registers,
    collect() {
      this.set(extra.tokenReviews());
    },
  });
  new Gauge({
    name: 'mirrorscope_collector_token_reviews_throttled',
    help: 'TokenReviews not sent because a source (or all together) sent too many unknown tokens; the caller got 429.',
    registers,
    collect() {
      this.set(extra.tokenReviewsThrottled());
    },
  });
  return {
    registry,
    messages: new Counter({
      name: 'mirrorscope_collector_agent_messages_total',
      help: 'Messages received from agents, by type.',
      labelNames: ['type'],
      registers,
    }),
    agentAuthFailures: new Counter({
      name: 'mirrorscope_collector_agent_auth_failures_total',
      help: 'Agent connections refused at upgrade, by HTTP status.',
      labelNames: ['status'],
      registers,
    }),
    agentLimitHits: new Counter({
      name: 'mirrorscope_collector_agent_limit_hits_total',
      help: 'Times an agent sent more than the collector keeps per node (findings, hosts, images, bytes); the excess was dropped.',
      labelNames: ['limit'],
      registers,
    }),
    agentPolicyCloses: new Counter({
      name: 'mirrorscope_collector_agent_policy_closes_total',
      help: 'Agent connections the collector closed for breaking the rules (no-hello, too-many-messages, wrong-node, invalid-message).',
      labelNames: ['reason'],
      registers,
    }),
    apiAuthFailures: new Counter({
      name: 'mirrorscope_collector_api_auth_failures_total',
      help: 'HTTP API requests refused, by HTTP status.',
      labelNames: ['status'],
      registers,
    }),
    configMapWrites: new Counter({
      name: 'mirrorscope_collector_configmap_writes_total',
      help: 'Writes of the report ConfigMap, by result.',
      labelNames: ['result'],
      registers,
    }),
  };
}
