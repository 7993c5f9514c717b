import { describe, expect, it } from 'vitest';
import { positionsIn } from '../../src/core/list-alignment.js';
import { prng } from '../support/mutate.js';

const items = (from: number, to: number, prefix = 'k'): string[] =>
  Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

/** The invariants any answer keeps: a found item is the same one, and found places only increase. */
function checkSound(previous: readonly string[], list: readonly string[], from: Int32Array): void {
  let last = -1;
  const wrong: number[] = [];
  list.forEach((item, i) => {
    const at = from[i]!;
    if (at === -1) return;
    if (previous[at] !== item || at <= last) wrong.push(i);
    last = at;
  });
  expect(wrong).toEqual([]);
}

const newOnes = (from: Int32Array): number => from.filter((at) => at === -1).length;

describe('positionsIn', () => {
  it('finds every kept item across a run of 200 new ones in the middle (a one-step look-ahead lost them all)', () => {
    const previous = items(0, 10_000);
    const list = [...items(0, 5_000), ...items(0, 200, 'new'), ...items(5_000, 10_000)];
    const from = positionsIn(previous, list);
    checkSound(previous, list, from);
    expect(newOnes(from)).toBe(200);
  });

  it('finds every kept item across a run of 200 gone ones, and across 50 new ones side by side', () => {
    const previous = items(0, 10_000);
    const gone = [...items(0, 5_000), ...items(5_200, 10_000)];
    expect(newOnes(positionsIn(previous, gone))).toBe(0);
    const list = [...items(0, 100), ...items(0, 50, 'new'), ...items(100, 10_000)];
    expect(newOnes(positionsIn(previous, list))).toBe(50);
  });

  it('takes an item in place of another as a replacement, and new items at the end as new', () => {
    const previous = items(0, 1_000);
    const replaced = [...previous];
    replaced[400] = 'other';
    const from = positionsIn(previous, replaced);
    expect(newOnes(from)).toBe(1);
    expect(from[401]).toBe(401);
    expect(newOnes(positionsIn(previous, [...previous, ...items(0, 500, 'new')]))).toBe(500);
    expect(newOnes(positionsIn([], previous))).toBe(1_000);
  });

  it('stays sound over random edits, and keeps nearly every item that stayed', () => {
    const random = prng(5);
    let previous = items(0, 20_000);
    for (let round = 0; round < 8; round++) {
      const list: string[] = [];
      for (const item of previous) {
        const r = random();
        if (r < 0.01) continue;
        if (r < 0.012)
          for (let n = Math.floor(random() * 300); n > 0; n--) list.push(`r${round}-${list.length}-${n}`);
        list.push(item);
      }
      const from = positionsIn(previous, list);
      checkSound(previous, list, from);
      const kept = new Set(previous);
      const stayed = list.filter((item) => kept.has(item)).length;
      expect(from.filter((at) => at !== -1).length).toBeGreaterThan(stayed * 0.99);
      previous = list;
    }
  });
});
