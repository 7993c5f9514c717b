const encoder = new TextEncoder();

/** Go's string order: byte-wise over UTF-8, which differs from JavaScript's UTF-16 order. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(encoder.encode(a), encoder.encode(b));
}
