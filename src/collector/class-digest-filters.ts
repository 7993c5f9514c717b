// What the collector's welcome tells an agent it holds: per configuration hash (a class of nodes
// that mostly report the same findings), a Bloom filter of the digests that class's snapshots named
// and the digest table already held. The agent then sends inline the bodies the filter lacks, and
// no findings-request round trip is needed (messages.ts, finding-filter.ts).
//
// Learned, not rebuilt per snapshot: an agent sends inline exactly what its filter lacked, so an
// inline body whose digest the table already held says the filter may be missing a digest the class
// shares. It joins the filter once a second node's snapshot says so too: a node's own findings are
// held when that node sends them again (a later snapshot, a reconnect) but no other node names them,
// so they stay out. Only then is the filter rebuilt (the union, each digest once), and its text is
// made once per rebuild and handed to every welcome. Bounded: at most MAX_CLASS_DIGESTS digests per
// class (past that it starts again from the snapshot that overflowed it, and a class that shares
// more than that in one snapshot is offered no filter: references and the request, as before), as
// four times as many candidates (dropped whole when full), and MAX_CLASSES classes (the least recently rebuilt is
// dropped; its next agents send every body once more). A digest the table let go since does no
// harm: the snapshot's reference misses and is requested.
import { FindingFilter, type WireFindingFilter } from '../protocol/finding-filter.js';

export const MAX_CLASS_DIGESTS = 6_144;
export const MAX_CLASSES = 256;
/** Candidates a class keeps, per digest its filter may hold (a node's own findings pass through). */
const CANDIDATES_PER_DIGEST = 4;

interface ClassEntry {
  readonly digests: string[];
  readonly members: Set<string>;
  /** Digests one node said were held though the filter lacked them: digest → that node. */
  candidates: Map<string, string>;
  /** null: the class shares more than a filter may say. */
  wire: WireFindingFilter | null;
}

/** An unknown class: nothing held, send every body. */
const EMPTY: WireFindingFilter = FindingFilter.of([]).toWire();

export class ClassDigestFilters {
  private readonly classes = new Map<string, ClassEntry>();

  constructor(
    private readonly limits: { readonly digests: number; readonly classes: number } = {
      digests: MAX_CLASS_DIGESTS,
      classes: MAX_CLASSES,
    },
  ) {}

  /** The filter for a welcome to an agent of `configHash`; undefined: offer none. */
  forWelcome(configHash: string): WireFindingFilter | undefined {
    const entry = this.classes.get(configHash);
    if (entry === undefined) return EMPTY;
    return entry.wire ?? undefined;
  }

  /**
   * `node`'s snapshot of `configHash` carried inline bodies of `fresh`, digests the table already
   * held. `held`: every digest of that snapshot the table held, for a fresh start past the bound.
   */
  learn(configHash: string, node: string, fresh: readonly string[], held: () => readonly string[]): void {
    let entry = this.classes.get(configHash);
    if (entry === undefined) {
      entry = { digests: [], members: new Set(), candidates: new Map(), wire: EMPTY };
      this.insert(configHash, entry);
    }
    if (entry.wire === null) return;
    let added = false;
    for (const d of fresh) {
      if (entry.members.has(d)) continue;
      const first = entry.candidates.get(d);
      if (first === undefined) {
        if (entry.candidates.size >= this.limits.digests * CANDIDATES_PER_DIGEST)
          entry.candidates = new Map();
        entry.candidates.set(d, node);
      } else if (first !== node) {
        entry.candidates.delete(d);
        entry.members.add(d);
        entry.digests.push(d);
        added = true;
      }
    }
    if (!added) return;
    if (entry.digests.length > this.limits.digests) {
      const restart = new Set(held());
      entry = { digests: [...restart], members: restart, candidates: new Map(), wire: null };
    }
    entry.wire =
      entry.digests.length <= this.limits.digests ? FindingFilter.of(entry.digests).toWire() : null;
    this.insert(configHash, entry);
  }

  /** (Re-)inserted: the map's order is the order of the last rebuild, the oldest first to go. */
  private insert(configHash: string, entry: ClassEntry): void {
    this.classes.delete(configHash);
    this.classes.set(configHash, entry);
    if (this.classes.size > this.limits.classes) this.classes.delete(this.classes.keys().next().value!);
  }

  /** Digests the filters hold, all classes together. */
  get size(): number {
    let n = 0;
    for (const e of this.classes.values()) n += e.digests.length;
    return n;
  }
}
