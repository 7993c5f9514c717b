// Report build, stage "problems": every distinct problem once, keyed by the finding's `key`, with
// the nodes that witness it. Several findings share a key when agents word the same problem
// differently (or send it twice): their witnesses are merged into one problem.
import { evidenceKeyCarried } from '../causes/evidence.js';
import type { FindingId } from '../findings/catalogue.js';
import type { NodeFinding } from '../findings/types.js';
import type { MirrorAcc } from './node-stage.js';
import { mirrorAcc } from './node-stage.js';
import type { ReportMemo } from './report-memo.js';
import { SEVERITY_RANK } from '../findings/types.js';
import { asProblem, collectorFinding, type AnyFinding } from './report-findings.js';
import type { NodeInput, ReportFinding } from './types.js';
import type { FindingWitnesses } from './witnesses.js';

/** Agent finding ids that mean "this mirror lacks the image" / "serves an old copy of it". */
const MISSING_IDS: ReadonlySet<string> = new Set<FindingId>(['mirror-manifest-missing']);
const STALE_IDS: ReadonlySet<string> = new Set<FindingId>(['mirror-stale-tag', 'mirror-digest-mismatch']);

const WORDING_FIELDS = ['message', 'id', 'fix', 'file', 'line', 'scope', 'image', 'host', 'stale'] as const;

/** Most severe first, then by every field a problem shows: a total order on what findings say. */
function byWording(a: ReportFinding, b: ReportFinding): number {
  const bySeverity = SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity];
  if (bySeverity !== 0) return bySeverity;
  for (const field of WORDING_FIELDS) {
    const x = a[field] ?? null;
    const y = b[field] ?? null;
    if (x === y) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    return x < y ? -1 : 1;
  }
  return 0;
}

export class ProblemGroups {
  /**
   * Problems whose key no other has (most agent problems, 300,000 in a large cluster): listed, not
   * keyed, so a build makes no map of every key.
   */
  private readonly alone: ReportFinding[] = [];
  /** key → problem, for the others (keys several findings share, the collector's own problems). */
  private readonly byKey = new Map<string, ReportFinding>();
  /** Of `alone`, those whose key is asked for (`wanted`). */
  private readonly wantedAlone = new Map<string, ReportFinding>();
  /** Keys several problems merge into: the wording so far and every witness. */
  private readonly merged = new Map<string, { words: ReportFinding; readonly seen: Set<string> }>();
  private finished = false;

  /**
   * `stable` gives a problem made afresh the identity of an equal one of the last build; `wanted`
   * are the keys `get` will be asked for.
   */
  constructor(
    private readonly stable: (problem: ReportFinding) => ReportFinding = (p) => p,
    private readonly wanted: ReadonlySet<string> = new Set(),
  ) {}

  /** The keys `get` will be asked for. */
  get wantedKeys(): ReadonlySet<string> {
    return this.wanted;
  }

  /**
   * Adds a problem no other problem shares its key with (the caller knows). `maybeWanted` false:
   * the caller knows its key is not one of `wantedKeys`.
   */
  addAlone(problem: ReportFinding, maybeWanted = true): void {
    this.alone.push(problem);
    if (maybeWanted && this.wanted.has(problem.key)) this.wantedAlone.set(problem.key, problem);
  }

  /** Adds a problem; false when its key is already taken (then `mergeInto` does the work). */
  add(problem: ReportFinding): boolean {
    if (this.byKey.has(problem.key)) return false;
    this.byKey.set(problem.key, problem);
    return true;
  }

  /**
   * Merges `problem`'s witnesses into the one with its key. Which of them words the merged problem
   * does not depend on the order they come in (a build from nothing meets them in another order than
   * the index): the one first in `byWording`.
   */
  mergeInto(problem: ReportFinding, nodes: readonly string[]): void {
    const key = problem.key;
    let m = this.merged.get(key);
    if (m === undefined) {
      const existing = this.byKey.get(key)!;
      this.merged.set(key, (m = { words: existing, seen: new Set(existing.nodes) }));
    }
    for (const n of nodes) m.seen.add(n);
    if (byWording(problem, m.words) < 0) m.words = problem;
  }

  /**
   * Makes each merged problem once all its witnesses are in (a key 15,000 nodes word differently
   * merges 15,000 times: its node list is sorted once, not at every merge). Nothing is added after.
   */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.merged.forEach(({ words, seen }, key) =>
      this.byKey.set(key, this.stable({ ...words, nodes: [...seen].sort(), witnesses: seen.size })),
    );
  }

  /** Adds a problem built from `finding`, or merges its witnesses into the one with its key. */
  addOrMerge(finding: AnyFinding, nodes: readonly string[]): void {
    const problem = this.stable(asProblem(finding, nodes));
    if (!this.add(problem)) this.mergeInto(problem, nodes);
  }

  /** The problem with this key (among those added by key, and the wanted ones added alone). */
  get(key: string): ReportFinding | undefined {
    this.finish();
    return this.byKey.get(key) ?? this.wantedAlone.get(key);
  }

  /** Every problem. */
  all(): ReportFinding[] {
    this.finish();
    const out = this.alone;
    for (const p of this.byKey.values()) out.push(p);
    return out;
  }
}

