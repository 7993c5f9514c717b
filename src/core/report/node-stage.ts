// Report build, stage "nodes": one pass over the nodes gives each its entry (state, counts, findings)
// and gathers what the later stages aggregate: probes per mirror, statuses per image, and the
// collector's own findings with the nodes they concern.
import type { Severity } from '../findings/types.js';
import type { NodeFinding } from '../findings/types.js';
import type { NodeDrift } from './config-drift.js';
import type { ImageStatus } from '../node-state.js';
import type { ReportMemo } from './report-memo.js';
import { collectorFinding, pushTo } from './report-findings.js';
import type {
  AgentState,
  ClusterInput,
  FindingClassReport,
  FindingSet,
  NodeInput,
  NodeReport,
  PullEvent,
  ReportFinding,
} from './types.js';
import { nodeRuntimeVersion } from './version-skew.js';

const AUTH_OUTCOMES = new Set(['unauthorized', 'denied']);
const TLS_OUTCOMES = new Set(['tls-untrusted']);
const MAX_EVENT_TEXT = 600;
const NO_EVENTS: readonly PullEvent[] = [];

export interface MirrorAcc {
  probed: number;
  reachable: number;
  failing: { node: string; outcome: string }[];
  latencies: number[];
  auth: string[];
  tls: string[];
  unreachable: string[];
  missing: Map<string, number>;
  stale: Map<string, number>;
}

export interface ImageAcc {
  failing: string[];
  pulling: number;
  sources: Map<string | null, string[]>;
  keys: Set<string>;
}

export function mirrorAcc(mirrors: Map<string, MirrorAcc>, host: string): MirrorAcc {
  let m = mirrors.get(host);
  if (m === undefined) {
    m = {
      probed: 0,
      reachable: 0,
      failing: [],
      latencies: [],
      auth: [],
      tls: [],
      unreachable: [],
      missing: new Map(),
      stale: new Map(),
    };
    mirrors.set(host, m);
  }
  return m;
}

export function imageAcc(images: Map<string, ImageAcc>, image: string): ImageAcc {
  let acc = images.get(image);
  if (acc === undefined) {
    acc = { failing: [], pulling: 0, sources: new Map(), keys: new Set() };
    images.set(image, acc);
  }
  return acc;
}

export interface NodeStage {
  readonly nodes: NodeReport[];
  /** The classes shared by two nodes or more, largest first. */
  readonly classes: FindingClassReport[];
  readonly mirrors: Map<string, MirrorAcc>;
  readonly images: Map<string, ImageAcc>;
  /** The collector's own findings about nodes (fresh objects every build) and their witnesses. */
  readonly ownWitnesses: Map<ReportFinding, string[]>;
  readonly totals: Record<Severity, number>;
  readonly silent: number;
  readonly withoutAgent: number;
  readonly withErrors: number;
}

