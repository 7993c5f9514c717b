// containers/image's own `FindRegistry` loop, as the reference the index is checked against.
import { compareBytes } from '../../src/core/registries/byte-order.js';
import { refMatchingPrefix } from '../../src/core/registries/prefix-match.js';

/** Every entry in sorted order; the longest matching prefix wins (the first of equal length). */
export function scanFindRegistry<T extends { readonly prefix: string }>(
  registries: readonly T[],
  name: string,
): T | undefined {
  let best: T | undefined;
  for (const r of [...registries].sort((a, b) => compareBytes(a.prefix, b.prefix))) {
    if (
      refMatchingPrefix(name, r.prefix) !== -1 &&
      (best === undefined || r.prefix.length > best.prefix.length)
    )
      best = r;
  }
  return best;
}
