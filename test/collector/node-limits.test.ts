// The node store's per-node limits: they hold across snapshots, deltas and reconnects, keep the most
// severe findings, and say that they cut with an `agent-limit-exceeded` finding on the node.
import { describe, expect, it } from 'vitest';
import { NodeStore } from '../../src/collector/node-store.js';
import { NODE_LIMITS } from '../../src/collector/node-limits.js';
import type { DeltaMessage, SnapshotMessage, WireFinding } from '../../src/protocol/messages.js';
import { finding } from '../support/protocol-agent.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');

function hello(store: NodeStore, node: string): number {
  return store.hello(
    { v: 1, type: 'hello', node, agentVersion: 't', configHash: 'h', pod: { name: null, namespace: null } },
    NOW,
  );
}

function snapshot(parts: Partial<SnapshotMessage>): SnapshotMessage {
  return {
    v: 1,
    type: 'snapshot',
    seq: 1,
    generatedAt: '',
    configHash: 'h',
    files: [],
    findings: [],
    hosts: [],
    images: [],
    scan: null,
    ...parts,
  };
}

function delta(added: WireFinding[], cleared: string[] = []): DeltaMessage {
  return { v: 1, type: 'delta', seq: 2, configHash: 'h', added, cleared, hosts: [], images: [] };
}

const many = (n: number, prefix: string, severity: WireFinding['severity'] = 'info'): WireFinding[] =>
  Array.from({ length: n }, (_, i) => finding({ id: 'x', key: `${prefix}-${i}`, severity }));

const limitKeys = (store: NodeStore, node: string): string[] =>
  store
    .get(node)!
    .findings.filter((f) => f.id === 'agent-limit-exceeded')
    .map((f) => f.key);

describe('per-node limits in the node store', () => {
  it('keeps at most the finding limit across reconnects and deltas, and says so once', () => {
    const store = new NodeStore();
    // The attack of issue 13: reconnect, then many deltas of new findings, twenty times over.
    for (let round = 0; round < 20; round++) {
      const c = hello(store, 'n');
      for (let d = 0; d < 10; d++) store.delta('n', c, delta(many(100, `r${round}-d${d}`)), NOW);
    }
    const findings = store.get('n')!.findings;
    expect(findings.filter((f) => f.id !== 'agent-limit-exceeded')).toHaveLength(NODE_LIMITS.findings);
    expect(limitKeys(store, 'n')).toEqual(['agent-limit-exceeded:findings']);
    expect(store.witnesses.entries().size).toBe(NODE_LIMITS.findings + 1);
  });

  it('keeps errors first when a snapshot is cut, and clears the limit finding when the next one fits', () => {
    const store = new NodeStore();
    const c = hello(store, 'n');
    store.snapshot(
      'n',
      c,
      snapshot({ findings: [...many(NODE_LIMITS.findings, 'info'), ...many(10, 'err', 'error')] }),
      NOW,
    );
    const kept = store.get('n')!.findings;
    expect(kept.filter((f) => f.severity === 'error' && f.id === 'x')).toHaveLength(10);
    expect(limitKeys(store, 'n')).toEqual(['agent-limit-exceeded:findings']);
    store.snapshot('n', c, snapshot({ findings: many(3, 'ok') }), NOW);
    expect(store.get('n')!.findings.map((f) => f.key)).toEqual(['ok-0', 'ok-1', 'ok-2']);
    expect([...store.witnesses.entries().keys()].map((f) => f.key).sort()).toEqual(['ok-0', 'ok-1', 'ok-2']);
  });

  it('bounds the bytes kept for a node, whatever the count', () => {
    const store = new NodeStore();
    const c = hello(store, 'n');
    const big = (key: string) =>
      finding({ id: 'x', key, message: 'm'.repeat(16_000), fix: 'f'.repeat(16_000) });
    for (let d = 0; d < 40; d++)
      store.delta('n', c, delta(Array.from({ length: 10 }, (_, i) => big(`b${d}-${i}`))), NOW);
    const kept = store.get('n')!.findings.filter((f) => f.id === 'x');
    const bytes = kept.reduce((sum, f) => sum + f.message.length + f.fix.length, 0);
    expect(bytes).toBeLessThanOrEqual(NODE_LIMITS.bytes);
    expect(kept.length).toBeLessThan(400);
    expect(limitKeys(store, 'n')).toEqual(['agent-limit-exceeded:bytes']);
  });

  it('bounds hosts and images merged by deltas', () => {
    const store = new NodeStore();
    const c = hello(store, 'n');
    for (let d = 0; d < 3; d++)
      store.delta(
        'n',
        c,
        {
          ...delta([]),
          hosts: Array.from({ length: 600 }, (_, i) => ({
            host: `h${d}-${i}.example:5000`,
            reachable: true,
            outcome: 'found',
            latencyMs: 1,
            probedAt: '',
          })),
          images: Array.from({ length: 1000 }, (_, i) => ({
            image: `quay.example/i${d}-${i}:1`,
            pullable: true,
            source: null,
            digest: null,
            findingKeys: [],
          })),
        },
        NOW,
      );
    const state = store.get('n')!;
    expect(state.hosts).toHaveLength(NODE_LIMITS.hosts);
    expect(state.images).toHaveLength(NODE_LIMITS.images);
    // The first hosts reported are the ones kept.
    expect(state.hosts[0]!.host).toBe('h0-0.example:5000');
    expect(limitKeys(store, 'n')).toEqual(['agent-limit-exceeded:hosts', 'agent-limit-exceeded:images']);
  });

  it('makes every node that hits a limit a witness of one problem', () => {
    const store = new NodeStore();
    for (const node of ['a', 'b']) {
      const c = hello(store, node);
      store.snapshot(node, c, snapshot({ findings: many(NODE_LIMITS.findings + 1, node) }), NOW);
    }
    const problem = [...store.witnesses.entries()].find(([f]) => f.id === 'agent-limit-exceeded');
    expect([...problem![1].nodes].sort()).toEqual(['a', 'b']);
  });
});
