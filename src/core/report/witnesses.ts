// Which nodes report each agent finding. The collector keeps this index up to date as snapshots and
// deltas arrive, so building the report does not walk every node's findings again, and unchanged
// problems are not rebuilt. Nodes that share a set of findings (an equivalence class, FindingSet)
// are indexed once per class, not once per finding: 15,000 nodes × 180 shared findings are 180
// entries pointing at one member set, not 2.7 million set entries.
import type { NodeFinding } from '../findings/types.js';
import type { FindingSet } from './types.js';

export interface FindingWitnesses {
  /**
   * Every distinct agent finding with the nodes that report it (never twice the same node, sorted)
   * and a version: the same version and node count mean the same nodes.
   */
  forEach(visit: (finding: NodeFinding, nodes: readonly string[], version: number) => void): void;
}

interface Members {
  readonly nodes: Set<string>;
  version: number;
  /** `nodes` as a sorted array, built once per version (shared by every problem of the class). */
  array: readonly string[] | null;
}

/** One node (most findings outside a class are about one node: no set for them). */
interface Single {
  readonly node: string;
  readonly version: number;
}

function isSingle(m: Members | Single): m is Single {
  return !('nodes' in m);
}

/**
 * One frozen `[node]` list per node, shared by every finding only that node reports (a large cluster
 * has 300,000 such findings over 15,000 nodes). Kept from one pass over the index to the next.
 */
class Singletons {
  private last = new Map<string, readonly string[]>();
  private next = new Map<string, readonly string[]>();

  of(node: string): readonly string[] {
    let list = this.next.get(node);
    if (list === undefined) {
      list = this.last.get(node) ?? Object.freeze([node]);
      this.next.set(node, list);
    }
    return list;
  }

  /** A pass is over: lists of nodes it did not meet are forgotten. */
  done(): void {
    this.last = this.next;
    this.next = new Map();
  }
}

export class WitnessIndex implements FindingWitnesses {
  /** Findings nodes report outside their class (or without one). */
  private readonly single = new Map<NodeFinding, Members | Single>();
  private readonly classes = new Map<FindingSet, Members>();
  /** The classes that hold each finding. */
  private readonly classesOf = new Map<NodeFinding, FindingSet[]>();
  private versions = 0;
  private readonly singletons = new Singletons();

  private nodesOf(m: Members | Single): readonly string[] {
    if (isSingle(m)) return this.singletons.of(m.node);
    return (m.array ??= Object.freeze([...m.nodes].sort()));
  }

  /** `node` now reports `after` instead of `before` outside any class (same objects when unchanged). */
  replace(node: string, before: readonly NodeFinding[], after: readonly NodeFinding[]): void {
    if (before === after) return;
    const kept = new Set(after);
    for (const f of before) if (!kept.has(f)) this.remove(f, node);
    const had = new Set(before);
    for (const f of after) if (!had.has(f)) this.add(f, node);
  }

  /** `node` stopped reporting `removed` and started reporting `added` outside its class (a delta). */
  patch(node: string, removed: readonly NodeFinding[], added: readonly NodeFinding[]): void {
    for (const f of removed) this.remove(f, node);
    for (const f of added) this.add(f, node);
  }

  /** `node` moves from class `before` to `after` (either may be null). */
  move(node: string, before: FindingSet | null, after: FindingSet | null): void {
    if (before === after) return;
    if (before !== null) this.leave(before, node);
    if (after !== null) this.join(after, node);
  }

  private join(set: FindingSet, node: string): void {
    let m = this.classes.get(set);
    if (m === undefined) {
      m = { nodes: new Set(), version: 0, array: null };
      this.classes.set(set, m);
      for (const f of set.findings) {
        const list = this.classesOf.get(f);
        if (list === undefined) this.classesOf.set(f, [set]);
        else list.push(set);
      }
    }
    m.nodes.add(node);
    m.version = ++this.versions;
    m.array = null;
  }

  private leave(set: FindingSet, node: string): void {
    const m = this.classes.get(set);
    if (m === undefined || !m.nodes.delete(node)) return;
    m.version = ++this.versions;
    m.array = null;
    if (m.nodes.size > 0) return;
    this.classes.delete(set);
    for (const f of set.findings) {
      const list = this.classesOf.get(f)!.filter((s) => s !== set);
      if (list.length === 0) this.classesOf.delete(f);
      else this.classesOf.set(f, list);
    }
  }

  private add(f: NodeFinding, node: string): void {
    const entry = this.single.get(f);
    if (entry === undefined) this.single.set(f, { node, version: ++this.versions });
    else if (isSingle(entry)) {
      if (entry.node !== node)
        this.single.set(f, { nodes: new Set([entry.node, node]), version: ++this.versions, array: null });
    } else if (!entry.nodes.has(node)) {
      entry.nodes.add(node);
      entry.version = ++this.versions;
      entry.array = null;
    }
  }

  private remove(f: NodeFinding, node: string): void {
    const entry = this.single.get(f);
    if (entry === undefined) return;
    if (isSingle(entry)) {
      if (entry.node === node) this.single.delete(f);
      return;
    }
    if (!entry.nodes.delete(node)) return;
    if (entry.nodes.size === 0) this.single.delete(f);
    else {
      entry.version = ++this.versions;
      entry.array = null;
    }
  }

  forEach(visit: (finding: NodeFinding, nodes: readonly string[], version: number) => void): void {
    // Versions come from one growing counter: a changed source gets the highest, and a source that
    // goes away takes its nodes with it — so (highest version, node count) tells any change.
    this.classesOf.forEach((sets, f) => {
      const own = this.single.get(f);
      if (sets.length === 1 && own === undefined) {
        const m = this.classes.get(sets[0]!)!;
        visit(f, this.nodesOf(m), m.version);
        return;
      }
      const nodes: string[] = [];
      let version = 0;
      for (const set of sets) {
        const m = this.classes.get(set)!;
        for (const n of m.nodes) nodes.push(n);
        version = Math.max(version, m.version);
      }
      if (own !== undefined) {
        for (const n of this.nodesOf(own)) nodes.push(n);
        version = Math.max(version, own.version);
      }
      visit(f, nodes.sort(), version);
    });
    this.single.forEach((m, f) => {
      if (!this.classesOf.has(f)) visit(f, this.nodesOf(m), m.version);
    });
    this.singletons.done();
  }

  /** Every finding with its witnesses, materialized (tests and diagnostics; the report uses forEach). */
  entries(): ReadonlyMap<NodeFinding, { readonly nodes: ReadonlySet<string>; readonly version: number }> {
    const out = new Map<NodeFinding, { nodes: ReadonlySet<string>; version: number }>();
    this.forEach((f, nodes, version) => out.set(f, { nodes: new Set(nodes), version }));
    return out;
  }
}
