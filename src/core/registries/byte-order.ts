/**
 * Go's string order: byte-wise over UTF-8, which differs from JavaScript's UTF-16 order. UTF-8 byte
 * order is code point order, so this compares in place (encoding both strings for every comparison
 * made sorting a large registries.conf allocation-bound). In well-formed UTF-16 the first differing
 * units decide, except that a surrogate (half of a code point above U+FFFF) sorts after every other
 * unit. Text decoded from UTF-8 has no lone surrogates.
 */
export function compareBytes(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

const rank = (unit: number): number => (unit >= 0xd800 && unit <= 0xdfff ? unit + 0x10000 : unit);
