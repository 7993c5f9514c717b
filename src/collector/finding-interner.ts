// Shares one object per distinct finding across nodes. 5,000 agents that each send the same 200
// findings would otherwise keep a million parsed copies of the same strings.
import { sameFinding } from '../core/findings/types.js';
import type { WireFinding } from '../protocol/messages.js';
import { StringPool } from '../kube/string-pool.js';
import { findingBytes } from './node-limits.js';

/** Distinct variants kept per key; a key whose text differs on every node is not worth sharing. */
const MAX_VARIANTS = 4;

/** What nodes hold: a count and estimated bytes of findings (an upper bound of the distinct ones). */
export interface Held {
  readonly count: number;
  readonly bytes: number;
}

/**
 * The table is rebuilt once it holds more than twice what nodes hold, and past these floors (bytes
 * too, not only entries: findings can be 32 KiB each). Relative to what is held, so that a growing
 * cluster, whose every entry is live, never pays for a rebuild.
 */
export const PRUNE_FLOOR: Held = { count: 100_000, bytes: 64 * 1024 * 1024 };

/**
 * A key's variants: most keys have one (a finding about one node, or one every node reports
 * alike), held as it is; an array only for a key whose text differs between nodes.
 */
type Variants = WireFinding | WireFinding[];

export class FindingInterner {
  private table = new Map<string, Variants>();
  private entries = 0;
  private bytes = 0;
  /**
   * One copy of each text that findings repeat across nodes (a fix, a file, an image, a host): a
   * finding about one node still shares everything but its key and message with its siblings.
   * Two generations of 100,000: a text nothing repeats any more only loses its sharing.
   */
  private readonly texts = new StringPool(100_000);
  private rebuilds = 0;

  constructor(private readonly floor: Held = PRUNE_FLOOR) {}

  /**
   * Moves at every rebuild: a finding handed out before one may no longer be the shared copy of its
   * text (the rebuild keeps only what nodes still hold), so it must be interned again.
   */
  get epoch(): number {
    return this.rebuilds;
  }

  /** The finding with its repeated texts shared, frozen. */
  private compact(f: WireFinding): WireFinding {
    const t = this.texts;
    // `stale` added apart: a conditional spread in the literal left every finding a slot larger.
    const compacted: WireFinding = {
      key: f.key,
      id: t.get(f.id),
      severity: f.severity,
      message: f.message,
      file: t.get(f.file),
      line: f.line,
      scope: t.get(f.scope),
      fix: t.get(f.fix),
      image: t.get(f.image),
      host: t.get(f.host),
    };
    return Object.freeze(f.stale === undefined ? compacted : { ...compacted, stale: t.get(f.stale) });
  }

  intern(f: WireFinding): WireFinding {
    const variants = this.table.get(f.key);
    if (variants === undefined) {
      const frozen = this.compact(f);
      this.table.set(f.key, frozen);
      this.count(f);
      return frozen;
    }
    if (!Array.isArray(variants)) {
      // Already the shared copy (a body a snapshot named by digest): no field to compare.
      if (variants === f || sameFinding(variants, f)) return variants;
      const compacted = this.compact(f);
      this.table.set(f.key, [variants, compacted]);
      this.count(f);
      return compacted;
    }
    for (const v of variants) if (v === f || sameFinding(v, f)) return v;
    const compacted = this.compact(f);
    if (variants.length < MAX_VARIANTS) {
      variants.push(compacted);
      this.count(f);
    }
    return compacted;
  }

  private count(f: WireFinding): void {
    this.entries++;
    this.bytes += findingBytes(f);
  }

  /** True when the table holds so much more than nodes do (`held`) that it should be rebuilt from them. */
  needsPrune(held: Held): boolean {
    return (
      this.entries > Math.max(this.floor.count, 2 * held.count) ||
      this.bytes > Math.max(this.floor.bytes, 2 * held.bytes)
    );
  }

  /** Keeps only the findings still held by some node. */
  rebuild(live: Iterable<readonly WireFinding[]>): void {
    this.rebuilds++;
    this.table = new Map();
    this.entries = 0;
    this.bytes = 0;
    for (const list of live)
      for (const f of list) {
        const variants = this.table.get(f.key);
        if (variants === undefined) this.table.set(f.key, f);
        else if (variants === f) continue;
        else if (!Array.isArray(variants)) this.table.set(f.key, [variants, f]);
        else if (!variants.includes(f) && variants.length < MAX_VARIANTS) variants.push(f);
        else continue;
        this.count(f);
      }
  }
}
