// One frozen object per distinct value that many nodes report alike (an image status, a probe of a
// mirror host, a configuration file's digest): a pool's nodes would otherwise each keep a parsed copy.
// Bounded: past its limits the table starts afresh, which only loses sharing for what comes next
// (values still held by nodes stay alive through them).

const MAX_ENTRIES = 200_000;
const MAX_KEY_BYTES = 64 * 1024 * 1024;

/** Equal JSON values (a field absent and a field undefined are equal, as in a key that maps both to null). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const k in x) if (!sameJson(x[k], y[k])) return false;
  for (const k in y) if (!(k in x) && y[k] !== undefined) return false;
  return true;
}

export class ValueInterner<T extends object> {
  private table = new Map<string, T>();
  private bytes = 0;
  /**
   * The last list interned: the nodes of a pool report the same values in the same order, so the
   * value at a position is most often the one the previous node had there, and comparing fields is
   * cheaper than serializing a key and probing the table.
   */
  private last: readonly T[] = Object.freeze([]);

  /** `keyOf` must tell apart any two values that differ in a field. */
  constructor(private readonly keyOf: (value: T) => string) {}

  intern(value: T): T {
    const key = this.keyOf(value);
    const shared = this.table.get(key);
    if (shared !== undefined) return shared;
    if (this.table.size >= MAX_ENTRIES || this.bytes > MAX_KEY_BYTES) {
      this.table = new Map();
      this.bytes = 0;
    }
    const frozen = Object.freeze(value);
    this.table.set(key, frozen);
    this.bytes += key.length;
    return frozen;
  }

  /** Each value interned, in order; the list itself is shared too when it is the last one's. */
  internAll(values: readonly T[]): readonly T[] {
    const last = this.last;
    const out = new Array<T>(values.length);
    let same = values.length === last.length;
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      const before = last[i];
      if (before !== undefined && sameJson(before, value)) out[i] = before;
      else {
        out[i] = this.intern(value);
        same &&= out[i] === before;
      }
    }
    if (same) return last;
    this.last = Object.freeze(out);
    return this.last;
  }
}
