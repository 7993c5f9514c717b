// The node's current findings, and what changed since the last scan (for log lines and deltas).
import type { SkippedCheck } from '../core/check/skipped-checks.js';
import { sameFinding, type NodeFinding } from '../core/findings/types.js';

export interface FindingsChange {
  /** New findings, and findings whose content changed (same key). */
  readonly added: readonly NodeFinding[];
  /** Gone because their check ran and did not find them again. */
  readonly cleared: readonly NodeFinding[];
  /** Kept, marked stale: the check that found them could not run in this scan. */
  readonly unchecked: readonly NodeFinding[];
}

export class FindingsStore {
  private current = new Map<string, NodeFinding>();

  get all(): NodeFinding[] {
    return [...this.current.values()];
  }

  get size(): number {
    return this.current.size;
  }

  /** `skipped`: the checks that could not run; their earlier findings stay, marked stale. */
  replace(next: readonly NodeFinding[], skipped: readonly SkippedCheck[] = []): FindingsChange {
    const map = new Map(next.map((f) => [f.key, f] as const));
    const added = next.filter((f) => {
      const old = this.current.get(f.key);
      return old === undefined || !sameFinding(old, f);
    });
    const cleared: NodeFinding[] = [];
    const unchecked: NodeFinding[] = [];
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
