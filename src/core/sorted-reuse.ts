// Sorting a large list again and again when few of its items change between calls: the items that
// were there keep their order from the previous call, the new ones are sorted and merged in. Items
// are compared by identity (they are immutable objects: a changed item is a new object), and the
// order must be total (no two distinct items compare equal), so the answer is that of a full sort.
import { positionsIn } from './list-alignment.js';

function merge<T>(a: readonly T[], b: readonly T[], compare: (x: T, y: T) => number): T[] {
  const out: T[] = new Array<T>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = compare(a[i]!, b[j]!) <= 0 ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
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

export class SortedReuse<T extends object> {
  private last: readonly T[] = [];
  /** The items of the last call, in the order they came. */
  private lastItems: readonly T[] = [];

  /**
   * `items` (distinct) in `compare` order; the previous answer itself when the items are the same.
   * `sortNew` sorts the new ones in place (in `compare` order: a faster way to the same answer).
   */
  sort(
    items: readonly T[],
    compare: (a: T, b: T) => number,
    sortNew: (added: T[]) => void = (added) => added.sort(compare),
  ): readonly T[] {
    if (this.last.length === 0 && items.length > 0) {
      // Nothing to reuse (the first call): every item is new.
      const all = items.slice();
      sortNew(all);
      this.lastItems = items;
      this.last = all;
      return all;
    }
    // Items come mostly in the order of the last call (or in the order of its answer): what changed
    // is found by walking both lists.
    let { added, removed } = changes(this.lastItems, items);
    if (added.length > items.length / 2) ({ added, removed } = changes(this.last, items));
    this.lastItems = items;
    if (added.length === 0 && removed.size === 0) return this.last;
    const kept = removed.size === 0 ? this.last : this.last.filter((x) => !removed.has(x));
    sortNew(added);
    this.last = kept.length === 0 ? added : added.length === 0 ? kept : merge(kept, added, compare);
    return this.last;
  }
}
