// Each node's latest state as its agent reported it. Agents are the source of truth: a snapshot
// replaces everything known about the node, deltas patch it, and a restarted collector simply
// waits for agents to reconnect and send their snapshots. What is kept per node is bounded
// (NODE_LIMITS) across connections; what does not fit is dropped and said with an
// `agent-limit-exceeded` finding on the node.
import type {
  ConfigFileDigest,
  DeltaMessage,
  HelloMessage,
  HostProbe,
  ImageStatus,
  RuntimeInfo,
  SnapshotMessage,
  WireFinding,
} from '../protocol/messages.js';
import { finding } from '../core/check/finding.js';
import { SEVERITY_RANK, type Severity } from '../core/findings/types.js';
import { severityCounts } from '../core/report/node-stage.js';
import type { AgentView, FindingSet } from '../core/report/types.js';
import { WitnessIndex } from '../core/report/witnesses.js';
import { StringPool } from '../kube/string-pool.js';
import { FindingClasses } from './finding-classes.js';
import { FindingInterner } from './finding-interner.js';
import { ValueInterner } from './value-interner.js';
import {
  fileBytes,
  findingBytes,
  fit,
  hostBytes,
  imageBytes,
  NODE_LIMITS,
  type Fitted,
  type NodeLimit,
} from './node-limits.js';

interface AgentFields {
  connected: boolean;
  lastSeenMs: number;
  agentVersion: string;
  configHash: string;
  files: AgentView['files'];
  /** The configuration hash the files came with: hello announces a hash before its snapshot arrives. */
  filesHash: string | null;
  /** The class of what the agent reported and the limits let in, then the limit findings. */
  findingClass: FindingSet | null;
  /** Those of them outside the class. */
  extraFindings: readonly WireFinding[];
  hosts: readonly HostProbe[];
  images: readonly ImageStatus[];
  scanAt: string | null;
  runtime: RuntimeInfo | null;
  /** Connection generation: a late message from a replaced connection must not win. */
  connection: number;
  /** Limits that dropped something since the last snapshot (which starts afresh). */
  limitsHit: ReadonlySet<NodeLimit>;
  bytes: PartBytes;
}

/** A node's state; `findings` (every finding, class and own) is assembled only when asked for. */
class NodeState implements AgentFields, AgentView {
  connected!: boolean;
  lastSeenMs!: number;
  agentVersion!: string;
  configHash!: string;
  files!: AgentView['files'];
  filesHash!: string | null;
  findingClass!: FindingSet | null;
  private extras: readonly WireFinding[] = [];
  /** How many of `extraFindings` are of each severity, counted as they are set (while at hand). */
  extraCounts: Readonly<Record<Severity, number>> = severityCounts([]);
  hosts!: readonly HostProbe[];
  images!: readonly ImageStatus[];
  scanAt!: string | null;
  runtime!: RuntimeInfo | null;
  connection!: number;
  limitsHit!: ReadonlySet<NodeLimit>;
  bytes!: PartBytes;

  constructor(fields: AgentFields) {
    Object.assign(this, fields);
  }

  get extraFindings(): readonly WireFinding[] {
    return this.extras;
  }

  set extraFindings(findings: readonly WireFinding[]) {
    this.extras = findings;
    this.extraCounts = severityCounts(findings);
  }

  get findings(): readonly WireFinding[] {
    const set = this.findingClass;
    if (set === null) return this.extraFindings;
    return this.extraFindings.length === 0 ? set.findings : [...set.findings, ...this.extraFindings];
  }

  /** What the agent reported and the limits let in (without the limit findings). */
  get agentFindings(): readonly WireFinding[] {
    return this.limitsHit.size === 0 ? this.findings : this.findings.filter((f) => !LIMIT_SET.has(f));
  }
}

interface PartBytes {
  files: number;
  hosts: number;
  images: number;
  findings: number;
}

