// The ImagePullsPredicted node condition: what it says (pure decisions), the server-side apply
// through nodes/status against the fake API with the production client-node call, and the write
// budget under 5,000 nodes (a driven clock: the token bucket, not the machine, sets the pace).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cause } from '../../src/core/causes/types.js';
import {
  CONDITION_TYPE,
  conditionTarget,
  conditionWrite,
  effectiveHeartbeatMs,
  type NodeCondition,
} from '../../src/core/kube-writes/node-condition.js';
import {
  CauseIndex,
  predictNode,
  reasonOf,
  type NodeObservation,
  type NodePrediction,
} from '../../src/core/kube-writes/predictions.js';
import { conditionOf, NodeConditions } from '../../src/collector/node-conditions.js';
import { silentLog } from '../../src/collector/log.js';
import { loadKubeClients } from '../../src/kube/kube-clients.js';
import { applyNodeCondition } from '../../src/kube/node-status-apply.js';
import { eventually } from '../support/eventually.js';
import { FakeKubeApi, nodeObject } from '../support/fake-kube-api.js';

const MIRROR = 'mirror.corp.example:5000';

function cause(kind: Cause['kind'], id: string, findings: string[], pods = 1): Cause {
  return {
    id,
    kind,
    severity: 'error',
    title: `The CA of ${MIRROR} is missing on the node`,
    explanation: '',
    fix: { text: '', commands: [] },
    evidence: [],
    affects: { nodes: ['worker-1'], pods, images: [], mirrors: [MIRROR] },
    findings,
  };
}

const CA = cause('tls-ca-missing', `tls-ca-missing:${MIRROR}`, ['tls|a', 'pull|app', 'pull|db'], 5);
const DNS = {
  ...cause('dns-failure', 'dns-failure:quay.example', ['dns|q'], 1),
  title: 'quay.example does not resolve',
};
const index = new CauseIndex([DNS, CA]);

function observe(overrides: Partial<NodeObservation> = {}): NodeObservation {
  return {
    node: 'worker-1',
    agent: 'connected',
    lastSeenMs: Date.parse('2026-12-03T12:00:00Z'),
    images: [
      { image: 'quay.example/app:1', pullable: false, findingKeys: ['tls|a', 'pull|app'] },
      { image: 'quay.example/db:2', pullable: false, findingKeys: ['pull|db'] },
      { image: 'quay.example/cache:3', pullable: false, findingKeys: ['dns|q'] },
      { image: 'quay.example/ok:4', pullable: true, findingKeys: [] },
    ],
    ...overrides,
  };
}

const T0 = Date.parse('2026-12-03T12:00:10Z');
const timing = { nowMs: T0, startedMs: T0 - 60_000, goneAfterMs: 600_000 };

