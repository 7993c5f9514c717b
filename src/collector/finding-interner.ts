// Shares one object per distinct finding across nodes. 5,000 agents that each send the same 200
// findings would otherwise keep a million parsed copies of the same strings.
import { sameFinding } from '../core/findings/types.js';
import type { WireFinding } from '../protocol/messages.js';
import { StringPool } from '../kube/string-pool.js';
import { findingBytes } from './node-limits.js';

/** Distinct variants kept per key; a key whose text differs on every node is not worth sharing. */
const MAX_VARIANTS = 4;

/** A count and estimated bytes of findings. */
export interface Held {
  readonly count: number;
  readonly bytes: number;
}

/**
 * The table is rebuilt once it holds more than twice what the classes hold, and past these floors
 * (bytes too, not only entries: findings can be 32 KiB each).
 */
export const PRUNE_FLOOR: Held = { count: 100_000, bytes: 64 * 1024 * 1024 };

/** The findings nodes hold outside their classes (the store's witness index). */
export interface HeldOutside {
  /** One of them under `key` that `same` accepts, among the first `max` variants of the key. */
  findOutside(key: string, same: (f: WireFinding) => boolean, max: number): WireFinding | undefined;
}

const NOTHING_OUTSIDE: HeldOutside = { findOutside: () => undefined };

/**
 * A key's variants: most keys have one (a finding about one node, or one every node reports
 * alike), held as it is; an array only for a key whose text differs between nodes.
 */
type Variants = WireFinding | WireFinding[];

/**
 * The shared copy of a finding is the one nodes hold, found where they hold it: a finding about one
 * node (300,000 of them at 15,000 agents) is looked up in the witness index, which has it by key
 * anyway, rather than kept in a second table as large. The table holds the rest: the classes'
 * findings, findings on their way in (a snapshot waiting for bodies, the digest table), and those
 * nodes let go since the last rebuild. So a copy handed out stays the shared one until a rebuild
 * moves the epoch.
 */
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

  constructor(
    private readonly outside: HeldOutside = NOTHING_OUTSIDE,
    private readonly floor: Held = PRUNE_FLOOR,
  ) {}

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
    // Already the shared copy (a body a snapshot named by digest): no field to compare.
    const same = (v: WireFinding): boolean => v === f || sameFinding(v, f);
    const variants = this.table.get(f.key);
    if (variants !== undefined)
      if (!Array.isArray(variants)) {
        if (same(variants)) return variants;
      } else for (const v of variants) if (same(v)) return v;
    const held = this.outside.findOutside(f.key, same, MAX_VARIANTS);
    if (held !== undefined) return held;
    const compacted = this.compact(f);
    this.add(compacted);
    return compacted;
  }

  private add(f: WireFinding): void {
    const variants = this.table.get(f.key);
    if (variants === undefined) this.table.set(f.key, f);
    else if (!Array.isArray(variants)) this.table.set(f.key, [variants, f]);
    else if (variants.length < MAX_VARIANTS) variants.push(f);
    else return;
    this.count(f, 1);
  }

  /**
   * Findings a node now holds outside its class: the witness index has them from here on (each
   * leaves the table when the index finds it there).
   */
  settle(findings: readonly WireFinding[]): void {
    for (const f of findings) {
      const variants = this.table.get(f.key);
      if (variants === undefined || (Array.isArray(variants) ? !variants.includes(f) : variants !== f))
        continue;
      if (this.outside.findOutside(f.key, (v) => v === f, MAX_VARIANTS) !== f) continue;
      if (!Array.isArray(variants)) this.table.delete(f.key);
      else {
        const rest = variants.filter((v) => v !== f);
        this.table.set(f.key, rest.length === 1 ? rest[0]! : rest);
      }
      this.count(f, -1);
    }
  }

  /** No node holds `f` outside a class any more: it stays the shared copy until the next rebuild. */
  release(f: WireFinding): void {
    this.add(f);
  }

  private count(f: WireFinding, sign: 1 | -1): void {
    this.entries += sign;
    this.bytes += sign * findingBytes(f);
  }

  /** True when the table holds so much more than the classes do (`held`) that it should be rebuilt. */
  needsPrune(held: Held): boolean {
    return (
      this.entries > Math.max(this.floor.count, 2 * held.count) ||
      this.bytes > Math.max(this.floor.bytes, 2 * held.bytes)
    );
  }

  /** Keeps only the classes' findings (`classes`, each list a class's); the others are found outside. */
  rebuild(classes: Iterable<readonly WireFinding[]>): void {
    this.rebuilds++;
    this.table = new Map();
    this.entries = 0;
    this.bytes = 0;
    for (const list of classes)
      for (const f of list) {
        const variants = this.table.get(f.key);
        if (variants === f || (Array.isArray(variants) && variants.includes(f))) continue;
        this.add(f);
      }
  }
}
