// Shares one object per distinct finding across nodes. 5,000 agents that each send the same 200
// findings would otherwise keep a million parsed copies of the same strings.
import { sameFinding } from '../core/findings/types.js';
import type { WireFinding } from '../protocol/messages.js';
import { findingBytes } from './node-limits.js';

/** Distinct variants kept per key; a key whose text differs on every node is not worth sharing. */
const MAX_VARIANTS = 4;
/** Rebuilt past this many estimated bytes too, not only entries: findings can be 32 KiB each. */
const PRUNE_BYTES = 64 * 1024 * 1024;

export class FindingInterner {
  private table = new Map<string, WireFinding[]>();
  private entries = 0;
  private pruneAt = 100_000;
  private bytes = 0;
  private pruneAtBytes = PRUNE_BYTES;

  intern(f: WireFinding): WireFinding {
    const variants = this.table.get(f.key);
    if (variants === undefined) {
      const frozen = Object.freeze(f);
      this.table.set(f.key, [frozen]);
      this.entries++;
      this.bytes += findingBytes(f);
      return frozen;
    }
    for (const v of variants) if (sameFinding(v, f)) return v;
    if (variants.length < MAX_VARIANTS) {
      variants.push(Object.freeze(f));
      this.entries++;
      this.bytes += findingBytes(f);
    }
    return f;
  }

  /** True when the table has grown enough that it should be rebuilt from the live findings. */
  get needsPrune(): boolean {
    return this.entries > this.pruneAt || this.bytes > this.pruneAtBytes;
  }

  /** Keeps only the findings still held by some node. */
  rebuild(live: Iterable<readonly WireFinding[]>): void {
    const table = new Map<string, WireFinding[]>();
    let entries = 0;
    let bytes = 0;
    for (const list of live)
      for (const f of list) {
        const variants = table.get(f.key);
        if (variants === undefined) {
          table.set(f.key, [f]);
          entries++;
          bytes += findingBytes(f);
        } else if (!variants.includes(f) && variants.length < MAX_VARIANTS) {
          variants.push(f);
          entries++;
          bytes += findingBytes(f);
        }
      }
    this.table = table;
    this.entries = entries;
    this.bytes = bytes;
    this.pruneAt = Math.max(100_000, entries * 2);
    this.pruneAtBytes = Math.max(PRUNE_BYTES, bytes * 2);
  }
}