/** Every finding a node's agent reports: its class's and its own. */
export function agentFindingsOf(node: NodeInput): readonly NodeFinding[] {
  const agent = node.agent;
  if (agent === null) return [];
  const set = agent.findingClass ?? null;
  return set === null ? agent.findings : [...set.findings, ...(agent.extraFindings ?? [])];
}

/** Which nodes report each agent finding, derived from the nodes (when the collector keeps no index). */
export function witnessesFrom(nodes: readonly NodeInput[]): FindingWitnesses {
  const index = new Map<NodeFinding, Set<string>>();
  for (const n of nodes)
    for (const f of agentFindingsOf(n)) {
      const entry = index.get(f);
      if (entry === undefined) index.set(f, new Set([n.name]));
      else entry.add(n.name);
    }
  const keys = new Map<string, number>();
  for (const f of index.keys()) keys.set(f.key, (keys.get(f.key) ?? 0) + 1);
  return {
    forEach: (visit) =>
      index.forEach((nodes, f) => visit(f, [...nodes], -1, null, keys.get(f.key)! > 1, true)),
  };
}

function bump(map: Map<string, number>, image: string, nodes: number): void {
  map.set(image, (map.get(image) ?? 0) + nodes);
}

/**
 * The agents' findings as problems; also counts, per mirror, the images it lacks or serves stale.
 * `collectorKeys`: the keys of the problems the collector adds after them (they merge by key too).
 */
export function addAgentProblems(
  groups: ProblemGroups,
  witnesses: FindingWitnesses,
  mirrors: Map<string, MirrorAcc>,
  memo: ReportMemo,
  collectorKeys: ReadonlySet<string>,
): void {
  // The keys this walk looks up: the index marks the findings that may have one of them.
  const watched = new Set([...collectorKeys, ...groups.wantedKeys]);
  witnesses.forEach((f, nodes, version, slot, keyShared, watchedKey) => {
    if (f.host !== null && f.host !== undefined && f.image !== null && f.image !== undefined) {
      if (MISSING_IDS.has(f.id)) bump(mirrorAcc(mirrors, f.host).missing, f.image, nodes.length);
      else if (STALE_IDS.has(f.id)) bump(mirrorAcc(mirrors, f.host).stale, f.image, nodes.length);
    }
    const alone = !keyShared && !(watchedKey && collectorKeys.has(f.key));
    const cached = slot === null ? undefined : memo.problem(slot, version, nodes.length);
    if (cached !== undefined) {
      if (alone) groups.addAlone(cached, watchedKey);
      else if (!groups.add(cached)) groups.mergeInto(cached, nodes);
      return;
    }
    // The index's node arrays are frozen and shared (one per class): the problem may hold them as they
    // are. Its evidence key, worked out as the index took the finding in, goes with it.
    const key =
      slot === null
        ? undefined
        : (slot.evidenceKey ?? (slot.problem === null ? undefined : evidenceKeyCarried(slot.problem)));
    const problem = asProblem(f, nodes, undefined, key);
    if (alone) groups.addAlone(problem, watchedKey);
    else if (!groups.add(problem)) {
      groups.mergeInto(problem, nodes);
      return;
    }
    if (slot !== null) memo.rememberProblem(slot, version, problem);
  }, watched);
}

/** Collector-level mirror problems: one finding per host and kind, its witnesses the failing nodes. */
export function mirrorProblems(
  mirrors: ReadonlyMap<string, MirrorAcc>,
): { readonly finding: ReportFinding; readonly nodes: readonly string[] }[] {
  const out: { finding: ReportFinding; nodes: readonly string[] }[] = [];
  for (const [host, m] of mirrors) {
    const kinds: [FindingId, string[], string][] = [
      ['mirror-unreachable-from-nodes', m.unreachable, 'cannot reach'],
      ['mirror-auth-failing', m.auth, 'are refused by'],
      ['mirror-tls-failing', m.tls, 'do not trust the TLS certificate of'],
    ];
    for (const [id, nodes, verb] of kinds) {
      if (nodes.length === 0) continue;
      const finding = collectorFinding(
        id,
        `${id}:${host}`,
        `${nodes.length} of the ${m.probed} nodes that probed ${host} ${verb} it.`,
        { host },
      );
      out.push({ finding, nodes });
    }
  }
  return out;
}
