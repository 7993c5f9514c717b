// The incremental report build (one memo across builds, the store's witness index) gives exactly the
// report a build from nothing gives for the same input, whatever the sequence of snapshots, deltas,
// reconnects, disconnects, forgotten nodes, pods and time that led there. Seeded random sequences,
// with one node that diverges from its class and converges back in every run.
import { describe, expect, it } from 'vitest';
import { NodeStore } from '../../src/collector/node-store.js';
import { buildReport } from '../../src/core/report/build-report.js';
import { WeakReportMemo } from '../../src/core/report/report-memo.js';
import type { ClusterInput, ClusterReport, NodeInput, PullEvent } from '../../src/core/report/types.js';
import type { DeltaMessage, ImageStatus, SnapshotMessage, WireFinding } from '../../src/protocol/messages.js';
import { asJson } from '../support/as-json.js';
import { finding, helloMessage } from '../support/protocol-agent.js';
import { prng } from '../support/mutate.js';

const T0 = Date.parse('2026-12-03T12:00:00Z');
const NODES = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
const HOSTS = ['m1:5000', 'm2:5000', 'm3'];
const IMAGES = ['quay.io/a/app:1', 'quay.io/b/app:2', 'quay.io/c/app:3'];

/**
 * The findings agents may report: shared ones (every node alike), per-node ones, and consequences.
 * Some nodes word `missing:a` their own way (one key, several findings: one problem), and some send
 * a key the collector uses for its own aggregate (they merge too).
 */
function findingPool(node: string): WireFinding[] {
  const ownWording = node === 'n2' || node === 'n5';
  return [
    finding({ id: 'mirror-unreachable', key: 'unreachable:m1', host: 'm1:5000', severity: 'warning' }),
    finding({
      id: 'mirror-manifest-missing',
      key: 'missing:a',
      host: 'm2:5000',
      image: IMAGES[0]!,
      severity: 'error',
      ...(ownWording ? { message: `m2:5000 lacks ${IMAGES[0]!} (seen from ${node})` } : {}),
    }),
    ...(node === 'n3' || node === 'n4'
      ? [
          finding({
            id: 'mirror-unreachable',
            key: 'mirror-unreachable-from-nodes:m1:5000',
            host: 'm1:5000',
            severity: 'warning',
          }),
        ]
      : []),
    finding({
      id: 'config-unknown-key',
      key: 'typo:3',
      file: '/etc/containers/registries.conf',
      line: 3,
      severity: 'info',
    }),
    finding({ id: 'mirror-stale-tag', key: 'stale:b', host: 'm3', image: IMAGES[1]!, severity: 'warning' }),
    finding({ id: 'image-pull-fails', key: 'pull-fails:c', image: IMAGES[2]!, severity: 'error' }),
    finding({ id: 'config-unknown-key', key: `typo:${node}`, message: `typo on ${node}`, severity: 'info' }),
    finding({
      id: 'mirror-manifest-missing',
      key: `missing:${node}`,
      host: 'm1:5000',
      image: IMAGES[1]!,
      message: `missing on ${node}`,
      severity: 'error',
    }),
  ];
}

function images(r: () => number): ImageStatus[] {
  return IMAGES.filter(() => r() < 0.7).map((image, i) => {
    const pullable = r() < 0.5;
    return {
      image,
      pullable,
      source: pullable ? `${HOSTS[i]}/x` : null,
      digest: null,
      findingKeys: pullable
        ? []
        : (['missing:a', 'stale:b', 'pull-fails:c'].filter(() => r() < 0.6) as string[]),
    };
  });
}

function snapshot(node: string, r: () => number, drop: ReadonlySet<string> = new Set()): SnapshotMessage {
  return {
    v: 1,
    type: 'snapshot',
    seq: 1,
    generatedAt: '',
    configHash: r() < 0.85 ? 'pool' : 'other',
    files: [],
    // Fresh objects, as each agent's message is parsed on its own.
    findings: findingPool(node).filter((f) => !drop.has(f.key) && (f.key.includes(node) || r() < 0.9)),
    hosts: HOSTS.map((host, i) => ({
      host,
      reachable: r() < 0.7,
      outcome: ['found', 'unreachable', 'unauthorized', 'tls-untrusted'][Math.floor(r() * 4)]!,
      latencyMs: i * 10 + Math.floor(r() * 5),
      probedAt: '',
    })),
    images: images(r),
    scan: null,
  };
}

function delta(node: string, r: () => number): DeltaMessage {
  const pool = findingPool(node);
  const added = pool.filter(() => r() < 0.2);
  const cleared = pool.filter(() => r() < 0.2).map((f) => f.key);
  return { v: 1, type: 'delta', seq: 2, configHash: 'pool', added, cleared, hosts: [], images: images(r) };
}

interface World {
  readonly store: NodeStore;
  readonly connections: Map<string, number>;
  now: number;
  pods: Map<string, Map<string, number>>;
  events: PullEvent[];
}

function input(w: World, incremental: boolean): ClusterInput {
  const nodes: NodeInput[] = NODES.map((name, i) => ({
    name,
    pool: i < 4 ? 'worker' : 'infra',
    registered: true,
    agent: w.store.get(name) ?? null,
    runtimeVersion: i === 5 ? 'cri-o://1.28.2' : 'cri-o://1.29.4',
  }));
  return {
    nowMs: w.now,
    silentAfterMs: 90_000,
    nodes,
    events: w.events,
    pods: w.pods,
    ...(incremental ? { agentWitnesses: w.store.witnesses } : {}),
  };
}

