// `FindRegistry` without the linear scan: the answer is the same as containers/image's loop over the
// sorted registries (longest prefix wins, ties go to the prefix that sorts first), but each lookup
// only probes the prefixes a name could possibly match, so its cost does not grow with the file.
import { compareBytes } from './byte-order.js';
import { refMatchingPrefix } from './prefix-match.js';
import { PrefixTable } from './prefix-table.js';

interface Prefixed {
  readonly prefix: string;
}

/** Indexes `[[registry]]` entries (or anything carrying their prefix) by prefix. */
export class RegistryIndex<T extends Prefixed> {
  private readonly exact: PrefixTable;
  /** The position of each `*.suffix` entry, by `.suffix`. */
  private readonly wildcards = new Map<string, number>();
  /** Every plain prefix that has a longer plain prefix below it (`a.io/x` when `a.io/x/y` exists). */
  private readonly extended = new Set<string>();

  constructor(readonly registries: readonly T[]) {
    const keys = registries.map(({ prefix }) => (prefix.startsWith('*.') ? null : prefix));
    registries.forEach(({ prefix }, position) => {
      if (prefix.startsWith('*.')) this.wildcards.set(prefix.slice(1), position);
    });
    this.exact = new PrefixTable(keys);
    for (const prefix of keys) {
      if (prefix === null) continue;
      for (let i = 1; i < prefix.length; i++) {
        const c = prefix.charCodeAt(i);
        if (c === 0x2f || c === 0x3a || c === 0x40) this.extended.add(prefix.slice(0, i));
      }
    }
  }

  get hasWildcards(): boolean {
    return this.wildcards.size > 0;
  }

  /** Whether some plain prefix is longer than `prefix` and starts with it at a boundary. */
  isExtended(prefix: string): boolean {
    return this.extended.has(prefix);
  }

  /** `FindRegistry(name)`: `name` is `Name()` of a reference — no tag, no digest. */
  find(name: string): T | undefined {
    const position = this.position(name);
    return position === -1 ? undefined : this.registries[position];
  }

  /** `find`, as the entry's index in `registries` (-1 for none). */
  position(name: string): number {
    let best = this.exact.longestMatch(name);
    if (this.wildcards.size === 0) return best;
    // A wildcard suffix (it cannot contain `/`, `:` or `@`) starts at a dot inside the host and ends
    // at the port separator or the end of the host.
    const slash = name.indexOf('/');
    const limit = slash === -1 ? name.length : slash;
    for (let start = 0; start < limit; start++) {
      if (name.charCodeAt(start) !== 0x2e) continue;
      for (let end = start + 1; end <= limit; end++) {
        if (end !== limit && name.charCodeAt(end) !== 0x3a) continue;
        const found = this.wildcards.get(name.slice(start, end));
        if (found !== undefined && this.beats(name, found, best)) best = found;
      }
    }
    return best;
  }

  /** Whether the wildcard at `candidate` matches `name` and beats the entry at `best`. */
  private beats(name: string, candidate: number, best: number): boolean {
    const { prefix } = this.registries[candidate]!;
    if (refMatchingPrefix(name, prefix) === -1) return false;
    if (best === -1) return true;
    const other = this.registries[best]!.prefix;
    if (prefix.length > other.length) return true;
    return prefix.length === other.length && compareBytes(prefix, other) < 0;
  }
}
