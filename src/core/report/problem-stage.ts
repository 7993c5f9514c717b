// Report build, stage "problems": every distinct problem once, keyed by the finding's `key`, with
// the nodes that witness it. Several findings share a key when agents word the same problem
// differently (or send it twice): their witnesses are merged into one problem.
import type { FindingId } from '../findings/catalogue.js';
import type { NodeFinding } from '../findings/types.js';
import type { MirrorAcc } from './node-stage.js';
import { mirrorAcc } from './node-stage.js';
import type { ReportMemo } from './report-memo.js';
import { asProblem, collectorFinding, type AnyFinding } from './report-findings.js';
import type { NodeInput, ReportFinding } from './types.js';
import type { FindingWitnesses } from './witnesses.js';

/** Agent finding ids that mean "this mirror lacks the image" / "serves an old copy of it". */
const MISSING_IDS: ReadonlySet<string> = new Set<FindingId>(['mirror-manifest-missing']);
const STALE_IDS: ReadonlySet<string> = new Set<FindingId>(['mirror-stale-tag', 'mirror-digest-mismatch']);

export class ProblemGroups {
  /** key → problem */
  readonly byKey = new Map<string, ReportFinding>();
  private readonly merged = new Map<string, Set<string>>();

  /** `stable` gives a problem made afresh the identity of an equal one of the last build. */
  constructor(private readonly stable: (problem: ReportFinding) => ReportFinding = (p) => p) {}

  /** Adds a problem; false when its key is already taken (then `mergeInto` does the work). */
  add(problem: ReportFinding): boolean {
    if (this.byKey.has(problem.key)) return false;
    this.byKey.set(problem.key, problem);
    return true;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  mergeInto(key: string, nodes: Iterable<string>): void {
    const existing = this.byKey.get(key)!;
    let seen = this.merged.get(key);
    if (seen === undefined) this.merged.set(key, (seen = new Set(existing.nodes)));
    for (const n of nodes) seen.add(n);
    this.byKey.set(key, this.stable({ ...existing, nodes: [...seen], witnesses: seen.size }));
  }

  /** Adds a problem built from `finding`, or merges its witnesses into the one with its key. */
  addOrMerge(finding: AnyFinding, nodes: readonly string[]): void {
    if (!this.add(this.stable(asProblem(finding, nodes)))) this.mergeInto(finding.key, nodes);
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
  return { forEach: (visit) => index.forEach((nodes, f) => visit(f, [...nodes], -1)) };
}

function bump(map: Map<string, number>, image: string, nodes: number): void {
  map.set(image, (map.get(image) ?? 0) + nodes);
}

/** The agents' findings as problems; also counts, per mirror, the images it lacks or serves stale. */
export function addAgentProblems(
  groups: ProblemGroups,
  witnesses: FindingWitnesses,
  mirrors: Map<string, MirrorAcc>,
  memo: ReportMemo,
): void {
  witnesses.forEach((f, nodes, version) => {
    if (f.host !== null && f.host !== undefined && f.image !== null && f.image !== undefined) {
      if (MISSING_IDS.has(f.id)) bump(mirrorAcc(mirrors, f.host).missing, f.image, nodes.length);
      else if (STALE_IDS.has(f.id)) bump(mirrorAcc(mirrors, f.host).stale, f.image, nodes.length);
    }
    const cached = version >= 0 ? memo.problem(f, version, nodes.length) : undefined;
    if (cached !== undefined) {
      if (!groups.add(cached)) groups.mergeInto(f.key, nodes);
      return;
    }
    if (groups.has(f.key)) {
      groups.mergeInto(f.key, nodes);
      return;
    }
    // The index's node arrays are frozen and shared (one per class): the problem may hold them as they are.
    const problem = asProblem(f, nodes);
    if (version >= 0) memo.rememberProblem(f, version, problem);
    groups.add(problem);
  });
}

/** Collector-level mirror problems: one finding per host and kind, its witnesses the failing nodes. */
export function addMirrorProblems(groups: ProblemGroups, mirrors: ReadonlyMap<string, MirrorAcc>): void {
  for (const [host, m] of mirrors) {
    const kinds: [FindingId, string[], string][] = [
      ['mirror-unreachable-from-nodes', m.unreachable, 'cannot reach'],
      ['mirror-auth-failing', m.auth, 'are refused by'],
      ['mirror-tls-failing', m.tls, 'do not trust the TLS certificate of'],
    ];
    for (const [id, nodes, verb] of kinds) {
      if (nodes.length === 0) continue;
      const first = collectorFinding(
        id,
        `${id}:${host}`,
        `${nodes.length} of the ${m.probed} nodes that probed ${host} ${verb} it.`,
        { host },
      );
      groups.addOrMerge(first, nodes);
    }
  }
}
