// SortedReuse keeps the order of the last call for the items that stay and merges the new ones in:
// over random sequences of additions and removals it gives exactly what a full sort gives.
import { describe, expect, it } from 'vitest';
import { SortedReuse } from '../../src/core/sorted-reuse.js';
import { prng } from '../support/mutate.js';

interface Item {
  readonly rank: number;
  readonly name: string;
}

const byRankThenName = (a: Item, b: Item): number =>
  a.rank - b.rank || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

describe('SortedReuse', () => {
  it('equals a full sort after every random change, and returns the same list when nothing changed', () => {
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const order = new SortedReuse<Item>();
    let items: Item[] = [];
    let next = 0;
    for (let round = 0; round < 300; round++) {
      // Drop some, add some (a changed item is a new object with the same name).
      items = items.filter(() => random() > 0.1);
      for (let i = Math.floor(random() * 8); i > 0; i--)
        items.push({ rank: Math.floor(random() * 5), name: `item-${next++}` });
      if (random() < 0.2 && items.length > 0) {
        const i = Math.floor(random() * items.length);
        items[i] = { ...items[i]!, rank: items[i]!.rank + 1 };
      }
      if (random() < 0.3) items.reverse();
      const sorted = order.sort(items, byRankThenName);
      expect(sorted).toEqual([...items].sort(byRankThenName));
      expect(order.sort([...items], byRankThenName)).toBe(sorted);
    }
  });

  it('equals a full sort when a few items of a long list go and come at a time (as a delta does)', () => {
    const random = prng(19);
    const order = new SortedReuse<Item>();
    let next = 0;
    const item = (): Item => ({ rank: Math.floor(random() * 3), name: `item-${next++}` });
    let items = Array.from({ length: 5_000 }, item);
    for (let round = 0; round < 60; round++) {
      // One to five go (from anywhere, the first and last too), as many come.
      for (let gone = 1 + Math.floor(random() * 5); gone > 0; gone--) {
        const at =
          round % 7 === 0 ? (gone % 2 === 0 ? 0 : items.length - 1) : Math.floor(random() * items.length);
        items = [...items.slice(0, at), ...items.slice(at + 1)];
      }
      for (let come = Math.floor(random() * 6); come > 0; come--) items.push(item());
      expect(order.sort(items, byRankThenName)).toEqual([...items].sort(byRankThenName));
    }
  });
});
