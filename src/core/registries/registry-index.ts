// `FindRegistry` without the linear scan: the answer is the same as containers/image's loop over the
// sorted registries (longest prefix wins, ties go to the prefix that sorts first), but each lookup
// only probes the prefixes a name could possibly match, so its cost does not grow with the file.
import { compareBytes } from './byte-order.js';
import { refMatchingPrefix } from './prefix-match.js';
import type { Registry } from './types.js';

export class RegistryIndex {
  private readonly exact = new Map<string, Registry>();
  private readonly wildcards = new Map<string, Registry>();

  constructor(readonly registries: readonly Registry[]) {
    for (const reg of registries) {
      if (reg.prefix.startsWith('*.')) this.wildcards.set(reg.prefix.slice(1), reg);
      else this.exact.set(reg.prefix, reg);
    }
  }

  /** `FindRegistry(name)`: `name` is `Name()` of a reference — no tag, no digest. */
  find(name: string): Registry | undefined {
    let best: Registry | undefined;
    const consider = (reg: Registry | undefined): void => {
      if (reg === undefined || refMatchingPrefix(name, reg.prefix) === -1) return;
      if (
        best === undefined ||
        reg.prefix.length > best.prefix.length ||
        (reg.prefix.length === best.prefix.length && compareBytes(reg.prefix, best.prefix) < 0)
      ) {
        best = reg;
      }
    };
    // Plain prefixes can only match up to a boundary character or the whole name.
    consider(this.exact.get(name));
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c === 0x2f || c === 0x3a || c === 0x40) consider(this.exact.get(name.slice(0, i)));
    }
    if (this.wildcards.size > 0) {
      // A wildcard suffix (it cannot contain `/`, `:` or `@`) starts at a dot inside the host and ends
      // at the port separator or the end of the host.
      const hostEnd = name.indexOf('/');
      const limit = hostEnd === -1 ? name.length : hostEnd;
      for (let start = 0; start < limit; start++) {
        if (name.charCodeAt(start) !== 0x2e) continue;
        for (let end = start + 1; end <= limit; end++) {
          if (end === limit || name.charCodeAt(end) === 0x3a) consider(this.wildcards.get(name.slice(start, end)));
        }
      }
    }
    return best;
  }
}
