// Equivalence classes of nodes by what they report alike. Nodes of one pool run one configuration,
// probe the same mirrors and mostly report the same findings: each class holds such a set once, and
// a node refers to its class and keeps only the findings outside it. A node that loses a finding
// of its class moves, copy-on-write, to the class without it (shared by every node that diverges
// the same way); a node whose findings cover its configuration's main class again moves back.
import type { FindingSet } from '../core/report/types.js';
import type { WireFinding } from '../protocol/messages.js';
import { findingBytes } from './node-limits.js';

interface FindingClass extends FindingSet {
  readonly has: ReadonlySet<WireFinding>;
  /** Content key: the sorted ids of its findings. */
  readonly key: string;
  readonly members: Set<string>;
  /** The configuration hashes whose main class this is. */
  readonly homeOf: Set<string>;
  /** Estimated bytes of its findings. */
  readonly bytes: number;
}

export interface Placement {
  readonly set: FindingSet;
  /** The node's findings outside `set`. */
  readonly extras: readonly WireFinding[];
}

/** A class re-homed with a placement: its only member moves to the new, smaller class. */
export interface Rehomed {
  readonly node: string;
  readonly from: FindingSet;
  readonly to: FindingSet;
}

export class FindingClasses {
  private readonly byKey = new Map<string, FindingClass>();
  private readonly bySet = new Map<FindingSet, FindingClass>();
  /** configuration hash → the class most of its nodes share */
  private readonly home = new Map<string, FindingClass>();
  private readonly ids = new WeakMap<WireFinding, number>();
  private nextFindingId = 0;
  private nextClassId = 0;
  /** The findings of every class (counted per class) and their estimated bytes. */
  private readonly findingsHeld = { count: 0, bytes: 0 };

  get size(): number {
    return this.byKey.size;
  }

  get held(): { readonly count: number; readonly bytes: number } {
    return this.findingsHeld;
  }

  /** Each class's findings. */
  *findingLists(): Generator<readonly WireFinding[]> {
    for (const c of this.byKey.values()) yield c.findings;
  }

  /**
   * Places `node` (now reporting `findings`, under `configHash`) in a class; `current` is the class
   * it is in. The caller applies `rehomed` (at most one other node) to its own state.
   */
  place(
    node: string,
    current: FindingSet | null,
    configHash: string,
    findings: readonly WireFinding[],
  ): { placement: Placement; rehomed: Rehomed | null } {
    const now = current === null ? undefined : this.bySet.get(current);
    const home = this.home.get(configHash);
    // Most often the node lists its class's findings first, in the class's order: no set to build.
    // (The first candidate only: a later one would win only where the first does not cover.)
    const prefix = home ?? now;
    if (prefix !== undefined && startsWith(findings, prefix.findings)) {
      this.move(node, now ?? null, prefix, configHash);
      return { placement: { set: prefix, extras: rest(findings, prefix) }, rehomed: null };
    }
    const reported = new Set(findings);
    let target = [home, now].find((c) => c !== undefined && covers(reported, c));
    let rehomed: Rehomed | null = null;
    if (target === undefined) {
      // Diverging from every candidate: the class of what it shares with the closest one (copy-on-write).
      let best: FindingClass | undefined;
      let bestShared = -1;
      for (const c of [home, now]) {
        if (c === undefined) continue;
        let shared = 0;
        for (const f of c.findings) if (reported.has(f)) shared++;
        if (shared > bestShared) [best, bestShared] = [c, shared];
      }
      const base = best === undefined ? [...reported] : best.findings.filter((f) => reported.has(f));
      target = this.intern(base);
      // A class only its founder ever held was never shared: the founder moves along.
      if (best !== undefined && best !== target && best.members.size === 1 && !best.members.has(node)) {
        const founder = best.members.values().next().value!;
        rehomed = { node: founder, from: best, to: target };
        this.move(founder, best, target, null);
      }
    }
    this.move(node, now ?? null, target, configHash);
    const extras = reported.size === target.findings.length ? [] : dedupe(findings, target.has);
    return { placement: { set: target, extras }, rehomed };
  }

  /** True when `set` holds `finding`. */
  contains(set: FindingSet, finding: WireFinding): boolean {
    return this.bySet.get(set)?.has.has(finding) === true;
  }

  /** True when `set` is the class most nodes with this configuration hash share. */
  isHome(set: FindingSet, configHash: string): boolean {
    return this.home.get(configHash) === set;
  }

  /** The node is gone. */
  remove(node: string, current: FindingSet | null): void {
    const c = current === null ? undefined : this.bySet.get(current);
    if (c !== undefined) this.move(node, c, null, null);
  }

  private move(
    node: string,
    from: FindingClass | null,
    to: FindingClass | null,
    configHash: string | null,
  ): void {
    if (from !== to && from !== null) {
      from.members.delete(node);
      if (from.members.size === 0) this.drop(from);
    }
    if (to === null) return;
    to.members.add(node);
    if (configHash !== null) {
      const home = this.home.get(configHash);
      if (home === undefined || (home !== to && to.members.size > home.members.size)) {
        home?.homeOf.delete(configHash);
        this.home.set(configHash, to);
        to.homeOf.add(configHash);
      }
    }
  }

  private drop(c: FindingClass): void {
    this.byKey.delete(c.key);
    this.bySet.delete(c);
    this.findingsHeld.count -= c.findings.length;
    this.findingsHeld.bytes -= c.bytes;
    for (const hash of c.homeOf) this.home.delete(hash);
  }

  private idOf(f: WireFinding): number {
    let id = this.ids.get(f);
    if (id === undefined) this.ids.set(f, (id = this.nextFindingId++));
    return id;
  }

  private intern(findings: readonly WireFinding[]): FindingClass {
    const ids = findings.map((f) => this.idOf(f)).sort((a, b) => a - b);
    const key = ids.join(',');
    const existing = this.byKey.get(key);
    if (existing !== undefined) return existing;
    const c: FindingClass = {
      id: `class-${++this.nextClassId}`,
      findings: Object.freeze([...findings]),
      has: new Set(findings),
      key,
      members: new Set(),
      homeOf: new Set(),
      bytes: findings.reduce((sum, f) => sum + findingBytes(f), 0),
    };
    this.findingsHeld.count += c.findings.length;
    this.findingsHeld.bytes += c.bytes;
    this.byKey.set(key, c);
    this.bySet.set(c, c);
    return c;
  }
}

function startsWith(findings: readonly WireFinding[], prefix: readonly WireFinding[]): boolean {
  if (findings.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (findings[i] !== prefix[i]) return false;
  return true;
}

/** The findings after the class's own (which `findings` starts with), outside it, each once. */
function rest(findings: readonly WireFinding[], c: FindingClass): readonly WireFinding[] {
  const n = c.findings.length;
  if (n === findings.length) return [];
  const after = findings.slice(n);
  return after.some((f) => c.has.has(f)) || new Set(after).size !== after.length
    ? dedupe(after, c.has)
    : after;
}

function covers(reported: ReadonlySet<WireFinding>, c: FindingClass): boolean {
  for (const f of c.findings) if (!reported.has(f)) return false;
  return true;
}

/** The findings outside `set`, each once. */
function dedupe(findings: readonly WireFinding[], set: ReadonlySet<WireFinding>): WireFinding[] {
  const out: WireFinding[] = [];
  const seen = new Set<WireFinding>();
  for (const f of findings)
    if (!set.has(f) && !seen.has(f)) {
      seen.add(f);
      out.push(f);
    }
  return out;
}
