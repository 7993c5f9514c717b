// Builds the cluster report from every node's latest agent snapshot, the Node objects and kubelet's
// pull-failure events. Pure: the collector passes its state in and serves what comes out.
//
// Dedupe: agents give each finding a `key` that is the same on every node for the same problem
// (id + scope + subject), so a mirror outage seen by 500 nodes is one problem with 500 witnesses.
import { admissionFindings } from '../admission/findings.js';
import { causesOf } from '../causes/build-causes.js';
import type { ImageFailure } from '../causes/types.js';
import type { Severity } from '../findings/types.js';
import type { WireFinding } from '../../protocol/messages.js';
import { catalogueFix, catalogueSeverity, SEVERITY_RANK } from './catalogue-lookup.js';
import { findDrift, type NodeDrift } from './config-drift.js';
import { percentile } from './percentile.js';
import type {
  AgentState,
  ClusterInput,
  ClusterReport,
  ImageReport,
  MirrorReport,
  NodeInput,
  NodeReport,
  PullEvent,
  ReportFinding,
} from './types.js';
import { nodeRuntimeVersion, versionSkew } from './version-skew.js';
import type { Witnesses } from './witnesses.js';

/** Agent finding ids that mean "this mirror lacks the image" / "serves an old copy of it". */
const MISSING_IDS = new Set(['mirror-manifest-missing']);
const STALE_IDS = new Set(['mirror-stale-tag', 'mirror-digest-mismatch']);
const AUTH_OUTCOMES = new Set(['unauthorized', 'denied']);
const TLS_OUTCOMES = new Set(['tls-untrusted']);
const MAX_EVENT_TEXT = 600;
const NO_EVENTS: readonly PullEvent[] = [];

type AnyFinding = WireFinding | ReportFinding;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function collectorFinding(
  id: string,
  key: string,
  message: string,
  extra: { node?: string; host?: string | null; image?: string | null; fix?: string } = {},
): ReportFinding {
  return {
    id,
    severity: catalogueSeverity(id),
    message,
    fix: extra.fix ?? catalogueFix(id),
    key,
    ...(extra.node !== undefined ? { node: extra.node } : {}),
    ...(extra.host !== undefined ? { host: extra.host } : {}),
    ...(extra.image !== undefined ? { image: extra.image } : {}),
  };
}

function agentState(node: NodeInput, input: ClusterInput): AgentState {
  const agent = node.agent;
  if (agent === null) return 'missing';
  if (input.nowMs - agent.lastSeenMs > input.silentAfterMs) return 'silent';
  return agent.connected ? 'connected' : 'disconnected';
}

/** MCO-based findings that explain a node's differing files better than the pool-majority guess. */
const EXPLAINS_DRIFT = new Set(['mirror-config-not-rolled-out', 'pool-paused', 'mirror-config-drift']);

/** The cluster-intent findings as report findings, and which of them concern each node. */
function intentFindings(input: ClusterInput): {
  readonly problems: { readonly finding: ReportFinding; readonly nodes: readonly string[] }[];
  readonly byNode: Map<string, ReportFinding[]>;
} {
  const problems: { finding: ReportFinding; nodes: readonly string[] }[] = [];
  const byNode = new Map<string, ReportFinding[]>();
  for (const f of [...(input.intent?.findings ?? []), ...(input.collectorFindings ?? [])]) {
    const finding: ReportFinding = {
      ...collectorFinding(f.id, f.key, f.message, {
        ...(f.fix === undefined ? {} : { fix: f.fix }),
        ...(f.image === undefined ? {} : { image: f.image }),
        ...(f.host === undefined ? {} : { host: f.host }),
      }),
      scope: f.scope ?? null,
      file: f.file ?? null,
      line: f.line ?? null,
    };
    problems.push({ finding, nodes: f.nodes });
    for (const node of f.nodes) {
      const list = byNode.get(node);
      if (list === undefined) byNode.set(node, [finding]);
      else list.push(finding);
    }
  }
  return { problems, byNode };
}

