// Sorting a large list again and again when few of its items change between calls: the items that
// were there keep their order from the previous call, the new ones are sorted and merged in. Items
// are compared by identity (they are immutable objects: a changed item is a new object), and the
// order must be total (no two distinct items compare equal), so the answer is that of a full sort.
import { positionsIn, sameItems } from './list-alignment.js';
import { gallop } from './sorted-index.js';

/**
 * `a` and `b` (each in `compare` order) as one list. Each item of `b` finds its place in `a` by
 * galloping from the last one's: a few new items among 300,000 cost a few comparisons each, not a
 * comparison with every item of `a` (each a read of an object somewhere on the heap).
 */
function merge<T>(a: readonly T[], b: readonly T[], compare: (x: T, y: T) => number): T[] {
  const out: T[] = new Array<T>(a.length + b.length);
  let i = 0;
  let k = 0;
  for (let j = 0; j < b.length; j++) {
    const item = b[j]!;
    const end = gallop(a, i, (x) => compare(x, item) <= 0);
    while (i < end) out[k++] = a[i++]!;
    out[k++] = item;
  }
  while (i < a.length) out[k++] = a[i++]!;
  return out;
}

/**
 * What changed between two lists of distinct items that mostly keep their relative order (an item
 * that moved is both: gone from its old place, new at its new one, which describes the same set).
 */
function changes<T>(previous: readonly T[], items: readonly T[]): { added: T[]; removed: Set<T> } {
  const from = positionsIn(previous, items);
  const added: T[] = [];
  const kept = new Uint8Array(previous.length);
  for (let i = 0; i < items.length; i++) {
    const at = from[i]!;
    if (at === -1) added.push(items[i]!);
    else kept[at] = 1;
  }
  const removed = new Set<T>();
  for (let j = 0; j < previous.length; j++) if (kept[j] === 0) removed.add(previous[j]!);
  return { added, removed };
}

/**
 * `sorted` (in `compare` order) without the items of `removed` (all of them in it). A few (a delta's)
 * are found by galloping, in order, from the last one's place, as `merge` places new items: asking
 * the set about each of 300,000 items would read every one of them, scattered over the heap, for the
 * identity hash the set looks them up by.
 */
function without<T>(sorted: readonly T[], removed: ReadonlySet<T>, compare: (x: T, y: T) => number): T[] {
  if (removed.size > sorted.length >> 6) return sorted.filter((x) => !removed.has(x));
  const out = new Array<T>(sorted.length - removed.size);
  let i = 0;
  let k = 0;
  for (const item of [...removed].sort(compare)) {
    const at = gallop(sorted, i, (x) => compare(x, item) < 0);
    // The order is total, so the place is the item's own; were it not, the long way is still right.
    if (sorted[at] !== item) return sorted.filter((x) => !removed.has(x));
    while (i < at) out[k++] = sorted[i++]!;
    i++;
  }
  while (i < sorted.length) out[k++] = sorted[i++]!;
  return out;
}

export class SortedReuse<T extends object> {
  private last: readonly T[] = [];
  /** The items of the last call, in the order they came. */
  private lastItems: readonly T[] = [];

  /**
   * `items` (distinct) in `compare` order; the previous answer itself when the items are the same.
   * `sorted` gives new items as a new list in `compare` order (a faster way to the same answer).
   */
  sort(
    items: readonly T[],
    compare: (a: T, b: T) => number,
    sorted: (added: readonly T[]) => T[] = (added) => added.slice().sort(compare),
  ): readonly T[] {
    if (this.last.length === 0 && items.length > 0) {
      // Nothing to reuse (the first call): every item is new.
      const all = sorted(items);
      this.lastItems = items;
      this.last = all;
      return all;
    }
    // The same items in the same order (a rebuild where nothing changed): the last answer, found by
    // comparing references side by side rather than by lining the lists up.
    if (sameItems(this.lastItems, items)) {
      this.lastItems = items;
      return this.last;
    }
    // Items come mostly in the order of the last call (or in the order of its answer): what changed
    // is found by walking both lists.
    let { added, removed } = changes(this.lastItems, items);
    if (added.length > items.length / 2) ({ added, removed } = changes(this.last, items));
    this.lastItems = items;
    if (added.length === 0 && removed.size === 0) return this.last;
    const kept = removed.size === 0 ? this.last : without(this.last, removed, compare);
    if (added.length > 1) added = sorted(added);
    this.last = kept.length === 0 ? added : added.length === 0 ? kept : merge(kept, added, compare);
    return this.last;
  }
}
