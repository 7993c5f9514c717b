// Which nodes report each agent finding. The collector keeps this index up to date as snapshots and
// deltas arrive, so building the report does not walk every node's findings again, and unchanged
// problems are not rebuilt. Nodes that share a set of findings (an equivalence class, FindingSet)
// are indexed once per class, not once per finding: 15,000 nodes × 180 shared findings are 180
// entries pointing at one member set, not 2.7 million set entries.
import type { NodeFinding } from '../findings/types.js';
import { evidenceKeyOf } from '../causes/evidence.js';
import { PlacementTable } from '../causes/placement.js';
import { KeyOrder } from './key-order.js';
import { asProblem } from './report-findings.js';
import type { FindingSet, ReportFinding } from './types.js';

/**
 * Where a report memo may keep the problem it built from one entry of the index, with the version it
 * was built at: held by the entry itself, so that 300,000 problems need no lookup table (and the
 * memo's problems go when the index drops the entry). `owner` is the memo that wrote it.
 */
export interface ProblemSlot {
  /** INDEX_MADE: the index made `problem` as it indexed a one-node finding, and any memo may take it. */
  owner: object | null;
  problem: ReportFinding | null;
  /** The witnesses' version `problem` was built at. */
  problemVersion: number;
  /**
   * The evidence key of the finding (EVIDENCE_KEY), worked out when the entry was made, for the
   * problem a build makes from it (a one-node finding's problem, made at once, carries its own).
   */
  readonly evidenceKey?: number;
}

export interface FindingWitnesses {
  /**
   * Every distinct agent finding with the nodes that report it (never twice the same node, sorted)
   * and a version: the same version and node count mean the same nodes. `slot` (null: none) is the
   * entry's place for the problem a memo builds from it; `keyShared` says another finding visited
   * has the same key (agents word one problem differently), so their witnesses merge into one problem.
   * `watchedKey` says the finding's key may be one of `watched` (false: it is not; witnesses that
   * cannot tell cheaply say true), so that the caller need not look 300,000 keys up in a few.
   */
  forEach(visit: WitnessVisit, watched?: ReadonlySet<string>): void;
}

export type WitnessVisit = (
  finding: NodeFinding,
  nodes: readonly string[],
  version: number,
  slot: ProblemSlot | null,
  keyShared: boolean,
  watchedKey: boolean,
) => void;

interface Members extends ProblemSlot {
  readonly nodes: Set<string>;
  version: number;
  /** `nodes` as a sorted array, built once per version (shared by every problem of the class). */
  array: readonly string[] | null;
}

/** One node (most findings outside a class are about one node: no set for them). */
interface Single extends ProblemSlot {
  /** `[node]`, shared by the node's findings. */
  readonly list: readonly string[];
  readonly version: number;
}

/** A finding outside classes and its witnesses. */
type Entry = (Members | Single) & { readonly finding: NodeFinding };

/**
 * The owner of a problem the index made itself. A finding about one node (300,000 of them at 15,000
 * agents) has its problem made as it is indexed, while the finding is at hand, rather than by the
 * first report build, which would make them all at once.
 */
export const INDEX_MADE: object = Object.freeze({});

const NOTHING_WATCHED: ReadonlySet<string> = new Set();
/** The bits of the key order's marks: a class's finding has the key too; the key is watched. */
const IN_CLASSES = 1;
const WATCHED = 2;

function single(
  finding: NodeFinding,
  list: readonly string[],
  version: number,
  placements: PlacementTable,
): Entry {
  return {
    finding,
    list,
    version,
    owner: INDEX_MADE,
    problem: asProblem(finding, list, placements.place(finding), evidenceKeyOf(finding)),
    problemVersion: version,
  };
}

function several(finding: NodeFinding, nodes: Set<string>, version: number): Entry {
  return {
    finding,
    nodes,
    version,
    array: null,
    owner: null,
    problem: null,
    problemVersion: 0,
    evidenceKey: evidenceKeyOf(finding),
  };
}

function members(nodes: Set<string>, version: number): Members {
  return { nodes, version, array: null, owner: null, problem: null, problemVersion: 0 };
}

/** A slot for a problem whose witnesses are not one entry's (a class's finding `f`). */
function freeSlot(f: NodeFinding): ProblemSlot {
  return { owner: null, problem: null, problemVersion: 0, evidenceKey: evidenceKeyOf(f) };
}

