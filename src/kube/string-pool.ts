// Equal strings of many parsed objects held once. JSON.parse gives every object its own copy of a
// value: each pod of a Deployment its image, namespace and node name, each node of a pool its
// rendered-config names and CRI-O version, each node's finding its fix and file. Two generations bound the table: when the current one
// is full it becomes the previous one (a value looked up again moves back) and the oldest goes,
// which only loses sharing for values nothing looked up in two generations (objects keep theirs).

const GENERATION_SIZE = 50_000;

export class StringPool {
  private current = new Map<string, string>();
  private previous = new Map<string, string>();

  constructor(private readonly generationSize = GENERATION_SIZE) {}

  /** The pool's copy of `value` (null and undefined stay as they are). */
  get<S extends string | null | undefined>(value: S): S {
    if (value === undefined || value === null) return value;
    const held = this.current.get(value);
    if (held !== undefined) return held as S;
    const kept = this.previous.get(value) ?? value;
    if (this.current.size >= this.generationSize) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(kept, kept);
    return kept as S;
  }

  /** Strings held (both generations). */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  /** The same record with every value from the pool (label and annotation maps). */
  record(values: Record<string, string> | undefined): Record<string, string> | undefined {
    if (values === undefined) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) out[k] = this.get(v);
    return out;
  }
}
