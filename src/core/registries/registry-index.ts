// `FindRegistry` without the linear scan: the answer is the same as containers/image's loop over the
// sorted registries (longest prefix wins, ties go to the prefix that sorts first), but each lookup
// only probes the prefixes a name could possibly match, so its cost does not grow with the file.
import { compareBytes } from './byte-order.js';
import { refMatchingPrefix } from './prefix-match.js';
import { PrefixTable } from './prefix-table.js';

interface Prefixed {
  readonly prefix: string;
}

function better(candidate: Prefixed, best: Prefixed | undefined): boolean {
  if (best === undefined || candidate.prefix.length > best.prefix.length) return true;
  return candidate.prefix.length === best.prefix.length && compareBytes(candidate.prefix, best.prefix) < 0;
}

/** Indexes `[[registry]]` entries (or anything carrying their prefix) by prefix. */
export class RegistryIndex<T extends Prefixed> {
  private readonly exact: PrefixTable<T>;
  private readonly wildcards = new Map<string, T>();
  /** Every plain prefix that has a longer plain prefix below it (`a.io/x` when `a.io/x/y` exists). */
  private readonly extended = new Set<string>();

  constructor(readonly registries: readonly T[]) {
    const plain: T[] = [];
    for (const reg of registries) {
      if (reg.prefix.startsWith('*.')) this.wildcards.set(reg.prefix.slice(1), reg);
      else plain.push(reg);
    }
    this.exact = new PrefixTable(plain);
    for (const { prefix } of plain) {
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
    let best = this.exact.longestMatch(name);
    if (this.wildcards.size === 0) return best;
    let reg: T | undefined;
    // A wildcard suffix (it cannot contain `/`, `:` or `@`) starts at a dot inside the host and ends
    // at the port separator or the end of the host.
    const slash = name.indexOf('/');
    const limit = slash === -1 ? name.length : slash;
    for (let start = 0; start < limit; start++) {
      if (name.charCodeAt(start) !== 0x2e) continue;
      for (let end = start + 1; end <= limit; end++) {
        if (end !== limit && name.charCodeAt(end) !== 0x3a) continue;
        reg = this.wildcards.get(name.slice(start, end));
        if (reg !== undefined && refMatchingPrefix(name, reg.prefix) !== -1 && better(reg, best)) best = reg;
      }
    }
    return best;
  }
}