function isSingle(m: Members | Single): m is Single {
  return !('nodes' in m);
}

/**
 * One frozen `[node]` list per node, shared by every finding only that node reports (a large cluster
 * has 300,000 such findings over 15,000 nodes), as they are indexed. Kept from one pass over the
 * index to the next (a pass forgets the lists of nodes no finding came from since the one before).
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
  /**
   * Findings nodes report outside their class (or without one), by key: a key has one finding (most
   * do), or several when agents word one problem differently. Keyed by key so that a report build
   * knows which problems merge without a map of every key of its own.
   */
  private readonly single = new Map<string, Entry | Map<NodeFinding, Entry>>();
  /** The same, in key order: a build lists their problems as the report sorts them, without sorting them. */
  private readonly order = new KeyOrder((key) => this.single.get(key));
  private readonly classes = new Map<FindingSet, Members>();
  /** The classes that hold each finding. */
  private readonly classesOf = new Map<NodeFinding, FindingSet[]>();
  /** How many findings of classes have each key. */
  private readonly classKeys = new Map<string, number>();
  /** The problem slot of each finding of a class. */
  private readonly classSlots = new Map<NodeFinding, ProblemSlot>();
  private versions = 0;
  private readonly singletons = new Singletons();
  /** Where the one-node findings go among causes, worked out as they arrive (placement.ts). */
  private readonly placements = new PlacementTable();

  /** `onRelease`: a finding no node reports outside a class any more (the collector's interner keeps it then). */
  constructor(private readonly onRelease?: (f: NodeFinding) => void) {}

  /** A finding nodes report outside classes under `key` that `same` accepts, among its first `max` variants. */
  findOutside(key: string, same: (f: NodeFinding) => boolean, max: number): NodeFinding | undefined {
    const v = this.single.get(key);
    if (v === undefined) return undefined;
    if (!(v instanceof Map)) return same(v.finding) ? v.finding : undefined;
    let looked = 0;
    for (const f of v.keys()) {
      if (same(f)) return f;
      if (++looked === max) break;
    }
    return undefined;
  }

  private nodesOf(m: Members | Single): readonly string[] {
    if (isSingle(m)) return m.list;
    return (m.array ??= Object.freeze([...m.nodes].sort()));
  }

  /** `node` now reports `after` instead of `before` outside any class (same objects when unchanged). */
  replace(node: string, before: readonly NodeFinding[], after: readonly NodeFinding[]): void {
    if (before === after) return;
    // A node's first findings (every node once, at 15,000 nodes): no sets to build.
    if (before.length === 0) {
      for (const f of after) this.add(f, node);
      return;
    }
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
      m = members(new Set(), 0);
      this.classes.set(set, m);
      for (const f of set.findings) {
        const list = this.classesOf.get(f);
        if (list !== undefined) list.push(set);
        else {
          this.classesOf.set(f, [set]);
          this.classKeys.set(f.key, (this.classKeys.get(f.key) ?? 0) + 1);
        }
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
      if (list.length > 0) this.classesOf.set(f, list);
      else {
        this.classesOf.delete(f);
        this.classSlots.delete(f);
        const n = this.classKeys.get(f.key)! - 1;
        if (n === 0) this.classKeys.delete(f.key);
        else this.classKeys.set(f.key, n);
      }
    }
  }

  /** The entry of `f` outside classes. */
  private entryOf(f: NodeFinding): Entry | undefined {
    const v = this.single.get(f.key);
    if (v === undefined) return undefined;
    if (v instanceof Map) return v.get(f);
    return v.finding === f ? v : undefined;
  }

  /** Sets the entry of `entry.finding` (new, or replacing its old one). */
  private setEntry(entry: Entry): void {
    const key = entry.finding.key;
    const v = this.single.get(key);
    // A key every node words its own way has as many findings as nodes: a map, not a list to search.
    if (v instanceof Map) {
      v.set(entry.finding, entry);
      return;
    }
    if (v === undefined || v.finding === entry.finding) this.single.set(key, entry);
    else
      this.single.set(
        key,
        new Map([
          [v.finding, v],
          [entry.finding, entry],
        ]),
      );
    this.order.changed(key);
  }

  private deleteEntry(f: NodeFinding): void {
    const v = this.single.get(f.key);
    if (v === undefined) return;
    if (!(v instanceof Map)) {
      if (v.finding !== f) return;
      this.single.delete(f.key);
      this.order.changed(f.key);
      this.onRelease?.(f);
      return;
    }
    if (!v.delete(f)) return;
    this.onRelease?.(f);
    if (v.size > 1) return;
    const [last] = v.values();
    this.single.set(f.key, last!);
    this.order.changed(f.key);
  }

  private add(f: NodeFinding, node: string): void {
    // A key not seen yet (most are: 300,000 one-node findings): one lookup, not the two of entryOf and setEntry.
    if (!this.single.has(f.key)) {
      this.single.set(f.key, single(f, this.singletons.of(node), ++this.versions, this.placements));
      this.order.added(f.key);
      return;
    }
    const entry = this.entryOf(f);
    if (entry === undefined)
      this.setEntry(single(f, this.singletons.of(node), ++this.versions, this.placements));
    else if (isSingle(entry)) {
      const was = entry.list[0]!;
      if (was !== node) this.setEntry(several(f, new Set([was, node]), ++this.versions));
    } else if (!entry.nodes.has(node)) {
      entry.nodes.add(node);
      entry.version = ++this.versions;
      entry.array = null;
    }
  }

  private remove(f: NodeFinding, node: string): void {
    const entry = this.entryOf(f);
    if (entry === undefined) return;
    if (isSingle(entry)) {
      if (entry.list[0] === node) this.deleteEntry(f);
      return;
    }
    if (!entry.nodes.delete(node)) return;
    if (entry.nodes.size === 0) this.deleteEntry(f);
    else {
      entry.version = ++this.versions;
      entry.array = null;
    }
  }

  /** Another finding than `f` (of a class) has its key. */
  private classKeyShared(f: NodeFinding, own: Entry | undefined): boolean {
    if (this.classKeys.get(f.key)! > 1) return true;
    const v = this.single.get(f.key);
    // Several findings under the key outside classes, or one that is not `f`.
    return v !== undefined && (v instanceof Map || own === undefined);
  }

  forEach(visit: WitnessVisit, watched: ReadonlySet<string> = NOTHING_WATCHED): void {
    // Versions come from one growing counter: a changed source gets the highest, and a source that
    // goes away takes its nodes with it — so (highest version, node count) tells any change.
    this.classesOf.forEach((sets, f) => {
      const own = this.entryOf(f);
      const shared = this.classKeyShared(f, own);
      let slot = this.classSlots.get(f);
      if (slot === undefined) this.classSlots.set(f, (slot = freeSlot(f)));
      if (sets.length === 1 && own === undefined) {
        const m = this.classes.get(sets[0]!)!;
        visit(f, this.nodesOf(m), m.version, slot, shared, watched.has(f.key));
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
      visit(f, nodes.sort(), version, slot, shared, watched.has(f.key));
    });
    // In key order: the problems come to the report's sort in the order it wants (by key, once
    // grouped by severity and witnesses), whatever order the agents connected in. Which keys a class
    // has too, and which are watched, the order marks (a few keys, found in it).
    this.order.forEach(
      (_key, v, marks) => {
        const inClasses = (marks & IN_CLASSES) !== 0;
        const watchedKey = (marks & WATCHED) !== 0;
        if (!(v instanceof Map)) {
          // Alone under its key, unless a class's finding (another one) has it too.
          if (!inClasses) visit(v.finding, this.nodesOf(v), v.version, v, false, watchedKey);
          else if (!this.classesOf.has(v.finding))
            visit(v.finding, this.nodesOf(v), v.version, v, true, watchedKey);
          return;
        }
        v.forEach((e) => {
          if (!inClasses || !this.classesOf.has(e.finding))
            visit(e.finding, this.nodesOf(e), e.version, e, true, watchedKey);
        });
      },
      [this.classKeys.keys(), watched],
    );
    this.singletons.done();
  }

  /** Every finding with its witnesses, materialized (tests and diagnostics; the report uses forEach). */
  entries(): ReadonlyMap<NodeFinding, { readonly nodes: ReadonlySet<string>; readonly version: number }> {
    const out = new Map<NodeFinding, { nodes: ReadonlySet<string>; version: number }>();
    this.forEach((f, nodes, version) => out.set(f, { nodes: new Set(nodes), version }));
    return out;
  }
}
