import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderMetricsDoc } from '../../scripts/metrics-doc.js';
import { AGENT_METRICS, AGENT_METRICS_PREFIX, AgentMetrics } from '../../src/agent/metrics.js';
import { COLLECTOR_METRICS, COLLECTOR_METRICS_PREFIX, createMetrics } from '../../src/collector/metrics.js';
import type { ClusterReport } from '../../src/core/report/types.js';
import { MAX_LABEL_VALUES, OVERFLOW_LABEL } from '../../src/metrics/spec.js';
import { REPO } from '../support/cli.js';

const mirrors = Array.from({ length: MAX_LABEL_VALUES + 50 }, (_, i) => ({
  host: `m${String(i).padStart(3, '0')}.example:5000`,
  // The last hosts fail on most nodes: they must be the ones the capped gauges keep.
  nodesFailing: i,
  nodesReachable: 1,
  latencyMs: null,
}));

const report = {
  summary: { findings: { error: 1, warning: 0, info: 0 }, imagesFailing: 2, nodesDrifted: 0 },
  causes: [],
  problems: [],
  mirrors,
  nodes: [{ agent: 'connected' }, { agent: 'missing' }],
  rollout: null,
} as unknown as ClusterReport;

function collector() {
  return createMetrics(() => report, {
    connectedAgents: () => 1,
    informerRestarts: () => ({ pods: 2 }),
    tokenReviews: () => 5,
    tokenReviewsThrottled: () => 0,
  });
}

const familyNames = async (registry: { getMetricsAsJSON(): Promise<{ name: string }[]> }) =>
  (await registry.getMetricsAsJSON()).map((m) => m.name);

describe('docs/metrics.md', () => {
  it('is generated from the metric specs (run `npm run docs` after changing them)', () => {
    expect(readFileSync(`${REPO}/docs/metrics.md`, 'utf8')).toBe(renderMetricsDoc());
  });
});

describe('metric names', () => {
  const agentSpecs = Object.values(AGENT_METRICS);
  const collectorSpecs = Object.values(COLLECTOR_METRICS);

  it('the agent exports exactly its specs (plus prefixed defaults), all mirrorscope_agent_…', async () => {
    const names = await familyNames(new AgentMetrics().registry);
    const own = names.filter((n) => !agentSpecs.some((s) => s.name === n));
    expect(agentSpecs.map((s) => s.name).filter((n) => !names.includes(n))).toEqual([]);
    for (const n of names) expect(n.startsWith(AGENT_METRICS_PREFIX), n).toBe(true);
    // What remains are prom-client's defaults (process_…, nodejs_…).
    expect(
      own.every((n) => /^mirrorscope_agent_(process|nodejs)_/.test(n)),
      own.join(),
    ).toBe(true);
  });

  it('the collector exports exactly its specs, cluster view and its own series apart', async () => {
    const names = await familyNames(collector().registry);
    expect(collectorSpecs.map((s) => s.name).filter((n) => !names.includes(n))).toEqual([]);
    for (const n of names)
      expect(n.startsWith('mirrorscope_cluster_') || n.startsWith(COLLECTOR_METRICS_PREFIX), n).toBe(true);
  });

  it('no name is defined by both; counters and only counters end in _total', () => {
    const agent = new Set<string>(agentSpecs.map((s) => s.name));
    expect(collectorSpecs.filter((s) => agent.has(s.name))).toEqual([]);
    for (const s of [...agentSpecs, ...collectorSpecs])
      expect(s.name.endsWith('_total'), s.name).toBe(s.type === 'counter');
    for (const s of [...agentSpecs, ...collectorSpecs].filter((x) => x.type === 'histogram'))
      expect(s.name, 'a histogram carries its unit').toMatch(/_seconds$|_bytes$/);
  });

  it('no label names an image, a tag or a node', () => {
    for (const s of [...agentSpecs, ...collectorSpecs])
      expect(s.labelNames.filter((l) => ['image', 'tag', 'node', 'reference', 'digest'].includes(l))).toEqual(
        [],
      );
  });

  it('the collector keeps the hosts failing on most nodes when there are too many to name', async () => {
    const text = await collector().registry.metrics();
    const hosts = [...text.matchAll(/^mirrorscope_cluster_mirror_nodes_failing\{host="([^"]+)"\}/gm)].map(
      (m) => m[1],
    );
    expect(hosts).toHaveLength(MAX_LABEL_VALUES);
    expect(hosts).toContain(mirrors.at(-1)!.host);
    expect(hosts).not.toContain(mirrors[0]!.host);
    expect(text).toContain(`mirrorscope_cluster_mirror_hosts ${mirrors.length}`);
    expect(text).toContain('mirrorscope_collector_informer_restarts_total{informer="pods"} 2');
    expect(text).toContain('# TYPE mirrorscope_collector_token_reviews_total counter');
  });

  it('the agent folds probe hosts past the cap into one series', async () => {
    const m = new AgentMetrics();
    for (const { host } of mirrors) m.probe(host, 0.01, 'ok');
    const text = await m.registry.metrics();
    const hosts = new Set(
      [...text.matchAll(/^mirrorscope_agent_probes_total\{host="([^"]+)"/gm)].map((x) => x[1]),
    );
    expect(hosts.size).toBe(MAX_LABEL_VALUES + 1);
    expect(text).toContain(`mirrorscope_agent_probes_total{host="${OVERFLOW_LABEL}",outcome="ok"} 50`);
  });
});
