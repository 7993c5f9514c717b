// The node's current findings, and what changed since the last scan (for log lines and deltas).
import type { SkippedCheck } from '../core/check/skipped-checks.js';
import type { KeyedFinding } from '../core/diagnose/types.js';

export interface FindingsChange {
  /** New findings, and findings whose content changed (same key). */
  readonly added: readonly KeyedFinding[];
  /** Gone because their check ran and did not find them again. */
  readonly cleared: readonly KeyedFinding[];
  /** Kept, marked stale: the check that found them could not run in this scan. */
  readonly unchecked: readonly KeyedFinding[];
}

function same(a: KeyedFinding, b: KeyedFinding): boolean {
  return (
    a.severity === b.severity &&
    a.message === b.message &&
    a.file === b.file &&
    a.line === b.line &&
    a.fix === b.fix &&
    a.image === b.image &&
    a.host === b.host &&
    a.stale === b.stale
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

  /** `skipped`: the checks that could not run; their earlier findings stay, marked stale. */
  replace(next: readonly KeyedFinding[], skipped: readonly SkippedCheck[] = []): FindingsChange {
    const map = new Map(next.map((f) => [f.key, f] as const));
    const added = next.filter((f) => {
      const old = this.current.get(f.key);
      return old === undefined || !same(old, f);
    });
    const cleared: KeyedFinding[] = [];
    const unchecked: KeyedFinding[] = [];
    for (const old of this.current.values()) {
      if (map.has(old.key)) continue;
      const why = skipped.find((s) => s.ids.has(old.id));
      if (why === undefined) {
        cleared.push(old);
        continue;
      }
      const kept = { ...old, stale: why.reason };
      map.set(old.key, kept);
      if (old.stale !== why.reason) unchecked.push(kept);
    }
    this.current = map;
    return { added, cleared, unchecked };
  }
}
