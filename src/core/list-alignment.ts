// Where each item of a list was in the previous one, for lists of distinct items that mostly keep
// their relative order between calls (a report's problems, build after build): one walk side by
// side, looking a little ahead on either side where they do not line up. New items often come in
// runs (the witness index lists problems in key order: 50 nodes' new findings of one kind sit side
// by side), which a walk that looked one step ahead took for a shift of the whole list: every item
// after the run then counted as moved. Where neither side's look-ahead places an item twice in a
// row, the previous list's positions are looked up instead (a map, made at most once per call).

/** How far the walk looks ahead on either side. */
const WINDOW = 64;

/** Where `value` is in `list` from `from` on, within the window; -1 when not there. */
function near<T>(list: readonly T[], value: T, from: number): number {
  for (let k = from, end = Math.min(list.length, from + WINDOW); k < end; k++)
    if (list[k] === value) return k;
  return -1;
}

/**
 * For each item of `items`, its index in `previous`, or -1 when it is new there. An item found
 * before the place the walk has reached (it moved back) counts as new, and its old place as gone:
 * the same set, described as a removal and an addition.
 */
export function positionsIn<T>(previous: readonly T[], items: readonly T[]): Int32Array {
  const from = new Int32Array(items.length);
  if (previous.length === 0) return from.fill(-1);
  let byItem: Map<T, number> | null = null;
  let j = 0;
  /** Its place, found by the map, when it is at or after the walk's: else -1 (new, or moved back). */
  const lookUp = (x: T): number => {
    byItem ??= new Map(previous.map((item, at) => [item, at]));
    const at = byItem.get(x);
    if (at === undefined || at < j) return -1;
    j = at + 1;
    return at;
  };
  let unplaced = 0;
  /** Where the walk was when it last took an item for a replacement. */
  let replaced = 0;
  for (let i = 0; i < items.length; i++) {
    const x = items[i]!;
    // Past the previous list's end, all is new (what was before is matched or gone).
    if (j === previous.length) {
      from[i] = -1;
      continue;
    }
    if (previous[j] === x) {
      from[i] = j++;
      unplaced = 0;
      continue;
    }
    // New here: the previous list's next item comes a little later.
    if (near(items, previous[j]!, i + 1) !== -1) {
      from[i] = -1;
      unplaced = 0;
      continue;
    }
    // The previous items before it are gone.
    const k = near(previous, x, j + 1);
    if (k !== -1) {
      from[i] = k;
      j = k + 1;
      unplaced = 0;
      continue;
    }
    // Once: it replaces the previous list's next item.
    if (++unplaced === 1) {
      from[i] = -1;
      replaced = j++;
      continue;
    }
    // Twice in a row: a run of new items, or of gone ones, longer than the look-ahead. The one
    // taken for a replacement is looked up again, from where the walk was then.
    if (unplaced === 2) {
      j = replaced;
      from[i - 1] = lookUp(items[i - 1]!);
    }
    from[i] = lookUp(x);
  }
  return from;
}

/** The same items (by identity) in the same places. */
export function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