describe('what the condition says', () => {
  it('is False with the top cause (impact order of the report) as reason, its title and the count', () => {
    const p = predictNode(observe(), index);
    expect(p.failing.map((f) => f.image)).toEqual([
      'quay.example/app:1',
      'quay.example/db:2',
      'quay.example/cache:3',
    ]);
    expect(conditionTarget(p, timing)).toEqual({
      status: 'False',
      reason: 'TlsCaMissing',
      message: `3 of 4 images in use would fail to pull: The CA of ${MIRROR} is missing on the node (2 images); 1 more cause. Trace: mirrorscope trace --node worker-1 quay.example/app:1`,
    });
  });

  it('is True when every image pulls, Unknown when the agent is silent, untouched before a scan, removed after the grace period', () => {
    const ok = predictNode(observe({ images: [{ image: 'a:1', pullable: true, findingKeys: [] }] }), index);
    expect(conditionTarget(ok, timing)).toMatchObject({ status: 'True', reason: 'ImagesPullable' });
    const silent = predictNode(observe({ agent: 'silent', lastSeenMs: T0 - 120_000 }), index);
    expect(conditionTarget(silent, timing)).toMatchObject({ status: 'Unknown', reason: 'AgentSilent' });
    expect(conditionTarget(predictNode(observe({ images: null }), index), timing)).toBe('keep');
    const gone = predictNode(observe({ agent: 'disconnected', lastSeenMs: T0 - 600_001 }), index);
    expect(conditionTarget(gone, timing)).toBe('remove');
    // No agent since the collector started: left alone for the grace period (agents reconnect), then removed.
    const missing = predictNode(observe({ agent: 'missing', lastSeenMs: null, images: null }), index);
    expect(conditionTarget(missing, timing)).toBe('keep');
    expect(conditionTarget(missing, { ...timing, nowMs: timing.startedMs + 600_001 })).toBe('remove');
  });

  it('names an unexplained failure PullFailure and says so', () => {
    const p = predictNode(
      observe({ images: [{ image: 'x:1', pullable: false, findingKeys: ['nobody'] }] }),
      index,
    );
    expect(conditionTarget(p, timing)).toMatchObject({
      status: 'False',
      reason: 'PullFailure',
      message:
        '1 of 1 image in use would fail to pull: no finding explains it yet. Trace: mirrorscope trace --node worker-1 x:1',
    });
    expect(reasonOf('auth-key-host-mismatch')).toBe('AuthKeyHostMismatch');
  });

  it('moves lastTransitionTime only when the status changes, and heartbeats at the period', () => {
    const target = { status: 'False', reason: 'TlsCaMissing', message: 'm' } as const;
    const created = conditionWrite(target, undefined, T0, 300_000)!;
    expect(created).toMatchObject({
      reason: 'new',
      condition: { lastTransitionTime: new Date(T0).toISOString() },
    });
    const current = created.condition!;
    expect(conditionWrite(target, current, T0 + 299_999, 300_000)).toBeNull();
    const beat = conditionWrite(target, current, T0 + 300_000, 300_000)!;
    expect(beat.reason).toBe('heartbeat');
    expect(beat.condition!.lastTransitionTime).toBe(current.lastTransitionTime);
    expect(beat.condition!.lastHeartbeatTime).toBe(new Date(T0 + 300_000).toISOString());
    const reworded = conditionWrite({ ...target, message: 'n' }, current, T0 + 1000, 300_000)!;
    expect(reworded).toMatchObject({
      reason: 'update',
      condition: { lastTransitionTime: current.lastTransitionTime },
    });
    const flipped = conditionWrite({ ...target, status: 'True' }, current, T0 + 2000, 300_000)!;
    expect(flipped).toMatchObject({
      reason: 'transition',
      condition: { lastTransitionTime: new Date(T0 + 2000).toISOString() },
    });
    expect(conditionWrite('remove', current, T0, 300_000)).toEqual({ reason: 'remove', condition: null });
    expect(conditionWrite('remove', undefined, T0, 300_000)).toBeNull();
  });

  it('stretches the heartbeat so heartbeats alone never use more than half the budget', () => {
    expect(effectiveHeartbeatMs(300_000, 100, 10)).toBe(300_000);
    expect(effectiveHeartbeatMs(300_000, 5000, 10)).toBe(1_000_000);
  });
});

