/** Where `value` is in `sortedValues` (sorted by `<`), by binary search; -1 when it is not there. */
export function indexInSorted(sortedValues: readonly string[], value: string): number {
  let lo = 0;
  let hi = sortedValues.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sortedValues[mid]!;
    if (v === value) return mid;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * The first index from `from` on whose item is not `before` a place (`before` holds for the items
 * of a sorted list up to that place and for none after it), galloping: a few comparisons when the
 * place is near `from`, a binary search's when it is far.
 */
export function gallop<T>(list: readonly T[], from: number, before: (item: T) => boolean): number {
  if (from >= list.length || !before(list[from]!)) return from;
  // list[lo] is before the place; the place is in (lo, hi].
  let lo = from;
  let step = 1;
  let hi = from + 1;
  while (hi < list.length && before(list[hi]!)) {
    lo = hi;
    step *= 2;
    hi = from + step;
  }
  hi = Math.min(hi, list.length);
  while (lo + 1 < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(list[mid]!)) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** `items` in `order` (the index of each, place by place), as a new list. */
export function inOrder<T>(items: readonly T[], order: ArrayLike<number>): T[] {
  const out = new Array<T>(order.length);
  for (let k = 0; k < order.length; k++) out[k] = items[order[k]!]!;
  return out;
}
