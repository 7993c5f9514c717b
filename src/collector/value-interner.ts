// One frozen object per distinct value that many nodes report alike (an image status, a probe of a
// mirror host, a configuration file's digest): a pool's nodes would otherwise each keep a parsed copy.
// Bounded: past its limits the table starts afresh, which only loses sharing for what comes next
// (values still held by nodes stay alive through them).

const MAX_ENTRIES = 200_000;
const MAX_KEY_BYTES = 64 * 1024 * 1024;

export class ValueInterner<T extends object> {
  private table = new Map<string, T>();
  private bytes = 0;

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
}
