// The Bloom filter a collector's `welcome` may carry: the finding digests it holds for the agent's
// configuration hash, so the agent sends inline, with its snapshot, the bodies the filter lacks
// instead of waiting for a findings-request. A digest is already a SHA-256, so the filter's bit
// positions are taken straight from its bits, no further hashing: position i is the i-th run of
// log2(m) bits of the digest (big-endian, as base64url spells the hash's bytes), and bit p of the
// filter is bit p % 8 (least significant first) of byte p >> 3. Both ends use this module.
//
// Sizing: the collector gives each digest 20 to 40 bits (m a power of two, at least 256), with
// k = m/n·ln 2 positions (1 to 16, and k·log2(m) ≤ 256). The false-positive rate, (1 − e^(−kn/m))^k,
// is then expected at most 0.007 % per digest the collector does not hold (at 20 bits: k = 14;
// measured with 100,000 probes a size, at most 0.011 %: test/unit/finding-filter.test.ts), so a node
// with 20 findings of its own has about a 0.14 % chance that one of them costs a findings-request.
// A false positive costs only that round trip; a false negative (a stale filter) only an inline
// body the collector already held.

/** A filter as it travels: `bits` base64url (m/8 bytes), `hashes` the positions per digest (k). */
export interface WireFindingFilter {
  readonly hashes: number;
  readonly bits: string;
}

/** The most a filter may weigh: 2^17 bits (16 KiB, 21,846 characters of base64url): 6,553 digests at 20 bits. */
export const MAX_FILTER_BITS = 1 << 17;
const MIN_FILTER_BITS = 256;
/** Bits per digest the collector gives a filter (before rounding m up to a power of two). */
const BITS_PER_DIGEST = 20;
const MAX_HASHES = 16;
/** A SHA-256 digest's usable bits (base64url's 43rd character holds only 4 of them). */
const DIGEST_BITS = 256;

const DIGIT = new Int8Array(128).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].entries())
  DIGIT[c.charCodeAt(0)] = i;

/** Most positions a filter of `m` bits may take from one digest. */
function maxHashes(log2m: number): number {
  return Math.min(MAX_HASHES, Math.floor(DIGEST_BITS / log2m));
}

export class FindingFilter {
  private readonly log2m: number;

  private constructor(
    private readonly bytes: Uint8Array,
    readonly hashes: number,
  ) {
    this.log2m = Math.log2(bytes.length * 8);
  }

  /** A filter sized for `digests` (base64url SHA-256 digests, as the collector holds them). */
  static of(digests: readonly string[]): FindingFilter {
    const n = digests.length;
    let m = MIN_FILTER_BITS;
    while (m < n * BITS_PER_DIGEST && m < MAX_FILTER_BITS) m *= 2;
    const log2m = Math.log2(m);
    const k = n === 0 ? 1 : Math.max(1, Math.min(maxHashes(log2m), Math.round((m / n) * Math.LN2)));
    const filter = new FindingFilter(new Uint8Array(m / 8), k);
    for (const d of digests) filter.add(d);
    return filter;
  }

  /**
   * The filter a welcome carries; throws a RangeError when it is not one (the caller words the
   * protocol error): m a power of two between 64 and MAX_FILTER_BITS, k within its bounds.
   */
  static fromWire(wire: WireFindingFilter): FindingFilter {
    const { bits, hashes } = wire;
    if (!/^[A-Za-z0-9_-]*$/.test(bits)) throw new RangeError('bits are not base64url');
    const bytes = Buffer.from(bits, 'base64url');
    const m = bytes.length * 8;
    if (
      m < MIN_FILTER_BITS ||
      m > MAX_FILTER_BITS ||
      (m & (m - 1)) !== 0 ||
      bits.length !== Math.ceil((m / 8) * (4 / 3))
    )
      throw new RangeError(`bits must be a power of two from ${MIN_FILTER_BITS} to ${MAX_FILTER_BITS}`);
    if (!Number.isInteger(hashes) || hashes < 1 || hashes > maxHashes(Math.log2(m)))
      throw new RangeError(`hashes must be an integer from 1 to ${maxHashes(Math.log2(m))}`);
    return new FindingFilter(new Uint8Array(bytes), hashes);
  }

  toWire(): WireFindingFilter {
    return { hashes: this.hashes, bits: Buffer.from(this.bytes).toString('base64url') };
  }

  /** Bits of the filter (m). */
  get size(): number {
    return this.bytes.length * 8;
  }

  add(digest: string): void {
    this.visit(digest, true);
  }

  /** Whether the filter may hold `digest` (false: it surely does not). Not a digest: false. */
  has(digest: string): boolean {
    return this.visit(digest, false);
  }

  /** Walks the digest's positions, setting (`set`) or testing each; false when one is clear. */
  private visit(digest: string, set: boolean): boolean {
    if (digest.length !== 43) return false;
    const b = this.log2m;
    const mask = (1 << b) - 1;
    let acc = 0;
    let accBits = 0;
    let c = 0;
    for (let i = 0; i < this.hashes; i++) {
      while (accBits < b) {
        const code = digest.charCodeAt(c++);
        const v = code < 128 ? DIGIT[code]! : -1;
        if (v < 0) return false;
        acc = ((acc << 6) | v) & 0x3ffffff;
        accBits += 6;
      }
      accBits -= b;
      const p = (acc >>> accBits) & mask;
      const bit = 1 << (p & 7);
      if (set) this.bytes[p >> 3]! |= bit;
      else if ((this.bytes[p >> 3]! & bit) === 0) return false;
    }
    return true;
  }
}