function nodeFindings(
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

function emptyCounts(): Record<Severity, number> {
  return { error: 0, warning: 0, info: 0 };
}

interface MirrorAcc {
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

function mirrorAcc(mirrors: Map<string, MirrorAcc>, host: string): MirrorAcc {
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

interface ImageAcc {
  failing: string[];
  pulling: number;
  sources: Map<string | null, string[]>;
  keys: Set<string>;
}

function bySeverityThenWitnesses(a: ReportFinding, b: ReportFinding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    (b.witnesses ?? 1) - (a.witnesses ?? 1) ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  );
}

function asProblem(f: AnyFinding, nodes: string[]): ReportFinding {
  return {
    id: f.id,
    severity: f.severity,
    message: f.message,
    fix: f.fix,
    key: f.key,
    file: f.file ?? null,
    line: f.line ?? null,
    scope: f.scope ?? null,
    image: f.image ?? null,
    host: f.host ?? null,
    nodes,
    witnesses: nodes.length,
    ...(f.stale === undefined ? {} : { stale: f.stale }),
  };
}

/** Problems built from an unchanged witness set are reused by the next build. */
const problemCache = new WeakMap<
  WireFinding,
  { readonly version: number; readonly problem: ReportFinding }
>();

function witnessesFrom(nodes: readonly NodeInput[]): Map<WireFinding, Witnesses> {
  const index = new Map<WireFinding, { nodes: Set<string>; version: number }>();
  for (const n of nodes)
    for (const f of n.agent?.findings ?? []) {
      const entry = index.get(f);
      if (entry === undefined) index.set(f, { nodes: new Set([n.name]), version: -1 });
      else entry.nodes.add(n.name);
    }
  return index;
}

/** Severity counts of one node's agent findings, cached per findings array (unchanged between builds). */
const countsCache = new WeakMap<readonly WireFinding[], Readonly<Record<Severity, number>>>();

function countFindings(findings: readonly WireFinding[]): Readonly<Record<Severity, number>> {
  const cached = countsCache.get(findings);
  if (cached !== undefined) return cached;
  const counts = emptyCounts();
  for (let i = 0; i < findings.length; i++) counts[findings[i]!.severity]++;
  countsCache.set(findings, counts);
  return counts;
}

/** Pods using an image on a node: the pod informer's count, else the pods of kubelet's pull events. */
function podCounter(input: ClusterInput): (image: string, node: string | null) => number {
  const fromEvents = new Map<string, Set<string>>();
  for (const e of input.events) {
    const id = `${e.node}\0${e.image}`;
    const pods = fromEvents.get(id);
    if (pods === undefined) fromEvents.set(id, new Set([`${e.namespace}/${e.pod}`]));
    else pods.add(`${e.namespace}/${e.pod}`);
  }
  return (image, node) => {
    if (node === null) return 0;
    return input.pods?.get(node)?.get(image) ?? fromEvents.get(`${node}\0${image}`)?.size ?? 0;
  };
}

export function buildReport(input: ClusterInput): ClusterReport {
  const eventsByNode = new Map<string, PullEvent[]>();
  for (const e of input.events) {
    const list = eventsByNode.get(e.node);
    if (list === undefined) eventsByNode.set(e.node, [e]);
    else list.push(e);
  }
  const intent = intentFindings(input);
  // Version skew is the pool's problem, witnessed by the nodes of every version involved.
  for (const { finding, nodes } of versionSkew(input.nodes)) {
    intent.problems.push({ finding, nodes });
    for (const node of nodes) {
      const list = intent.byNode.get(node);
      if (list === undefined) intent.byNode.set(node, [finding]);
      else list.push(finding);
    }
  }
  const drift = findDrift(
    input.nodes.flatMap((n) =>
      n.agent === null
        ? []
        : [{ name: n.name, pool: n.pool, configHash: n.agent.configHash, files: n.agent.files }],
    ),
  );
  for (const name of [...drift.keys()])
    if (intent.byNode.get(name)?.some((f) => EXPLAINS_DRIFT.has(f.id))) drift.delete(name);

  const mirrors = new Map<string, MirrorAcc>();
  const images = new Map<string, ImageAcc>();
  const totals = emptyCounts();
  const nodeReports: NodeReport[] = [];
  let nodesSilent = 0;
  let nodesWithoutAgent = 0;
  let nodesWithErrors = 0;

  // The collector's own findings (fresh objects every build) are gathered here; the agents' come
  // from the witness index.
  const ownWitnesses = new Map<ReportFinding, string[]>();
  const witness = (f: ReportFinding, node: string): void => {
    const nodes = ownWitnesses.get(f);
    if (nodes === undefined) ownWitnesses.set(f, [node]);
    else nodes.push(node);
  };
  const bump = (map: Map<string, number>, image: string, nodes: number): void => {
    map.set(image, (map.get(image) ?? 0) + nodes);
  };

  for (const node of input.nodes) {
    const state = agentState(node, input);
    if (state === 'silent') nodesSilent++;
    if (state === 'missing') nodesWithoutAgent++;
    const own = nodeFindings(
      node,
      state,
      drift.get(node.name),
      eventsByNode.get(node.name) ?? NO_EVENTS,
      input,
    );
    const agentFindings = node.agent?.findings ?? [];
    const counts = { ...countFindings(agentFindings) };
    for (const f of own) {
      counts[f.severity]++;
      witness(f, node.name);
    }
    const fromIntent = intent.byNode.get(node.name) ?? [];
    for (const f of fromIntent) counts[f.severity]++;
    if (fromIntent.length > 0) own.push(...fromIntent);
    totals.error += counts.error;
    totals.warning += counts.warning;
    totals.info += counts.info;
    if (counts.error > 0) nodesWithErrors++;

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
    for (const status of node.agent?.images ?? []) {
      let acc = images.get(status.image);
      if (acc === undefined) {
        acc = { failing: [], pulling: 0, sources: new Map(), keys: new Set() };
        images.set(status.image, acc);
      }
      if (status.pullable) acc.pulling++;
      else acc.failing.push(node.name);
      const src = status.pullable ? status.source : null;
      const list = acc.sources.get(src);
      if (list === undefined) acc.sources.set(src, [node.name]);
      else list.push(node.name);
      for (const k of status.findingKeys) acc.keys.add(k);
    }

    const d = drift.get(node.name);
    nodeReports.push({
      name: node.name,
      pool: node.pool,
      agent: state,
      configHash: node.agent?.configHash ?? null,
      lastSeen: node.agent === null ? null : new Date(node.agent.lastSeenMs).toISOString(),
      runtimeVersion: nodeRuntimeVersion(node),
      counts,
      findings: own.length === 0 ? agentFindings : [...own, ...agentFindings],
      drift:
        d === undefined
          ? null
          : { majorityHash: d.majorityHash, nodesInPool: d.nodesInPool, differingFiles: d.differingFiles },
    });
  }

  // key → problem. Several objects share a key when agents word the same problem differently (or
  // send it twice); their witnesses are merged into a new problem object.
  const groups = new Map<string, ReportFinding>();
  const merged = new Map<string, Set<string>>();
  /** Adds a problem; false when its key is already taken (then `mergeInto` does the work). */
  const addProblem = (problem: ReportFinding): boolean => {
    if (groups.has(problem.key)) return false;
    groups.set(problem.key, problem);
    return true;
  };
  const mergeInto = (key: string, nodes: Iterable<string>): void => {
    const existing = groups.get(key)!;
    let seen = merged.get(key);
    if (seen === undefined) merged.set(key, (seen = new Set(existing.nodes)));
    for (const n of nodes) seen.add(n);
    groups.set(key, { ...existing, nodes: [...seen], witnesses: seen.size });
  };
  // forEach, not for-of: no iterator result or entry array per finding (100,000s per build).
  (input.agentWitnesses ?? witnessesFrom(input.nodes)).forEach((w, f) => {
    // What a mirror lacks or serves stale, counted from the finding's witnesses.
    if (f.host !== null && f.host !== undefined && f.image !== null && f.image !== undefined) {
      if (MISSING_IDS.has(f.id)) bump(mirrorAcc(mirrors, f.host).missing, f.image, w.nodes.size);
      else if (STALE_IDS.has(f.id)) bump(mirrorAcc(mirrors, f.host).stale, f.image, w.nodes.size);
    }
    if (groups.has(f.key)) {
      mergeInto(f.key, w.nodes);
      return;
    }
    const cached = w.version >= 0 ? problemCache.get(f) : undefined;
    if (cached !== undefined && cached.version === w.version) addProblem(cached.problem);
    else {
      const problem = asProblem(f, [...w.nodes]);
      if (w.version >= 0) problemCache.set(f, { version: w.version, problem });
      addProblem(problem);
    }
  });
  ownWitnesses.forEach((nodes, f) => {
    if (!addProblem(asProblem(f, nodes))) mergeInto(f.key, nodes);
  });
  for (const { finding, nodes } of intent.problems)
    if (!addProblem(asProblem(finding, [...nodes]))) mergeInto(finding.key, nodes);

  // Collector-level mirror problems: one finding per host and kind, its witnesses the failing nodes.
  for (const [host, m] of mirrors) {
    const kinds: [string, string[], string][] = [
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
      if (!addProblem(asProblem(first, nodes))) mergeInto(first.key, nodes);
    }
  }

  const problems = [...groups.values()].sort(bySeverityThenWitnesses);
  const problemsByHost = new Map<string, ReportFinding[]>();
  const problemsByImage = new Map<string, ReportFinding[]>();
  for (const p of problems) {
    if (p.host !== null && p.host !== undefined) {
      const list = problemsByHost.get(p.host);
      if (list === undefined) problemsByHost.set(p.host, [p]);
      else list.push(p);
    }
    if (p.image !== null && p.image !== undefined) {
      const list = problemsByImage.get(p.image);
      if (list === undefined) problemsByImage.set(p.image, [p]);
      else list.push(p);
    }
  }

  const mirrorReports: MirrorReport[] = [...mirrors.entries()].map(([host, m]) => {
    const sorted = m.latencies.sort((a, b) => a - b);
    const counted = (map: Map<string, number>) =>
      [...map.entries()]
        .map(([image, nodes]) => ({ image, nodes }))
        .sort((a, b) => b.nodes - a.nodes || (a.image < b.image ? -1 : 1));
    return {
      host,
      nodesProbed: m.probed,
      nodesReachable: m.reachable,
      nodesFailing: m.failing.length,
      failing: m.failing,
      latencyMs: sorted.length === 0 ? null : { p50: percentile(sorted, 50), p95: percentile(sorted, 95) },
      authFailures: m.auth.length,
      tlsFailures: m.tls.length,
      imagesMissing: counted(m.missing),
      imagesStale: counted(m.stale),
      findings: problemsByHost.get(host) ?? [],
    };
  });
  mirrorReports.sort(
    (a, b) =>
      Number(b.nodesFailing > 0 || b.findings.length > 0) -
        Number(a.nodesFailing > 0 || a.findings.length > 0) || (a.host < b.host ? -1 : 1),
  );

  const imageEvents = new Map<string, PullEvent[]>();
  for (const e of input.events) {
    const list = imageEvents.get(e.image);
    if (list === undefined) imageEvents.set(e.image, [e]);
    else list.push(e);
    if (!images.has(e.image))
      images.set(e.image, { failing: [], pulling: 0, sources: new Map(), keys: new Set() });
  }
  const imageReports: ImageReport[] = [...images.entries()].map(([image, acc]) => {
    const findings = new Map<string, ReportFinding>();
    for (const p of problemsByImage.get(image) ?? []) findings.set(p.key, p);
    for (const k of acc.keys) {
      const p = groups.get(k);
      if (p !== undefined) findings.set(k, p);
    }
    return {
      image,
      nodesFailing: acc.failing,
      nodesPulling: acc.pulling,
      sources: [...acc.sources.entries()]
        .map(([source, nodes]) => ({ source, nodes }))
        .sort((a, b) => b.nodes.length - a.nodes.length),
      findings: [...findings.values()].sort(bySeverityThenWitnesses),
      events: imageEvents.get(image) ?? [],
    };
  });
  imageReports.sort(
    (a, b) =>
      b.nodesFailing.length - a.nodesFailing.length ||
      b.events.length - a.events.length ||
      (a.image < b.image ? -1 : 1),
  );

  nodeReports.sort(
    (a, b) =>
      b.counts.error - a.counts.error || b.counts.warning - a.counts.warning || (a.name < b.name ? -1 : 1),
  );

  // What explains each image's failures, across nodes (the keys in the order the nodes gave them).
  const failures: ImageFailure[] = [];
  for (const [image, acc] of images)
    if (acc.failing.length > 0) failures.push({ image, node: null, keys: [...acc.keys] });
  // Admission refusals (collector --admission) are causes too: the pod never reaches a pull.
  const admission = input.admission
    ? admissionFindings(input.admission).map((f) => ({ ...f, host: null, nodes: [], witnesses: 0 }))
    : [];
  const causes = causesOf({ findings: [...problems, ...admission], failures, pods: podCounter(input) });

  return {
    schemaVersion: 1,
    generatedAt: new Date(input.nowMs).toISOString(),
    causes,
    summary: {
      nodes: nodeReports.length,
      nodesWithAgent: nodeReports.length - nodesWithoutAgent,
      nodesSilent,
      nodesWithoutAgent,
      nodesWithErrors,
      nodesDrifted: drift.size,
      mirrors: mirrorReports.length,
      mirrorsFailing: mirrorReports.filter((m) => m.nodesFailing > 0).length,
      imagesFailing: imageReports.filter((i) => i.nodesFailing.length > 0 || i.events.length > 0).length,
      problems: problems.length,
      findings: totals,
    },
    problems,
    mirrors: mirrorReports,
    images: imageReports,
    nodes: nodeReports,
    rollout: input.intent?.rollout ?? null,
    admission: input.admission ?? null,
  };
}