/** What the cluster-level stage found about each node (intent, version skew), and the drift left unexplained. */
export interface NodeContext {
  readonly clusterFindingsOf: (node: string) => readonly ReportFinding[];
  readonly drift: ReadonlyMap<string, NodeDrift>;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function emptyCounts(): Record<Severity, number> {
  return { error: 0, warning: 0, info: 0 };
}

function agentState(node: NodeInput, input: ClusterInput): AgentState {
  const agent = node.agent;
  if (agent === null) return 'missing';
  if (input.nowMs - agent.lastSeenMs > input.silentAfterMs) return 'silent';
  return agent.connected ? 'connected' : 'disconnected';
}

/** How many of `findings` are of each severity. */
export function severityCounts(
  findings: readonly { readonly severity: Severity }[],
): Record<Severity, number> {
  const counts = emptyCounts();
  for (let i = 0; i < findings.length; i++) counts[findings[i]!.severity]++;
  return counts;
}

function countFindings(
  findings: readonly NodeFinding[],
  memo: ReportMemo,
): Readonly<Record<Severity, number>> {
  const cached = memo.counts(findings);
  if (cached !== undefined) return cached;
  const counts = severityCounts(findings);
  memo.rememberCounts(findings, counts);
  return counts;
}

/** The collector's own findings about one node: its agent's state, drift, kubelet's pull failures. */
function ownFindings(
  node: NodeInput,
  state: AgentState,
  drift: NodeDrift | undefined,
  events: readonly PullEvent[],
  input: ClusterInput,
): ReportFinding[] {
  const out: ReportFinding[] = [];
  const name = node.name;
  if (state === 'missing' && node.registered)
    out.push(
      collectorFinding(
        'agent-missing',
        `agent-missing:${name}`,
        `No mirrorscope agent has reported from node ${name}.`,
        { node: name },
      ),
    );
  if (state === 'silent') {
    const minutes = Math.round((input.nowMs - node.agent!.lastSeenMs) / 60_000);
    out.push(
      collectorFinding(
        'agent-silent',
        `agent-silent:${name}`,
        `The agent on node ${name} has been silent since ${new Date(node.agent!.lastSeenMs).toISOString()} (${minutes} min); its findings below may be out of date.`,
        { node: name },
      ),
    );
  }
  if (drift !== undefined) {
    const files = drift.differingFiles.length > 0 ? `: ${drift.differingFiles.join(', ')} differ` : '';
    out.push(
      collectorFinding(
        'node-config-drift',
        `node-config-drift:${drift.pool}:${drift.majorityHash}`,
        `Node ${name} runs a registries configuration (hash ${node.agent!.configHash.slice(0, 12)}) other than ${drift.majorityNodes} of the ${drift.nodesInPool} nodes of pool ${drift.pool} (hash ${drift.majorityHash.slice(0, 12)})${files}.`,
        { node: name },
      ),
    );
  }
  for (const event of events) {
    const status = node.agent?.images.find((i) => i.image === event.image);
    const simulation =
      status === undefined
        ? 'mirrorscope has not simulated this image on the node yet'
        : status.pullable
          ? `mirrorscope's simulation of this node pulls it from ${status.source ?? 'a source'}: the failure is not explained by the registries configuration (transient, or a difference between the simulation and the node)`
          : `mirrorscope's simulation of this node agrees that no source serves it`;
    for (const c of event.candidates) {
      const where = c.reference ?? c.host ?? 'the registry';
      out.push(
        collectorFinding(
          c.findingId,
          `event:${c.findingId}:${c.host ?? ''}:${event.image}`,
          `kubelet on ${name} failed to pull ${event.image} (pod ${event.namespace}/${event.pod}, ${event.count}×, last ${event.lastSeen}): ${where}: ${clip(c.error, MAX_EVENT_TEXT)}. ${simulation}.`,
          { node: name, host: c.host, image: event.image },
        ),
      );
    }
  }
  return out;
}

function addProbes(mirrors: Map<string, MirrorAcc>, node: NodeInput): void {
  for (const probe of node.agent?.hosts ?? []) {
    const m = mirrorAcc(mirrors, probe.host);
    m.probed++;
    if (probe.reachable) m.reachable++;
    if (probe.latencyMs !== null) m.latencies.push(probe.latencyMs);
    const authFail = AUTH_OUTCOMES.has(probe.outcome);
    const tlsFail = TLS_OUTCOMES.has(probe.outcome);
    if (authFail) m.auth.push(node.name);
    if (tlsFail) m.tls.push(node.name);
    if (!probe.reachable && !authFail && !tlsFail) m.unreachable.push(node.name);
    if (!probe.reachable || authFail || tlsFail || probe.outcome === 'error')
      m.failing.push({ node: node.name, outcome: probe.outcome });
  }
}

/** An image status with where it counts: its image's accumulator and the list of its source's nodes. */
interface PlacedStatus {
  readonly pullable: boolean;
  readonly acc: ImageAcc;
  readonly sourceNodes: string[];
}

/**
 * Adds each node's image statuses. Nodes of a pool share one list of statuses (the store interns
 * them): each list is placed once — accumulators found, finding keys added — and each node then only
 * adds its name.
 */
class ImageAdder {
  private readonly placed = new Map<readonly ImageStatus[], readonly PlacedStatus[]>();

  constructor(private readonly images: Map<string, ImageAcc>) {}

  add(node: NodeInput): void {
    const statuses = node.agent?.images;
    if (statuses === undefined || statuses.length === 0) return;
    let placed = this.placed.get(statuses);
    if (placed === undefined) this.placed.set(statuses, (placed = statuses.map((s) => this.place(s))));
    for (const { pullable, acc, sourceNodes } of placed) {
      if (pullable) acc.pulling++;
      else acc.failing.push(node.name);
      sourceNodes.push(node.name);
    }
  }