/** What the node's byte limit leaves for one part, given what the other parts already hold. */
function allowanceFor(b: PartBytes, part: keyof PartBytes): number {
  return NODE_LIMITS.bytes - (b.files + b.hosts + b.images + b.findings - b[part]);
}

function mergeBy<T>(current: readonly T[], updates: readonly T[], key: (t: T) => string): T[] {
  if (updates.length === 0) return current as T[];
  const byKey = new Map(current.map((t) => [key(t), t]));
  for (const u of updates) byKey.set(key(u), u);
  return [...byKey.values()];
}

// Interning keys are JSON arrays of every field: unambiguous whatever the strings hold, so no
// agent can make its value stand in for another node's.

/** Image statuses are usually identical on every node of a pool. */
function imageStatusKey(i: ImageStatus): string {
  return JSON.stringify([
    i.image,
    i.pullable,
    i.source,
    i.digest,
    i.findingKeys,
    i.resolution ?? null,
    i.sources ?? null,
  ]);
}

/** So are the probes of the pool's mirror hosts. */
function hostProbeKey(h: HostProbe): string {
  return JSON.stringify([h.host, h.reachable, h.outcome, h.latencyMs, h.probedAt]);
}

/** And the digests of the configuration files, list and all (a pool's nodes run one configuration). */
function fileListKey(files: readonly ConfigFileDigest[]): string {
  return JSON.stringify(files.map((f) => [f.path, f.sha256]));
}

/** No limit hit: one shared set rather than one per node. */
const NO_LIMITS: ReadonlySet<NodeLimit> = new Set();

const LIMIT_TEXT: Record<NodeLimit, string> = {
  findings: `more findings than the collector keeps for one node (${NODE_LIMITS.findings.toLocaleString('en-US')})`,
  hosts: `more registry hosts than the collector keeps for one node (${NODE_LIMITS.hosts.toLocaleString('en-US')})`,
  images: `more images than the collector keeps for one node (${NODE_LIMITS.images.toLocaleString('en-US')})`,
  bytes: `more data than the collector keeps for one node (${NODE_LIMITS.bytes / 1024 / 1024} MiB)`,
};

/** One shared object per limit, so every node that hits it witnesses the same problem. */
const LIMIT_FINDINGS = Object.fromEntries(
  (Object.keys(LIMIT_TEXT) as NodeLimit[]).map((limit) => [
    limit,
    Object.freeze<WireFinding>({
      key: `agent-limit-exceeded:${limit}`,
      ...finding(
        'agent-limit-exceeded',
        `The agent on this node sent ${LIMIT_TEXT[limit]}; the rest was dropped, so this node's entry in the report is incomplete.`,
        null,
        null,
        null,
      ),
      image: null,
      host: null,
    }),
  ]),
) as Record<NodeLimit, WireFinding>;
const LIMIT_SET: ReadonlySet<WireFinding> = new Set(Object.values(LIMIT_FINDINGS));

function limitFindings(hit: ReadonlySet<NodeLimit>): WireFinding[] {
  return [...hit].sort().map((l) => LIMIT_FINDINGS[l]);
}

function note(hit: Set<NodeLimit>, fitted: Fitted<unknown>, countLimit: NodeLimit): void {
  if (fitted.hit === 'count') hit.add(countLimit);
  else if (fitted.hit === 'bytes') hit.add('bytes');
}

/** Errors first, so that the findings that matter most are the ones kept when a list is cut. */
function mostSevereFirst(findings: readonly WireFinding[]): WireFinding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => SEVERITY_RANK[a.f.severity] - SEVERITY_RANK[b.f.severity] || a.i - b.i)
    .map((e) => e.f);
}

/** The last finding of each key (a delta naming a key twice means its latest version). */
function lastByKey(findings: readonly WireFinding[]): readonly WireFinding[] {
  const keys = new Set<string>();
  let duplicate = false;
  for (const f of findings) {
    if (keys.has(f.key)) duplicate = true;
    keys.add(f.key);
  }
  return duplicate ? [...new Map(findings.map((f) => [f.key, f])).values()] : findings;
}