describe('nodes/status server-side apply against the API', () => {
  let api: FakeKubeApi;
  let writer: NodeConditions;
  let clock = T0;
  const prediction = (
    images: NodeObservation['images'],
    overrides: Partial<NodeObservation> = {},
  ): NodePrediction => predictNode(observe({ lastSeenMs: clock, images, ...overrides }), index);
  const condition = (): NodeCondition | undefined =>
    conditionOf((api.get('nodes', 'worker-1')?.status as { conditions?: unknown[] }).conditions);
  const settle = async (): Promise<void> => {
    writer.pump();
    await eventually(() => {
      writer.pump();
      expect(writer.idle).toBe(true);
    }, 'the writes');
  };

  beforeAll(async () => {
    api = await new FakeKubeApi().start();
    api.upsert('nodes', nodeObject('worker-1'));
    const kube = loadKubeClients(api.writeKubeconfig());
    writer = new NodeConditions({
      apply: (node, c) => applyNodeCondition(kube.core, node, c),
      current: (node) =>
        conditionOf((api.get('nodes', node)?.status as { conditions?: unknown[] }).conditions),
      exists: (node) => api.get('nodes', node) !== undefined,
      qps: 100,
      burst: 10,
      heartbeatMs: 300_000,
      goneAfterMs: 600_000,
      log: silentLog,
      now: () => clock,
    });
  });
  afterAll(() => api?.stop());

  it('writes False beside the kubelet conditions, with the field manager mirrorscope', async () => {
    writer.reconcile([prediction(observe().images)]);
    await settle();
    expect(condition()).toMatchObject({
      status: 'False',
      reason: 'TlsCaMissing',
      lastTransitionTime: new Date(T0).toISOString(),
    });
    const node = api.get('nodes', 'worker-1')!;
    expect((node.status as { conditions: { type: string }[] }).conditions.map((c) => c.type)).toEqual([
      'Ready',
      CONDITION_TYPE,
    ]);
    expect(node.metadata.managedFields).toEqual([
      expect.objectContaining({ manager: 'mirrorscope', operation: 'Apply', subresource: 'status' }),
    ]);
    expect(api.writes.statusApplies).toHaveLength(1);
  });

  it('does not write again while nothing changed (the informer may lag: what was written counts)', async () => {
    clock += 10_000;
    writer.reconcile([prediction(observe().images)]);
    await settle();
    expect(api.writes.statusApplies).toHaveLength(1);
  });

  it('flips to True (new lastTransitionTime) and back to False', async () => {
    clock += 10_000;
    const flipAt = new Date(clock).toISOString();
    writer.reconcile([prediction([{ image: 'quay.example/app:1', pullable: true, findingKeys: [] }])]);
    await settle();
    expect(condition()).toMatchObject({
      status: 'True',
      reason: 'ImagesPullable',
      lastTransitionTime: flipAt,
    });
    clock += 70_000; // past the settle window: the Node object is the truth again
    const backAt = new Date(clock).toISOString();
    writer.reconcile([prediction(observe().images)]);
    await settle();
    expect(condition()).toMatchObject({
      status: 'False',
      lastTransitionTime: backAt,
      lastHeartbeatTime: backAt,
    });
    expect(api.writes.statusApplies).toHaveLength(3);
  });

  it('refreshes only the heartbeat once the period has passed', async () => {
    const before = condition()!;
    clock += 300_000;
    writer.reconcile([prediction(observe().images)]);
    await settle();
    expect(condition()).toMatchObject({
      status: 'False',
      lastTransitionTime: before.lastTransitionTime,
      lastHeartbeatTime: new Date(clock).toISOString(),
    });
  });

  it('removes the condition once the agent has been gone for the grace period, and only ours', async () => {
    const lastSeen = clock;
    clock += 600_001;
    writer.reconcile([prediction(observe().images, { agent: 'disconnected', lastSeenMs: lastSeen })]);
    await settle();
    expect(condition()).toBeUndefined();
    expect((api.get('nodes', 'worker-1')!.status as { conditions: { type: string }[] }).conditions).toEqual([
      { type: 'Ready', status: 'True' },
    ]);
  });

  it('the fake refuses what a real API server refuses', async () => {
    const res = await fetch(`${api.url}/api/v1/nodes/worker-1/status`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${api.adminToken}`, 'Content-Type': 'application/apply-patch+yaml' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'worker-1' } }),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('fieldManager');
  });
});

describe('the write budget under 5,000 nodes', () => {
  it('never exceeds qps, serves flips before heartbeats, and coalesces per node', async () => {
    let clock = T0;
    const sentAt: { atMs: number; node: string; status: string | null }[] = [];
    const conditions = new Map<string, NodeCondition>();
    const nodes = Array.from({ length: 5000 }, (_, i) => `node-${String(i).padStart(4, '0')}`);
    const writer = new NodeConditions({
      apply: async (node, c) => {
        sentAt.push({ atMs: clock, node, status: c?.status ?? null });
        if (c === null) conditions.delete(node);
        else conditions.set(node, c);
      },
      current: (node) => conditions.get(node),
      exists: () => true,
      qps: 10,
      burst: 20,
      heartbeatMs: 300_000,
      goneAfterMs: 600_000,
      log: silentLog,
      now: () => clock,
      concurrency: 4,
    });
    const all = (pullable: (node: string) => boolean): NodePrediction[] =>
      nodes.map((node) =>
        predictNode(
          observe({
            node,
            lastSeenMs: clock,
            images: [{ image: 'a:1', pullable: pullable(node), findingKeys: ['tls|a'] }],
          }),
          index,
        ),
      );
    const run = async (ms: number): Promise<void> => {
      for (let t = 0; t < ms; t += 100) {
        clock += 100;
        writer.pump();
        await Promise.resolve();
        await Promise.resolve();
      }
    };
    writer.reconcile(all(() => true));
    await run(60_000);
    // A mirror outage on the first 100 nodes while the first round is still being written: their
    // flips go ahead of everything else queued.
    const outageAt = clock;
    writer.reconcile(all((n) => n >= 'node-0100'));
    await run(20_000);
    const flips = sentAt.filter((s) => s.atMs > outageAt && s.status === 'False');
    expect(flips).toHaveLength(100);
    expect(Math.max(...flips.map((s) => s.atMs)) - outageAt).toBeLessThanOrEqual(11_000);
    await run(600_000);
    writer.reconcile(all((n) => n >= 'node-0100'));
    await run(10_000);

    const perSecond = new Map<number, number>();
    for (const s of sentAt)
      perSecond.set(
        Math.floor((s.atMs - T0) / 1000),
        (perSecond.get(Math.floor((s.atMs - T0) / 1000)) ?? 0) + 1,
      );
    const peak = Math.max(...perSecond.values());
    // The burst may go out in the first second; never more than qps + burst in any second, and
    // the long-run rate is qps.
    expect(peak).toBeLessThanOrEqual(30);
    const steady = [...perSecond.entries()].filter(([s]) => s > 5).map(([, n]) => n);
    expect(Math.max(...steady)).toBeLessThanOrEqual(11);
    expect(conditions.size).toBe(5000);
    expect([...conditions.values()].filter((c) => c.status === 'False')).toHaveLength(100);
    // One write per node for the first round, one per flipped node: nothing written twice.
    expect(sentAt.length).toBe(5100);
  }, 60_000);
});
