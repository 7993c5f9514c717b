// The plain `[[registry]]` prefixes, looked up by every prefix of a name that ends at a boundary
// (`/`, `:`, `@`) or at the end, longest first.
//
// Why not a Map: with thousands of entries, every object a lookup reads is a cache and TLB miss of its
// own (a key string here, an entry there, scattered over a heap of tens of MiB). Here a slot is four
// numbers in one typed array (hash, where its key starts in one shared text, its length, the entry's
// position), and every key sits in that one text: a lookup reads one slot per probed prefix and the
// few characters of the key it matches, all in two compact blocks, whatever the number of entries.
// The hashes of all the name's boundary prefixes come from one pass over the name, and only prefixes
// of a length some key has are probed (a name is hashed no further than the longest key).

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

// A slot's four numbers: its hash (0: empty), where its key starts in the key text, its length, its position.
const HASH = 0;
const KEY_START = 1;
const KEY_LENGTH = 2;
const POSITION = 3;
const SLOT = 4;

// Reused by every lookup: the lengths and hashes of the name's boundary prefixes.
let boundaryLengths = new Int32Array(64);
let boundaryHashes = new Int32Array(64);

/** Positions (indexes into the list it was built from) of prefixes. */
export class PrefixTable {
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** Every key, end to end: one flat string of its own, not slices of the file it came from. */
  private readonly keyText: string;
  /** `keyLengths[n]` is 1 when some key is `n` characters long. */
  private readonly keyLengths: Uint8Array;

  /** `prefixes[i]` gets position `i` (null: none); a later equal prefix replaces an earlier one. */
  constructor(prefixes: readonly (string | null)[]) {
    let size = 8;
    while (size < prefixes.length * 2) size *= 2;
    this.slots = new Int32Array(size * SLOT);
    this.mask = size - 1;
    const starts = new Map<string, number>();
    let length = 0;
    for (const prefix of prefixes) {
      if (prefix === null || starts.has(prefix)) continue;
      starts.set(prefix, length);
      length += prefix.length;
    }
    this.keyText = Array.from(starts.keys()).join('');
    let longest = 0;
    for (const key of starts.keys()) longest = Math.max(longest, key.length);
    this.keyLengths = new Uint8Array(longest + 1);
    for (const key of starts.keys()) this.keyLengths[key.length] = 1;
    prefixes.forEach((prefix, position) => {
      if (prefix !== null) this.insert(prefix, starts.get(prefix)!, position);
    });
  }

  private insert(prefix: string, keyStart: number, position: number): void {
    const hash = hashOf(prefix);
    const slots = this.slots;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const at = slot * SLOT;
      if (slots[at + HASH] === 0 || (slots[at + HASH] === hash && this.keyAt(at) === prefix)) {
        slots[at + HASH] = hash;
        slots[at + KEY_START] = keyStart;
        slots[at + KEY_LENGTH] = prefix.length;
        slots[at + POSITION] = position;
        return;
      }
    }
  }

  private keyAt(at: number): string {
    const start = this.slots[at + KEY_START]!;
    return this.keyText.slice(start, start + this.slots[at + KEY_LENGTH]!);
  }

  /** The position of the key equal to `name`'s first `length` characters, or -1. */
  private lookup(name: string, length: number, hash: number): number {
    const slots = this.slots;
    const keys = this.keyText;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const at = slot * SLOT;
      const stored = slots[at + HASH]!;
      if (stored === 0) return -1;
      if (stored !== hash || slots[at + KEY_LENGTH] !== length) continue;
      const start = slots[at + KEY_START]!;
      let i = 0;
      while (i < length && keys.charCodeAt(start + i) === name.charCodeAt(i)) i++;
      if (i === length) return slots[at + POSITION]!;
    }
  }

  /** The position of the longest prefix `name` starts with, up to a boundary or its end; -1 for none. */
  longestMatch(name: string): number {
    const keyLengths = this.keyLengths;
    // A boundary at `keyLengths.length` or beyond ends a prefix longer than every key.
    const end = Math.min(name.length, keyLengths.length);
    if (boundaryLengths.length <= end) {
      boundaryLengths = new Int32Array(end + 1);
      boundaryHashes = new Int32Array(end + 1);
    }
    let count = 0;
    let hash = FNV_OFFSET;
    for (let i = 0; i < end; i++) {
      const c = name.charCodeAt(i);
      if (i > 0 && isBoundary(c) && keyLengths[i] === 1) {
        boundaryLengths[count] = i;
        boundaryHashes[count++] = slotHash(hash);
      }
      hash = Math.imul(hash ^ c, FNV_PRIME);
    }
    if (end === name.length && keyLengths[end] === 1) {
      const whole = this.lookup(name, end, slotHash(hash));
      if (whole !== -1) return whole;
    }
    for (let k = count - 1; k >= 0; k--) {
      const found = this.lookup(name, boundaryLengths[k]!, boundaryHashes[k]!);
      if (found !== -1) return found;
    }
    return -1;
  }
}