export class NodeStore {
  private readonly nodes = new Map<string, NodeState>();
  private readonly classes = new FindingClasses();
  private readonly interner: FindingInterner;
  private readonly images = new ValueInterner(imageStatusKey);
  private readonly hostProbes = new ValueInterner(hostProbeKey);
  private readonly fileLists = new ValueInterner(fileListKey);
  /** A pool's nodes share their configuration hash and agent version: one string each, not one per node. */
  private readonly texts = new StringPool(10_000);
  /** Which nodes report each finding, kept current for the report; the interner finds nodes' own findings there. */
  readonly witnesses: WitnessIndex;
  private connections = 0;
  /** Increases on every state change the report can see. */
  version = 0;

  constructor() {
    this.witnesses = new WitnessIndex((f) => this.interner.release(f));
    this.interner = new FindingInterner(this.witnesses);
  }

  /** Registers a (re)connected agent; returns the connection id its later messages must carry. */
  hello(hello: HelloMessage, nowMs: number): number {
    const connection = ++this.connections;
    const previous = this.nodes.get(hello.node);
    this.nodes.set(
      hello.node,
      new NodeState({
        connected: true,
        lastSeenMs: nowMs,
        agentVersion: this.texts.get(hello.agentVersion),
        configHash: this.texts.get(hello.configHash),
        files: previous?.files ?? [],
        filesHash: previous?.filesHash ?? null,
        findingClass: previous?.findingClass ?? null,
        extraFindings: previous?.extraFindings ?? [],
        hosts: previous?.hosts ?? [],
        images: previous?.images ?? [],
        scanAt: previous?.scanAt ?? null,
        runtime: previous?.runtime ?? null,
        connection,
        limitsHit: previous?.limitsHit ?? NO_LIMITS,
        bytes: previous?.bytes ?? { files: 0, hosts: 0, images: 0, findings: 0 },
      }),
    );
    this.version++;
    return connection;
  }

  private current(node: string, connection: number): NodeState | undefined {
    const state = this.nodes.get(node);
    return state !== undefined && state.connection === connection ? state : undefined;
  }

  /** See FindingInterner.epoch. */
  get internerEpoch(): number {
    return this.interner.epoch;
  }

  /**
   * `interned`: every finding of the message is already the interner's shared copy, handed out in
   * the current interner epoch (a snapshot by reference, resolved from the digest table).
   */
  snapshot(
    node: string,
    connection: number,
    message: SnapshotMessage,
    nowMs: number,
    interned = false,
  ): boolean {
    const state = this.current(node, connection);
    if (state === undefined) return false;
    state.lastSeenMs = nowMs;
    state.configHash = this.texts.get(message.configHash);
    const hit = new Set<NodeLimit>();
    let allowance = NODE_LIMITS.bytes;
    const files = fit(message.files, Infinity, allowance, fileBytes);
    note(hit, files, 'bytes');
    allowance -= files.bytes;
    const hosts = fit(message.hosts, NODE_LIMITS.hosts, allowance, hostBytes);
    note(hit, hosts, 'hosts');
    allowance -= hosts.bytes;
    const images = fit(message.images, NODE_LIMITS.images, allowance, imageBytes);
    note(hit, images, 'images');
    allowance -= images.bytes;
    let findings = fit(message.findings, NODE_LIMITS.findings, allowance, findingBytes);
    if (findings.hit !== null)
      findings = fit(mostSevereFirst(message.findings), NODE_LIMITS.findings, allowance, findingBytes);
    note(hit, findings, 'findings');
    state.files = this.fileLists.intern(files.kept.map((f) => Object.freeze(f)));
    state.filesHash = state.configHash;
    state.hosts = this.hostProbes.internAll(hosts.kept);
    state.images = this.images.internAll(images.kept);
    const agentFindings = interned ? findings.kept : findings.kept.map((f) => this.interner.intern(f));
    state.limitsHit = hit.size === 0 ? NO_LIMITS : hit;
    state.bytes = { files: files.bytes, hosts: hosts.bytes, images: images.bytes, findings: findings.bytes };
    this.place(node, state, hit.size === 0 ? agentFindings : [...agentFindings, ...limitFindings(hit)]);
    state.scanAt = message.scan?.at ?? message.generatedAt;
    state.runtime = message.runtime ?? null;
    this.version++;
    this.pruneInterner();
    return true;
  }

