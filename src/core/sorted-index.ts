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
