// Each node's latest state as its agent reported it. Agents are the source of truth: a snapshot
// replaces everything known about the node, deltas patch it, and a restarted collector simply
// waits for agents to reconnect and send their snapshots.
import type {
  DeltaMessage,
  HelloMessage,
  HostProbe,
  ImageStatus,
  RuntimeInfo,
  SnapshotMessage,
  WireFinding,
} from '../protocol/messages.js';
import type { AgentView } from '../core/report/types.js';
import { WitnessIndex } from '../core/report/witnesses.js';
import { FindingInterner } from './finding-interner.js';

interface MutableAgent {
  connected: boolean;
  lastSeenMs: number;
  agentVersion: string;
  configHash: string;
  files: AgentView['files'];
  findings: readonly WireFinding[];
  hosts: readonly HostProbe[];
  images: readonly ImageStatus[];
  scanAt: string | null;
  runtime: RuntimeInfo | null;
  /** Connection generation: a late message from a replaced connection must not win. */
  connection: number;
}

function mergeBy<T>(current: readonly T[], updates: readonly T[], key: (t: T) => string): T[] {
  if (updates.length === 0) return current as T[];
  const byKey = new Map(current.map((t) => [key(t), t]));
  for (const u of updates) byKey.set(key(u), u);
  return [...byKey.values()];
}

/** Image statuses are usually identical on every node of a pool; share one object per distinct status. */
class ImageStatusInterner {
  private table = new Map<string, ImageStatus>();

  intern(status: ImageStatus): ImageStatus {
    const key = `${status.image}\u0000${status.pullable}\u0000${status.source}\u0000${status.digest}\u0000${status.findingKeys.join('\u0001')}\u0000${status.resolution ?? ''}`;
    const shared = this.table.get(key);
    if (shared !== undefined) return shared;
    if (this.table.size >= 200_000) this.table = new Map();
    const frozen = Object.freeze(status);
    this.table.set(key, frozen);
    return frozen;
  }
}

export class NodeStore {
  private readonly nodes = new Map<string, MutableAgent>();
  private readonly interner = new FindingInterner();
  private readonly images = new ImageStatusInterner();
  /** Which nodes report each finding, kept current for the report. */
  readonly witnesses = new WitnessIndex();
  private connections = 0;
  /** Increases on every state change the report can see. */
  version = 0;

  /** Registers a (re)connected agent; returns the connection id its later messages must carry. */
  hello(hello: HelloMessage, nowMs: number): number {
    const connection = ++this.connections;
    const previous = this.nodes.get(hello.node);
    this.nodes.set(hello.node, {
      connected: true,
      lastSeenMs: nowMs,
      agentVersion: hello.agentVersion,
      configHash: hello.configHash,
      files: previous?.files ?? [],
      findings: previous?.findings ?? [],
      hosts: previous?.hosts ?? [],
      images: previous?.images ?? [],
      scanAt: previous?.scanAt ?? null,
      runtime: previous?.runtime ?? null,
      connection,
    });
    this.version++;
    return connection;
  }

  private current(node: string, connection: number): MutableAgent | undefined {
    const state = this.nodes.get(node);
    return state !== undefined && state.connection === connection ? state : undefined;
  }

  snapshot(node: string, connection: number, message: SnapshotMessage, nowMs: number): boolean {
    const state = this.current(node, connection);
    if (state === undefined) return false;
    state.lastSeenMs = nowMs;
    state.configHash = message.configHash;
    state.files = message.files;
    const findings = message.findings.map((f) => this.interner.intern(f));
    this.witnesses.replace(node, state.findings, findings);
    state.findings = findings;
    state.hosts = message.hosts;
    state.images = message.images.map((i) => this.images.intern(i));
    state.scanAt = message.scan?.at ?? message.generatedAt;
    state.runtime = message.runtime ?? null;
    this.version++;
    if (this.interner.needsPrune) this.interner.rebuild([...this.nodes.values()].map((n) => n.findings));
    return true;
  }

  delta(node: string, connection: number, message: DeltaMessage, nowMs: number): boolean {
    const state = this.current(node, connection);
    if (state === undefined) return false;
    state.lastSeenMs = nowMs;
    state.configHash = message.configHash;
    if (message.added.length > 0 || message.cleared.length > 0) {
      const cleared = new Set(message.cleared);
      const added = message.added.map((f) => this.interner.intern(f));
      for (const f of added) cleared.add(f.key);
      const kept: WireFinding[] = [];
      const removed: WireFinding[] = [];
      for (const f of state.findings) (cleared.has(f.key) ? removed : kept).push(f);
      this.witnesses.patch(node, removed, added);
      state.findings = [...kept, ...added];
    }
    state.hosts = mergeBy(state.hosts, message.hosts, (h) => h.host);
    state.images = mergeBy(
      state.images,
      message.images.map((i) => this.images.intern(i)),
      (i) => i.image,
    );
    this.version++;
    return true;
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
    this.witnesses.replace(node, state.findings, []);
    this.nodes.delete(node);
    this.version++;
  }

  get(node: string): AgentView | undefined {
    return this.nodes.get(node);
  }

  names(): IterableIterator<string> {
    return this.nodes.keys();
  }

  get size(): number {
    return this.nodes.size;
  }

  isConnected(node: string): boolean {
    return this.nodes.get(node)?.connected === true;
  }
}
