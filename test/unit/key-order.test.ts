import { describe, expect, it } from 'vitest';
import type { NodeFinding } from '../../src/core/findings/types.js';
import { KeyOrder } from '../../src/core/report/key-order.js';
import { WitnessIndex } from '../../src/core/report/witnesses.js';
import { prng } from '../support/mutate.js';

/** A map whose keys are kept in a KeyOrder the way the witness index keeps its own. */
class Indexed {
  readonly map = new Map<string, string>();
  readonly order = new KeyOrder((key) => this.map.get(key));

  set(key: string, value: string): void {
    const known = this.map.has(key);
    this.map.set(key, value);
    if (known) this.order.changed(key);
    else this.order.added(key);
  }

  delete(key: string): void {
    if (this.map.delete(key)) this.order.changed(key);
  }

  walked(): [string, string][] {
    const out: [string, string][] = [];
    this.order.forEach((key, value) => out.push([key, value]));
    return out;
  }

  /** What the walk must give: the map's entries sorted by key with `<`. */
  expected(): [string, string][] {
    return [...this.map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

describe('KeyOrder', () => {
  it('marks the keys of the given sets, by bit, and no other key', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const r = prng(seed);
      const index = new Indexed();
      for (let i = 0; i < 400; i++) index.set(`k${Math.floor(r() * 600)}`, `v${i}`);
      if (seed % 2 === 0) index.walked(); // a merged order, then a batch on top
      for (let i = 0; i < 50; i++) index.set(`k${Math.floor(r() * 900)}`, `w${i}`);
      // Keys in the order and keys that are not, in both sets and in one.
      const sets = [0, 1].map(() => new Set(Array.from({ length: 20 }, () => `k${Math.floor(r() * 1000)}`)));
      const seen: [string, number][] = [];
      index.order.forEach((key, _value, marks) => seen.push([key, marks]), sets);
      expect(seen).toEqual(
        index.expected().map(([key]) => [key, (sets[0]!.has(key) ? 1 : 0) | (sets[1]!.has(key) ? 2 : 0)]),
      );
    }
  });

  it('walks keys in code-unit order whatever order they came in, with their current values', () => {
    const index = new Indexed();
    for (const key of ['own-node-2-1', 'own-node-10-0', 'Zeta', 'alpha', 'own-node-2-10', 'é', 'a'])
      index.set(key, `v-${key}`);
    index.set('alpha', 'changed');
    expect(index.walked()).toEqual(index.expected());
    expect(index.walked().map(([k]) => k)).toEqual([
      'Zeta',
      'a',
      'alpha',
      'own-node-10-0',
      'own-node-2-1',
      'own-node-2-10',
      'é',
    ]);
    expect(index.walked()[2]).toEqual(['alpha', 'changed']);
  });

  it('drops keys that went, and takes them back with their new value', () => {
    const index = new Indexed();
    for (let i = 0; i < 10; i++) index.set(`k${i}`, `a${i}`);
    index.walked();
    index.delete('k3');
    index.delete('k7');
    expect(index.walked().map(([k]) => k)).toEqual(['k0', 'k1', 'k2', 'k4', 'k5', 'k6', 'k8', 'k9']);
    index.set('k3', 'back');
    index.delete('k4');
    index.set('k4', 'back again');
    expect(index.walked()).toEqual(index.expected());
    // Gone before any walk saw it.
    index.set('new', 'x');
    index.delete('new');
    expect(index.walked()).toEqual(index.expected());
  });

  it('agrees with a sorted map over random adds, changes and deletes across many merges', () => {
    const random = prng(7);
    const index = new Indexed();
    for (let step = 0; step < 60_000; step++) {
      const key = `key-${Math.floor(random() * 20_000)}`;
      const r = random();
      if (r < 0.7) index.set(key, `v${step}`);
      else index.delete(key);
      if (step % 9_973 === 0) expect(index.walked()).toEqual(index.expected());
    }
    expect(index.map.size).toBeGreaterThan(10_000);
    expect(index.walked()).toEqual(index.expected());
  });
});

describe('WitnessIndex visit order', () => {
  const finding = (key: string): NodeFinding => ({
    key,
    id: 'config-unknown-key',
    severity: 'info',
    message: `finding ${key}`,
    file: null,
    line: null,
    scope: null,
    fix: 'none',
    image: null,
    host: null,
  });
  const visited = (arrivals: readonly number[]): string[] => {
    const index = new WitnessIndex();
    for (const n of arrivals)
      index.replace(`node-${n}`, [], [finding(`own-node-${n}-1`), finding(`own-node-${n}-10`)]);
    const keys: string[] = [];
    index.forEach((f) => keys.push(f.key));
    return keys;
  };

  it('visits one-node findings in key order, whatever order the nodes came in', () => {
    const byName = visited([1, 2, 3, 10, 20]);
    expect(byName).toEqual([...byName].sort());
    expect(visited([20, 3, 10, 1, 2])).toEqual(byName);
  });
});
