// The node's current findings, and what changed since the last scan (for log lines and deltas).
import type { KeyedFinding } from '../core/diagnose/types.js';

export interface FindingsChange {
  /** New findings, and findings whose content changed (same key). */
  readonly added: readonly KeyedFinding[];
  readonly cleared: readonly KeyedFinding[];
}

function same(a: KeyedFinding, b: KeyedFinding): boolean {
  return (
    a.severity === b.severity &&
    a.message === b.message &&
    a.file === b.file &&
    a.line === b.line &&
    a.fix === b.fix &&
    a.image === b.image &&
    a.host === b.host
  );
}

export class FindingsStore {
  private current = new Map<string, KeyedFinding>();

  get all(): KeyedFinding[] {
    return [...this.current.values()];
  }

  get size(): number {
    return this.current.size;
  }

  replace(next: readonly KeyedFinding[]): FindingsChange {
    const map = new Map(next.map((f) => [f.key, f] as const));
    const added = next.filter((f) => {
      const old = this.current.get(f.key);
      return old === undefined || !same(old, f);
    });
    const cleared = [...this.current.values()].filter((f) => !map.has(f.key));
    this.current = map;
    return { added, cleared };
  }
}