  private place(status: ImageStatus): PlacedStatus {
    const acc = imageAcc(this.images, status.image);
    for (const k of status.findingKeys) acc.keys.add(k);
    const source = status.pullable ? status.source : null;
    let sourceNodes = acc.sources.get(source);
    if (sourceNodes === undefined) acc.sources.set(source, (sourceNodes = []));
    return { pullable: status.pullable, acc, sourceNodes };
  }
}

/** The nodes of each class (a class of one node is no class to show: its node lists its findings). */
function classMembers(nodes: readonly NodeInput[]): Map<FindingSet, NodeInput[]> {
  const members = new Map<FindingSet, NodeInput[]>();
  for (const n of nodes) {
    const set = n.agent?.findingClass ?? null;
    if (set !== null && set.findings.length > 0) pushTo(members, set, n);
  }
  for (const [set, list] of members) if (list.length < 2) members.delete(set);
  return members;
}

function classReports(members: ReadonlyMap<FindingSet, NodeInput[]>, memo: ReportMemo): FindingClassReport[] {
  const out: FindingClassReport[] = [];
  for (const [set, nodes] of members)
    out.push({
      id: set.id,
      nodes: nodes.length,
      pools: [...new Set(nodes.map((n) => n.pool))].sort((a, b) =>
        a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1,
      ),
      counts: countFindings(set.findings, memo),
      findings: set.findings,
    });
  return out.sort((a, b) => b.nodes - a.nodes || (a.id < b.id ? -1 : 1));
}

/** What a node's entry lists of its agent's findings, and their counts (its class's included). */
function agentPart(
  node: NodeInput,
  shown: ReadonlyMap<FindingSet, unknown>,
  memo: ReportMemo,
): { findings: readonly NodeFinding[]; counts: Record<Severity, number>; shownClass: FindingSet | null } {
  const agent = node.agent;
  if (agent === null) return { findings: [], counts: emptyCounts(), shownClass: null };
  const set = agent.findingClass ?? null;
  if (set === null)
    return { findings: agent.findings, counts: { ...countFindings(agent.findings, memo) }, shownClass: null };
  const extras = agent.extraFindings ?? [];
  const counts = { ...countFindings(set.findings, memo) };
  const own = agent.extraCounts ?? countFindings(extras, memo);
  counts.error += own.error;
  counts.warning += own.warning;
  counts.info += own.info;
  if (shown.has(set)) return { findings: extras, counts, shownClass: set };
  return {
    findings: extras.length === 0 ? set.findings : [...set.findings, ...extras],
    counts,
    shownClass: null,
  };
}

export function nodeStage(input: ClusterInput, context: NodeContext, memo: ReportMemo): NodeStage {
  const eventsByNode = new Map<string, PullEvent[]>();
  for (const e of input.events) pushTo(eventsByNode, e.node, e);
  const members = classMembers(input.nodes);
  const stage: NodeStage = {
    nodes: [],
    classes: classReports(members, memo),
    mirrors: new Map(),
    images: new Map(),
    ownWitnesses: new Map(),
    totals: emptyCounts(),
    silent: 0,
    withoutAgent: 0,
    withErrors: 0,
  };
  let silent = 0;
  let withoutAgent = 0;
  let withErrors = 0;
  const images = new ImageAdder(stage.images);
  for (const node of input.nodes) {
    const state = agentState(node, input);
    if (state === 'silent') silent++;
    if (state === 'missing') withoutAgent++;
    const drift = context.drift.get(node.name);
    const own = ownFindings(node, state, drift, eventsByNode.get(node.name) ?? NO_EVENTS, input);
    const { findings: agentFindings, counts, shownClass } = agentPart(node, members, memo);
    for (const f of own) {
      counts[f.severity]++;
      pushTo(stage.ownWitnesses, f, node.name);
    }
    const fromCluster = context.clusterFindingsOf(node.name);
    for (const f of fromCluster) counts[f.severity]++;
    if (fromCluster.length > 0) own.push(...fromCluster);
    stage.totals.error += counts.error;
    stage.totals.warning += counts.warning;
    stage.totals.info += counts.info;
    if (counts.error > 0) withErrors++;
    addProbes(stage.mirrors, node);
    images.add(node);
    stage.nodes.push({
      name: node.name,
      pool: node.pool,
      agent: state,
      configHash: node.agent?.configHash ?? null,
      lastSeen: node.agent === null ? null : new Date(node.agent.lastSeenMs).toISOString(),
      runtimeVersion: nodeRuntimeVersion(node),
      counts,
      findingClass: shownClass?.id ?? null,
      findings: own.length === 0 ? agentFindings : [...own, ...agentFindings],
      drift:
        drift === undefined
          ? null
          : {
              majorityHash: drift.majorityHash,
              nodesInPool: drift.nodesInPool,
              differingFiles: drift.differingFiles,
            },
    });
  }
  stage.nodes.sort(
    (a, b) =>
      b.counts.error - a.counts.error || b.counts.warning - a.counts.warning || (a.name < b.name ? -1 : 1),
  );
  return { ...stage, silent, withoutAgent, withErrors };
}
