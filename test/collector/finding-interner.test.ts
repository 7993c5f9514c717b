// The finding interner keeps one shared copy per finding: the classes' findings and those on their
// way in in its table, a node's own findings where the witness index has them. It is rebuilt only
// once its table holds much more than the classes do: a cluster that grows never pays for a
// rebuild, and one whose findings went away does not keep them.
import { describe, expect, it } from 'vitest';
import { FindingInterner } from '../../src/collector/finding-interner.js';
import { NodeStore } from '../../src/collector/node-store.js';
import { finding, helloMessage, snapshotMessage as snapshot } from '../support/protocol-agent.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');

describe('finding interner bounds', () => {
  it('needs a rebuild past twice what is held, and past its floors', () => {
    const interner = new FindingInterner(undefined, { count: 10, bytes: 1024 * 1024 });
    for (let i = 0; i < 30; i++) interner.intern(finding({ id: 'x', key: `k${i}` }));
    expect(interner.needsPrune({ count: 30, bytes: 30 * 100 })).toBe(false);
    expect(interner.needsPrune({ count: 15, bytes: 30 * 100 })).toBe(false);
    expect(interner.needsPrune({ count: 14, bytes: 30 * 100 })).toBe(true);
    const big = new FindingInterner(undefined, { count: 1000, bytes: 10_000 });
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
      const c = store.hello(helloMessage(node), NOW);
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

  it('hands out one copy of a finding, held by one node, by several, by none, and again', () => {
    const store = new NodeStore();
    const hello = (node: string): number => store.hello(helloMessage(node), NOW);
    const shared = () => finding({ id: 'shared', key: 'shared' });
    const own = () => finding({ id: 'x', key: 'k', message: 'about a1' });
    const a1 = hello('a1');
    const a2 = hello('a2');
    store.snapshot('a1', a1, snapshot([shared()]), NOW);
    store.snapshot('a2', a2, snapshot([shared()]), NOW);
    // On its way in (a body interned before its snapshot applies), then held by a1 alone.
    const first = store.internFinding(own());
    store.snapshot('a1', a1, snapshot([shared(), own()]), NOW);
    const held = store.get('a1')!.extraFindings![0]!;
    expect(held).toBe(first);
    expect(store.internFinding(own())).toBe(held);
    // The same finding from a2 is the same object, and one problem of two nodes.
    store.snapshot('a2', a2, snapshot([shared(), own()]), NOW);
    expect(store.get('a2')!.extraFindings![0]).toBe(held);
    expect([...store.witnesses.entries()].find(([f]) => f.key === 'k')![1].nodes).toEqual(
      new Set(['a1', 'a2']),
    );
    // Both let it go: still the shared copy (a digest table may hold it) until a rebuild.
    store.snapshot('a1', a1, snapshot([shared()]), NOW);
    store.snapshot('a2', a2, snapshot([shared()]), NOW);
    expect(store.internFinding(own())).toBe(held);
    store.snapshot('a2', a2, snapshot([shared(), own()]), NOW);
    expect(store.get('a2')!.extraFindings![0]).toBe(held);
    // Another wording under the key is another finding.
    const other = store.internFinding(finding({ id: 'x', key: 'k', message: 'about a2' }));
    expect(other).not.toBe(held);
    expect(other.message).toBe('about a2');
    expect(store.internerEpoch).toBe(0);
  });
});
