// Which nodes report each finding. The collector keeps this index up to date as snapshots and deltas
// arrive (a few set operations per changed finding), so building the report does not walk every
// node's findings again, and unchanged problems are not rebuilt.
import type { NodeFinding } from '../findings/types.js';

export interface Witnesses {
  readonly nodes: ReadonlySet<string>;
  /** Changes whenever `nodes` does. */
  readonly version: number;
}

export class WitnessIndex {
  private readonly byFinding = new Map<NodeFinding, { nodes: Set<string>; version: number }>();
  private versions = 0;

  /** `node` now reports `after` instead of `before` (same objects when unchanged). */
  replace(node: string, before: readonly NodeFinding[], after: readonly NodeFinding[]): void {
    if (before === after) return;
    const kept = new Set(after);
    for (const f of before) if (!kept.has(f)) this.remove(f, node);
    const had = new Set(before);
    for (const f of after) if (!had.has(f)) this.add(f, node);
  }

  /** `node` stopped reporting `removed` and started reporting `added` (a delta). */
  patch(node: string, removed: readonly NodeFinding[], added: readonly NodeFinding[]): void {
    for (const f of removed) this.remove(f, node);
    for (const f of added) this.add(f, node);
  }

  private add(f: NodeFinding, node: string): void {
    const entry = this.byFinding.get(f);
    if (entry === undefined) this.byFinding.set(f, { nodes: new Set([node]), version: ++this.versions });
    else if (!entry.nodes.has(node)) {
      entry.nodes.add(node);
      entry.version = ++this.versions;
    }
  }

  private remove(f: NodeFinding, node: string): void {
    const entry = this.byFinding.get(f);
    if (entry === undefined || !entry.nodes.delete(node)) return;
    if (entry.nodes.size === 0) this.byFinding.delete(f);
    else entry.version = ++this.versions;
  }

  entries(): ReadonlyMap<NodeFinding, Witnesses> {
    return this.byFinding;
  }
}
