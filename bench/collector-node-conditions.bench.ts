// The ImagePullsPredicted writer under 5,000 nodes, against the fake API over HTTP with the
// production client-node call (nodes/status server-side apply): a mirror outage makes every node's
// condition due at once. Figures: the nodes/status requests the API server sees, per second (peak
// goal ≤ qps + burst) and over the window (goal ≤ burst + qps × seconds), at the default budget
// (10/s, burst 20) and at 100/s (the limiter still holds when the machine could go faster); the cost of one reconcile of
// 5,000 nodes (goal ≤ 100 ms, it runs every 10 s); the heartbeat period the default budget stretches
// to at 5,000 nodes (heartbeats alone then use half the budget).
import { silentLog } from '../src/collector/log.js';
import { conditionOf, NodeConditions } from '../src/collector/node-conditions.js';
import { effectiveHeartbeatMs } from '../src/core/kube-writes/node-condition.js';
import { CauseIndex, predictNode, type NodePrediction } from '../src/core/kube-writes/predictions.js';
import { loadKubeClients } from '../src/kube/kube-clients.js';
import { applyNodeCondition } from '../src/kube/node-status-apply.js';
import { FakeKubeApi, nodeObject } from '../test/support/fake-kube-api.js';
import { say, type BenchLine } from './types.js';

const NODES = 5000;
const BENCH = 'collector-node-conditions';

function predictions(nodes: readonly string[]): NodePrediction[] {
  const index = new CauseIndex([
    {
      id: 'dns-failure:mirror.corp.example',
      kind: 'dns-failure',
      severity: 'error',
      title: 'mirror.corp.example does not resolve',
      explanation: '',
      fix: { text: '', commands: [] },
      evidence: [],
      affects: { nodes: [...nodes], pods: NODES, images: ['quay.io/acme/app:1'], mirrors: [] },
      findings: ['dns'],
    },
  ]);
  return nodes.map((node) =>
    predictNode(
      {
        node,
        agent: 'connected',
        lastSeenMs: Date.now(),
        images: [{ image: 'quay.io/acme/app:1', pullable: false, findingKeys: ['dns'] }],
      },
      index,
    ),
  );
}

async function measure(
  api: FakeKubeApi,
  nodes: readonly string[],
  qps: number,
  burst: number,
  seconds: number,
): Promise<{ peak: number; sent: number; allowed: number }> {
  const kube = loadKubeClients(api.writeKubeconfig());
  const writer = new NodeConditions({
    apply: (node, c) => applyNodeCondition(kube.core, node, c),
    current: (node) => conditionOf((api.get('nodes', node)?.status as { conditions?: unknown[] }).conditions),
    exists: () => true,
    qps,
    burst,
    heartbeatMs: 300_000,
    goneAfterMs: 900_000,
    log: silentLog,
  });
  const from = api.writes.statusApplies.length;
  const started = Date.now();
  writer.reconcile(predictions(nodes));
  writer.start();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  writer.stop();
  await new Promise((r) => setTimeout(r, 200));
  const perSecond = new Array<number>(seconds + 1).fill(0);
  for (const a of api.writes.statusApplies.slice(from))
    perSecond[Math.min(seconds, Math.floor((a.atMs - started) / 1000))]!++;
  return {
    peak: Math.max(...perSecond),
    // What a token bucket may let through in the window: the burst, then qps a second.
    allowed: burst + qps * seconds,
    sent: api.writes.statusApplies.length - from,
  };
}

export async function run(): Promise<BenchLine[]> {
  const api = await new FakeKubeApi().start();
  try {
    const nodes = Array.from({ length: NODES }, (_, i) => `node-${String(i).padStart(4, '0')}`);
    for (const n of nodes) api.upsert('nodes', nodeObject(n));

    const index = predictions(nodes);
    const probe = new NodeConditions({
      apply: async () => undefined,
      current: () => undefined,
      exists: () => true,
      qps: 10,
      burst: 20,
      heartbeatMs: 300_000,
      goneAfterMs: 900_000,
      log: silentLog,
    });
    const costs: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      probe.reconcile(index);
      costs.push(performance.now() - t);
    }
    const reconcileMs = costs.sort((a, b) => a - b)[3]!;

    const defaults = await measure(api, nodes, 10, 20, 20);
    const fast = await measure(api, nodes.slice(1000), 100, 200, 10);
    const heartbeatS = effectiveHeartbeatMs(300_000, NODES, 10) / 1000;
    say(`${BENCH}: ${NODES} nodes, every condition due at once`);
    say(
      `  default budget 10/s (burst 20): peak ${defaults.peak}/s (goal ≤ 30), ${defaults.sent} writes in 20 s (goal ≤ ${defaults.allowed})`,
    );
    say(
      `  budget 100/s (burst 200): peak ${fast.peak}/s (goal ≤ 300), ${fast.sent} writes in 10 s (goal ≤ ${fast.allowed})`,
    );
    say(`  one reconcile of ${NODES} nodes: ${reconcileMs.toFixed(1)} ms (goal ≤ 100)`);
    say(`  heartbeat period at ${NODES} nodes and 10/s: ${heartbeatS} s (heartbeats use ≤ 5 writes/s)`);
    return [
      {
        bench: BENCH,
        metric: 'status_writes_per_second_peak',
        value: defaults.peak,
        target: 30,
        qps: 10,
        burst: 20,
      },
      {
        bench: BENCH,
        metric: 'status_writes_in_20s',
        value: defaults.sent,
        target: defaults.allowed,
        qps: 10,
      },
      {
        bench: BENCH,
        metric: 'status_writes_per_second_peak_at_100',
        value: fast.peak,
        target: 300,
        qps: 100,
        burst: 200,
      },
      {
        bench: BENCH,
        metric: 'status_writes_in_10s_at_100',
        value: fast.sent,
        target: fast.allowed,
        qps: 100,
      },
      { bench: BENCH, metric: 'reconcile_ms_5000_nodes', value: Number(reconcileMs.toFixed(1)), target: 100 },
      { bench: BENCH, metric: 'heartbeat_period_s_5000_nodes', value: heartbeatS, target: 1000 },
    ];
  } finally {
    await api.stop();
  }
}
