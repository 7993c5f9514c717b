// The finding interner is rebuilt from what nodes hold only once it holds much more than they do: a
// cluster that grows (every entry live) never pays for a rebuild, and one whose findings went away
// does not keep them.
import { describe, expect, it } from 'vitest';
import { FindingInterner } from '../../src/collector/finding-interner.js';
import { NodeStore } from '../../src/collector/node-store.js';
import type { SnapshotMessage, WireFinding } from '../../src/protocol/messages.js';
import { finding } from '../support/protocol-agent.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');

function snapshot(findings: WireFinding[]): SnapshotMessage {
  return {
    v: 1,
    type: 'snapshot',
    seq: 1,
    generatedAt: '',
    configHash: 'h',
    files: [],
    findings,
    hosts: [],
    images: [],
    scan: null,
  };
}

describe('finding interner bounds', () => {
  it('needs a rebuild past twice what is held, and past its floors', () => {
    const interner = new FindingInterner({ count: 10, bytes: 1024 * 1024 });
    for (let i = 0; i < 30; i++) interner.intern(finding({ id: 'x', key: `k${i}` }));
    expect(interner.needsPrune({ count: 30, bytes: 30 * 100 })).toBe(false);
    expect(interner.needsPrune({ count: 15, bytes: 30 * 100 })).toBe(false);
    expect(interner.needsPrune({ count: 14, bytes: 30 * 100 })).toBe(true);
    const big = new FindingInterner({ count: 1000, bytes: 10_000 });
    for (let i = 0; i < 30; i++) big.intern(finding({ id: 'x', key: `k${i}`, message: 'm'.repeat(1000) }));
    expect(big.needsPrune({ count: 30, bytes: 30 * 1000 })).toBe(false);
    expect(big.needsPrune({ count: 30, bytes: 10 })).toBe(true);
  });

  it('is not rebuilt while the nodes grow, and is once most of what it holds is gone', () => {
    const store = new NodeStore();
    const connections: number[] = [];
    // 3,000 nodes × 40 findings of their own: 120,000 live entries, past the floor of 100,000.
    for (let n = 0; n < 3000; n++) {
      const node = `n${n}`;
      const c = store.hello(
        {
          v: 1,
          type: 'hello',
          node,
          agentVersion: 't',
          configHash: 'h',
          pod: { name: null, namespace: null },
        },
        NOW,
      );
      connections.push(c);
      const own = Array.from({ length: 40 }, (_, i) => finding({ id: 'x', key: `${node}-${i}` }));
      store.snapshot(node, c, snapshot([finding({ id: 'shared', key: 'shared' }), ...own]), NOW);
    }
    expect(store.internerEpoch).toBe(0);
    for (let n = 0; n < 2900; n++) {
      store.disconnected(`n${n}`, connections[n]!);
      store.forget(`n${n}`);
    }
    store.snapshot('n2999', connections[2999]!, snapshot([finding({ id: 'shared', key: 'shared' })]), NOW);
    expect(store.internerEpoch).toBe(1);
    // What nodes still hold is still the shared copy.
    expect(store.internFinding(finding({ id: 'x', key: 'n2998-3' }))).toBe(
      store.get('n2998')!.findings.find((f) => f.key === 'n2998-3'),
    );
  });
});
