// The plain `[[registry]]` prefixes, looked up by every prefix of a name that ends at a boundary
// (`/`, `:`, `@`) or at the end, longest first.
//
// Why not a Map: a lookup that misses still compares the probe with the keys of its bucket, reading
// strings scattered over the heap; with thousands of entries that is a cache miss per key. Here the
// hashes sit in one typed array, so a miss reads one slot, and a key is read only when its hash matches.
// The hashes of all the name's boundary prefixes come from one pass over the name.

interface Prefixed {
  readonly prefix: string;
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** A stored hash is never 0: 0 marks an empty slot. */
function slotHash(hash: number): number {
  return hash === 0 ? 1 : hash;
}

function hashOf(text: string): number {
  let hash = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME);
  return slotHash(hash);
}

function isBoundary(c: number): boolean {
  return c === 0x2f || c === 0x3a || c === 0x40;
}

// Reused by every lookup: the lengths and hashes of the name's boundary prefixes.
let boundaryLengths = new Int32Array(64);
let boundaryHashes = new Int32Array(64);

/**
 * The same text in a string of its own. A prefix read from a file is a slice of the file's text:
 * comparing with it would read the file wherever the slice points.
 */
function ownCopy(text: string): string {
  return Array.from(text).join('');
}

export class PrefixTable<T extends Prefixed> {
  private readonly hashes: Int32Array;
  private readonly keys: (string | undefined)[];
  private readonly values: (T | undefined)[];
  private readonly mask: number;

  /** A later entry with the same prefix replaces an earlier one. */
  constructor(entries: readonly T[]) {
    let size = 8;
    while (size < entries.length * 2) size *= 2;
    this.hashes = new Int32Array(size);
    this.keys = new Array<string | undefined>(size).fill(undefined);
    this.values = new Array<T | undefined>(size).fill(undefined);
    this.mask = size - 1;
    for (const entry of entries) this.insert(entry);
  }

  private insert(entry: T): void {
    const hash = hashOf(entry.prefix);
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const key = this.keys[slot];
      if (key === undefined || key === entry.prefix) {
        this.hashes[slot] = hash;
        this.keys[slot] = ownCopy(entry.prefix);
        this.values[slot] = entry;
        return;
      }
    }
  }

  private lookup(name: string, length: number, hash: number): T | undefined {
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const stored = this.hashes[slot]!;
      if (stored === 0) return undefined;
      if (stored !== hash) continue;
      const key = this.keys[slot]!;
      if (key.length === length && name.startsWith(key)) return this.values[slot];
    }
  }

  /** The entry with the longest prefix `name` starts with, up to a boundary or its end. */
  longestMatch(name: string): T | undefined {
    if (boundaryLengths.length <= name.length) {
      boundaryLengths = new Int32Array(name.length + 1);
      boundaryHashes = new Int32Array(name.length + 1);
    }
    let count = 0;
    let hash = FNV_OFFSET;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (i > 0 && isBoundary(c)) {
        boundaryLengths[count] = i;
        boundaryHashes[count++] = slotHash(hash);
      }
      hash = Math.imul(hash ^ c, FNV_PRIME);
    }
    const whole = this.lookup(name, name.length, slotHash(hash));
    if (whole !== undefined) return whole;
    for (let k = count - 1; k >= 0; k--) {
      const found = this.lookup(name, boundaryLengths[k]!, boundaryHashes[k]!);
      if (found !== undefined) return found;
    }
    return undefined;
  }
}