  delta(node: string, connection: number, message: DeltaMessage, nowMs: number): boolean {
    const state = this.current(node, connection);
    if (state === undefined) return false;
    state.lastSeenMs = nowMs;
    state.configHash = this.texts.get(message.configHash);
    const hit = new Set(state.limitsHit);
    const b = state.bytes;
    if (message.hosts.length > 0) {
      const hosts = fit(
        mergeBy(state.hosts, message.hosts, (h) => h.host),
        NODE_LIMITS.hosts,
        allowanceFor(b, 'hosts'),
        hostBytes,
      );
      note(hit, hosts, 'hosts');
      const had = new Set(state.hosts);
      state.hosts = hosts.kept.map((h) => (had.has(h) ? h : this.hostProbes.intern(h)));
      b.hosts = hosts.bytes;
    }
    if (message.images.length > 0) {
      const images = fit(
        mergeBy(state.images, message.images, (i) => i.image),
        NODE_LIMITS.images,
        allowanceFor(b, 'images'),
        imageBytes,
      );
      note(hit, images, 'images');
      const had = new Set(state.images);
      state.images = images.kept.map((i) => (had.has(i) ? i : this.images.intern(i)));
      b.images = images.bytes;
    }
    const before = state.agentFindings;
    let after = before;
    /** What a delta that stays within the limits removed and added. */
    let change: { dropped: readonly WireFinding[]; added: readonly WireFinding[] } | null = null;
    if (message.added.length > 0 || message.cleared.length > 0) {
      const cleared = new Set(message.cleared);
      // Interned only once kept: what the limits drop must not stay alive in the interner.
      const incoming = lastByKey(message.added);
      for (const f of incoming) cleared.add(f.key);
      const kept: WireFinding[] = [];
      const dropped: WireFinding[] = [];
      for (const f of before) (cleared.has(f.key) ? dropped : kept).push(f);
      const allowance = allowanceFor(b, 'findings');
      let bytes = b.findings;
      for (const f of dropped) bytes -= findingBytes(f);
      for (const f of incoming) bytes += findingBytes(f);
      let findings: Fitted<WireFinding>;
      // Only a delta that may cross a limit pays for a full pass over the node's findings.
      if (kept.length + incoming.length <= NODE_LIMITS.findings && bytes <= allowance) {
        const interned = incoming.map((f) => this.interner.intern(f));
        findings = { kept: [...kept, ...interned], bytes, hit: null };
        change = { dropped, added: interned };
      } else {
        const fitted = fit([...kept, ...incoming], NODE_LIMITS.findings, allowance, findingBytes);
        const had = new Set(before);
        findings = { ...fitted, kept: fitted.kept.map((f) => (had.has(f) ? f : this.interner.intern(f))) };
      }
      note(hit, findings, 'findings');
      after = findings.kept;
      b.findings = findings.bytes;
    }
    const limitsChanged = hit.size !== state.limitsHit.size;
    if (limitsChanged) state.limitsHit = hit;
    if (before !== after || limitsChanged)
      if (limitsChanged || change === null || !this.patchExtras(node, state, change.dropped, change.added))
        this.place(node, state, hit.size === 0 ? after : [...after, ...limitFindings(hit)]);
    this.version++;
    this.pruneInterner();
    return true;
  }