/** The node's agent (re)connects and sends a snapshot. */
function connect(w: World, node: string, r: () => number): void {
  const id = w.store.hello(helloMessage(node, 'pool'), w.now);
  w.connections.set(node, id);
  w.store.snapshot(node, id, snapshot(node, r), w.now);
}

function step(w: World, r: () => number): string {
  const node = NODES[Math.floor(r() * NODES.length)]!;
  const roll = r();
  const connection = w.connections.get(node);
  if (connection === undefined || roll < 0.1) {
    connect(w, node, r);
    return `hello+snapshot ${node}`;
  }
  if (roll < 0.35) {
    w.store.snapshot(node, connection, snapshot(node, r), w.now);
    return `snapshot ${node}`;
  }
  if (roll < 0.65) {
    w.store.delta(node, connection, delta(node, r), w.now);
    return `delta ${node}`;
  }
  if (roll < 0.72) {
    w.store.disconnected(node, connection);
    if (r() < 0.5) {
      w.store.forget(node);
      w.connections.delete(node);
      return `disconnect+forget ${node}`;
    }
    return `disconnect ${node}`;
  }
  if (roll < 0.8) {
    w.now += Math.floor(r() * 120_000);
    return 'time';
  }
  if (roll < 0.88) {
    w.pods = new Map(
      NODES.filter(() => r() < 0.7).map((n) => [
        n,
        new Map(IMAGES.filter(() => r() < 0.5).map((i) => [i, 1 + Math.floor(r() * 3)])),
      ]),
    );
    return 'pods';
  }
  if (roll < 0.94) {
    const image = IMAGES[Math.floor(r() * IMAGES.length)]!;
    w.events =
      r() < 0.3
        ? []
        : [
            {
              node,
              image,
              namespace: 'apps',
              pod: `p-${node}`,
              count: 1,
              lastSeen: '2026-12-03T12:00:00Z',
              error: 'manifest unknown',
              candidates: [
                {
                  reference: `m1:5000/${image}`,
                  host: 'm1:5000',
                  error: 'manifest unknown',
                  findingId: 'pull-manifest-unknown',
                },
              ],
            },
          ];
    return 'events';
  }
  return 'nothing';
}

describe('incremental report build', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
    it(`equals a build from nothing after every step (seed ${seed})`, () => {
      const r = prng(seed);
      const w: World = {
        store: new NodeStore(),
        connections: new Map(),
        now: T0,
        pods: new Map(),
        events: [],
      };
      const memo = new WeakReportMemo();
      const check = (what: string): ClusterReport => {
        const incremental = buildReport(input(w, true), memo);
        expect(asJson(incremental), what).toEqual(asJson(buildReport(input(w, false))));
        // Both ways, every problem once: findings that share a key are one problem.
        expect(new Set(incremental.problems.map((p) => p.key)).size, what).toBe(incremental.problems.length);
        return incremental;
      };
      for (const node of NODES) connect(w, node, r);
      check('start');
      const history: string[] = [];
      for (let i = 0; i < 60; i++) {
        history.push(step(w, r));
        check(history.join(' → '));
        if (i === 20) {
          // One node diverges from the shared class (drops a shared finding), then converges back.
          const node = NODES[seed % NODES.length]!;
          let id = w.connections.get(node);
          if (id === undefined) {
            id = w.store.hello(helloMessage(node, 'pool'), w.now);
            w.connections.set(node, id);
          }
          const all = prng(seed * 31);
          w.store.snapshot(node, id, { ...snapshot(node, all), configHash: 'pool' }, w.now);
          check('before diverging');
          w.store.snapshot(
            node,
            id,
            { ...snapshot(node, prng(seed * 31), new Set(['missing:a'])), configHash: 'pool' },
            w.now,
          );
          const diverged = check('diverged');
          expect(diverged.problems.find((p) => p.key === 'missing:a')?.nodes ?? []).not.toContain(node);
          w.store.snapshot(node, id, { ...snapshot(node, prng(seed * 31)), configHash: 'pool' }, w.now);
          check('converged');
        }
      }
    });
  }

  it('reuses the problems, causes and their order of the last build when nothing changed', () => {
    const r = prng(99);
    const w: World = { store: new NodeStore(), connections: new Map(), now: T0, pods: new Map(), events: [] };
    for (const node of NODES) {
      const id = w.store.hello(helloMessage(node, 'pool'), w.now);
      w.store.snapshot(node, id, snapshot(node, r), w.now);
    }
    const memo = new WeakReportMemo();
    const first = buildReport(input(w, true), memo);
    w.now += 1000;
    const second = buildReport(input(w, true), memo);
    expect(second.problems).toBe(first.problems);
    expect(second.causes).toBe(first.causes);
    expect(second.causes.length).toBeGreaterThan(3);
    // The problems by place too, while the first report holds them: a mirror's list is the same one.
    const withFindings = first.mirrors.findIndex((m) => m.findings.length > 0);
    expect(withFindings).not.toBe(-1);
    expect(second.mirrors[withFindings]!.findings).toBe(first.mirrors[withFindings]!.findings);
  });
});
