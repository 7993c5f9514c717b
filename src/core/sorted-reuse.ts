// Sorting a large list again and again when few of its items change between calls: the items that
// were there keep their order from the previous call, the new ones are sorted and merged in. Items
// are compared by identity (they are immutable objects: a changed item is a new object), and the
// order must be total (no two distinct items compare equal), so the answer is that of a full sort.

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

export class SortedReuse<T extends object> {
  private last: readonly T[] = [];
  /** The items of the last call, in the order they came. */
  private lastItems: readonly T[] = [];

  /** `items` (distinct) in `compare` order; the previous answer itself when the items are the same. */
  sort(items: readonly T[], compare: (a: T, b: T) => number): readonly T[] {
    const previous = this.lastItems;
    this.lastItems = items;
    // Usually the same items come in the same order: a pass of comparisons, no hashing.
    if (items.length === previous.length && items.every((x, i) => x === previous[i])) return this.last;
    // Two passes: what is left of `current` once the kept items are taken out is what is new.
    const current = new Set(items);
    const kept = this.last.filter((x) => current.delete(x));
    let result: readonly T[];
    if (current.size === 0) result = kept.length === this.last.length ? this.last : kept;
    else {
      const added = [...current].sort(compare);
      result = kept.length === 0 ? added : merge(kept, added, compare);
    }
    this.last = result;
    return result;
  }
}