  /** Puts the node's findings (limit findings included) in its class, and the index after them. */
  private place(node: string, state: NodeState, findings: readonly WireFinding[]): void {
    const { placement, rehomed } = this.classes.place(node, state.findingClass, state.configHash, findings);
    this.witnesses.move(node, state.findingClass, placement.set);
    this.witnesses.replace(node, state.extraFindings, placement.extras);
    state.findingClass = placement.set;
    state.extraFindings = placement.extras;
    this.interner.settle(placement.extras);
    if (rehomed === null) return;
    const founder = this.nodes.get(rehomed.node)!;
    const kept = new Set(rehomed.to.findings);
    const moved = rehomed.from.findings.filter((f) => !kept.has(f));
    this.witnesses.move(rehomed.node, rehomed.from, rehomed.to);
    this.witnesses.patch(rehomed.node, [], moved);
    founder.findingClass = rehomed.to;
    founder.extraFindings = [...moved, ...founder.extraFindings];
  }

  /**
   * A delta that touches only the node's own findings, on a node in its configuration's main class:
   * the class stays, the exceptions change (no pass over the class). False when it needs place().
   */
  private patchExtras(
    node: string,
    state: NodeState,
    dropped: readonly WireFinding[],
    added: readonly WireFinding[],
  ): boolean {
    const set = state.findingClass;
    if (set === null || !this.classes.isHome(set, state.configHash)) return false;
    for (const f of dropped) if (this.classes.contains(set, f)) return false;
    for (const f of added) if (this.classes.contains(set, f)) return false;
    const gone = new Set(dropped);
    const extras = state.extraFindings.filter((f) => !gone.has(f));
    for (const f of added) if (!extras.includes(f)) extras.push(f);
    this.witnesses.replace(node, state.extraFindings, extras);
    state.extraFindings = extras;
    this.interner.settle(added);
    return true;
  }

  /** The shared copy of a finding (what the node's snapshot will hold when it names that finding). */
  internFinding(f: WireFinding): WireFinding {
    return this.interner.intern(f);
  }

  private pruneInterner(): void {
    if (this.interner.needsPrune(this.classes.held)) this.interner.rebuild(this.classes.findingLists());
  }

  /** Limits the node's stored state has hit since its last snapshot. */
  limitsHit(node: string): ReadonlySet<NodeLimit> {
    return this.nodes.get(node)?.limitsHit ?? NO_LIMITS;
  }

  heartbeat(node: string, connection: number, nowMs: number): void {
    const state = this.current(node, connection);
    if (state !== undefined) state.lastSeenMs = nowMs;
  }

  disconnected(node: string, connection: number): void {
    const state = this.current(node, connection);
    if (state === undefined) return;
    state.connected = false;
    this.version++;
  }

  /** Drops a node whose agent is gone (its Node object was deleted). */
  forget(node: string): void {
    const state = this.nodes.get(node);
    if (state === undefined || state.connected) return;
    this.witnesses.move(node, state.findingClass, null);
    this.witnesses.replace(node, state.extraFindings, []);
    this.classes.remove(node, state.findingClass);
    this.nodes.delete(node);
    this.version++;
  }

  get(node: string): AgentView | undefined {
    return this.nodes.get(node);
  }

  /** The node's configuration file digests, or null until a snapshot for its current hash arrives. */
  currentFiles(node: string): AgentView['files'] | null {
    const state = this.nodes.get(node);
    return state !== undefined && state.filesHash === state.configHash ? state.files : null;
  }

  names(): IterableIterator<string> {
    return this.nodes.keys();
  }

  get size(): number {
    return this.nodes.size;
  }

  /** Nodes whose agent is connected now. */
  get connectedCount(): number {
    let count = 0;
    for (const state of this.nodes.values()) if (state.connected) count++;
    return count;
  }

  isConnected(node: string): boolean {
    return this.nodes.get(node)?.connected === true;
  }
}
