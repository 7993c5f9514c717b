// The distinct messages of a cause's findings, counted by a hash of each rather than in a Set of the
// texts. A cause spanning a large cluster has hundreds of thousands of findings, their messages
// scattered over the heap wherever their snapshots were parsed: a Set reads each text for its hash,
// and the texts it is chained with to compare them (a first build at 15,000 agents spent 50 ms
// there). The collector's witness index hashes each message as the finding arrives, while the text
// is at hand, and the problem carries the hash (evidence.ts, EVIDENCE_KEY): counting then reads no text, but
// where two hashes meet.
//
// Texts are compared wherever hashes meet, so the count is exact whatever the hash. Messages come
// from agents, which could send texts made to meet under one hash: after MAX_CLASHES meetings of
// different texts, the set turns into a Set of the texts, which costs what it always did.

/** Meetings of different texts under one hash a set takes before it counts texts instead. */
const MAX_CLASHES = 64;

/** Bits of a message hash: it fits a small integer with a flag beside it (evidence.ts, EVIDENCE_KEY). */
const HASH_BITS = 29;

/** Per process: texts made to meet under one hash here need to know it. */
const SEED = (Math.random() * 2 ** 32) >>> 0;

/** A hash of `text` (HASH_BITS bits; FNV-1a over its UTF-16 code units, seeded). */
export function messageHash(text: string): number {
  let h = (0x811c9dc5 ^ SEED) | 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> (32 - HASH_BITS);
}

/** A set of texts, each added with its hash (messageHash). */
export class DistinctMessages {
  /** Each slot's hash plus one (0: empty), and where its text is in `texts`. */
  private hashes = new Int32Array(16);
  private slots = new Int32Array(16);
  /** The texts, in the order they came: growing moves numbers only. */
  private readonly texts: string[] = [];
  private clashes = 0;
  /** The texts, once hashes met too often. */
  private fallback: Set<string> | null = null;

  get size(): number {
    return this.fallback === null ? this.texts.length : this.fallback.size;
  }

  /** Adds `text`, whose hash is `hash`. */
  add(text: string, hash: number): void {
    if (this.fallback !== null) {
      this.fallback.add(text);
      return;
    }
    if ((this.texts.length + 1) * 2 > this.hashes.length) this.grow();
    const mask = this.hashes.length - 1;
    const stored = hash + 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const h = this.hashes[i]!;
      if (h === 0) {
        this.hashes[i] = stored;
        this.slots[i] = this.texts.length;
        this.texts.push(text);
        return;
      }
      if (h === stored) {
        if (this.texts[this.slots[i]!] === text) return;
        if (++this.clashes > MAX_CLASHES) {
          this.fallback = new Set(this.texts);
          this.fallback.add(text);
          return;
        }
      }
    }
  }

  has(text: string): boolean {
    if (this.fallback !== null) return this.fallback.has(text);
    const hash = messageHash(text);
    const mask = this.hashes.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const h = this.hashes[i]!;
      if (h === 0) return false;
      if (h === hash + 1 && this.texts[this.slots[i]!] === text) return true;
    }
  }

  /** The texts. */
  values(): Iterable<string> {
    return this.fallback ?? this.texts;
  }

  /** Twice the slots, each placed again by its hash (no text is read). */
  private grow(): void {
    const hashes = this.hashes;
    const slots = this.slots;
    this.hashes = new Int32Array(hashes.length * 2);
    this.slots = new Int32Array(hashes.length * 2);
    const mask = this.hashes.length - 1;
    for (let j = 0; j < hashes.length; j++) {
      const h = hashes[j]!;
      if (h === 0) continue;
      let i = (h - 1) & mask;
      while (this.hashes[i] !== 0) i = (i + 1) & mask;
      this.hashes[i] = h;
      this.slots[i] = slots[j]!;
    }
  }
}
