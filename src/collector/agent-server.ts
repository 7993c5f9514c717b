// The agents' WebSocket endpoint: authentication at upgrade, hello/welcome (within a deadline),
// snapshots and deltas into the node store, trace results to the broker, a message budget per node
// that reconnecting does not refill, and ping-based liveness (dead peers are terminated, not
// closed, so a half-open TCP connection cannot hold a slot).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  AGENT_PATH,
  MAX_MESSAGE_BYTES,
  parseAgentMessage,
  ProtocolError,
  type AgentMessage,
  type DeltaMessage,
  type FindingsRequestMessage,
  type HelloMessage,
  type SnapshotMessage,
  type SnapshotRequestMessage,
  type WireFinding,
} from '../protocol/messages.js';
import { VERSION } from '../version.js';
import { AgentConnection } from './agent-connection.js';
import { ClassDigestFilters } from './class-digest-filters.js';
import { coalesceWrites } from './coalesced-writes.js';
import { FindingDigestTable } from './finding-digest-table.js';
import { SnapshotAssembly, type SnapshotAssemblyHooks } from './snapshot-assembly.js';
import type { AgentAuthenticator, AgentIdentity } from './agent-auth.js';
import type { Log } from './log.js';
import type { NodeStore } from './node-store.js';
import type { NodeImageSet } from './pod-images.js';
import { RateLimiter } from './rate-limiter.js';
import type { TraceBroker } from './trace-broker.js';

export interface AgentServerHooks {
  readonly authenticator: AgentAuthenticator;
  readonly store: NodeStore;
  readonly broker: TraceBroker;
  readonly heartbeatIntervalMs: number;
  readonly log: Log;
  /** The images message for a node that just said hello. */
  readonly imagesFor: (node: string) => NodeImageSet;
  readonly onMessage?: (type: AgentMessage['type'] | 'invalid') => void;
  readonly onAuthFailure?: (status: number) => void;
  readonly onLimitHit?: (limit: string) => void;
  readonly onPolicyClose?: (reason: PolicyCloseReason) => void;
  /** Default HELLO_DEADLINE_MS. */
  readonly helloDeadlineMs?: number;
  /** Whether a Node object of that name exists; undefined while the collector cannot tell. */
  readonly nodeExists?: (node: string) => boolean | undefined;
  /** The bodies snapshots may name by digest (default: one of DIGEST_TABLE_LIMITS). */
  readonly digestTable?: FindingDigestTable;
  /** What welcome says the table holds per configHash (default: one of the default bounds). */
  readonly digestFilters?: ClassDigestFilters;
  /** How long a snapshot by reference waits for its bodies (default FINDING_BODIES_DEADLINE_MS). */
  readonly findingBodiesDeadlineMs?: number;
}

/** A connection that has not said hello this long after the upgrade is closed. */
export const HELLO_DEADLINE_MS = 10_000;
/** Upgrades refused (429) while this many connections of the token's node have not said hello yet. */
export const MAX_AWAITING_HELLO_PER_NODE = 2;
/**
 * Messages per node: a burst of 300, refilled at 30 a second. An agent sends a heartbeat every
 * interval and a delta when a scan changes something; more is a broken or hostile peer, which is
 * disconnected (it reconnects with backoff). The budget belongs to the node, not the connection,
 * so reconnecting does not refill it.
 */
export const MESSAGE_BURST = 300;
export const MESSAGES_PER_SECOND = 30;

const CLOSE_POLICY = 1008;

export type PolicyCloseReason =
  'no-hello' | 'too-many-messages' | 'wrong-node' | 'invalid-message' | 'finding-bodies';
const CLOSE_UNSUPPORTED = 1003;

const STATUS_TEXT: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/**
 * A close frame's reason fits in 123 bytes (ws throws past that, which would take the collector
 * down); a reason can quote what the agent sent, in any script.
 */
export function closeReason(reason: string): string {
  let out = reason.slice(0, 123);
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

function reject(socket: Duplex, status: number, reason: string, retryAfterSeconds?: number): void {
  const body = `${reason}\n`;
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(status === 401 ? ['WWW-Authenticate: Bearer'] : []),
    ...(retryAfterSeconds !== undefined ? [`Retry-After: ${retryAfterSeconds}`] : []),
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

export class AgentServer {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
  });
  private readonly byNode = new Map<string, AgentConnection>();
  /** Connections that have not said hello yet, by the node their token proves. */
  private readonly awaitingHello = new Map<string, number>();
  private readonly all = new Set<AgentConnection>();
  private connections = 0;
  private readonly pingTimer: NodeJS.Timeout;
  private readonly messageBudget = new RateLimiter(MESSAGE_BURST, MESSAGES_PER_SECOND, Date.now, 100_000);

  private readonly helloDeadlineMs: number;
  private readonly digests: FindingDigestTable;
  private readonly filters: ClassDigestFilters;

  constructor(private readonly hooks: AgentServerHooks) {
    this.helloDeadlineMs = hooks.helloDeadlineMs ?? HELLO_DEADLINE_MS;
    this.digests = hooks.digestTable ?? new FindingDigestTable();
    this.filters = hooks.digestFilters ?? new ClassDigestFilters();
    this.pingTimer = setInterval(() => this.checkLiveness(), hooks.heartbeatIntervalMs);
    this.pingTimer.unref();
  }

  /**
   * Made once, not in handleUpgrade: a closure there would share its scope with the authentication
   * callbacks, which hold the request, and the socket would keep every agent's request and headers.
   */
  private readonly onSocketError = (err: Error): void =>
    this.hooks.log.debug(`agent upgrade socket error: ${err.message}`);

  /** The HTTP server's `upgrade` listener. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', this.onSocketError);
    const path = new URL(req.url ?? '/', 'http://collector').pathname;
    if (path !== AGENT_PATH) {
      reject(socket, 404, `no WebSocket endpoint at ${path}`);
      return;
    }
    this.hooks.authenticator.authenticate(req).then(
      (auth) => {
        if (!auth.ok) {
          this.hooks.onAuthFailure?.(auth.status);
          this.hooks.log.warn(
            `agent from ${req.socket.remoteAddress ?? '?'} refused (${auth.status}): ${auth.reason}`,
          );
          reject(socket, auth.status, auth.reason, auth.retryAfterSeconds);
          return;
        }
        if (socket.destroyed) return;
        const node = auth.identity.nodeName;
        if (node !== null && (this.awaitingHello.get(node) ?? 0) >= MAX_AWAITING_HELLO_PER_NODE) {
          this.hooks.onAuthFailure?.(429);
          reject(socket, 429, `too many connections for node ${node} have not said hello`, 10);
          return;
        }
        coalesceWrites(socket);
        this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req, auth.identity));
      },
      (err: unknown) => {
        this.hooks.log.error(`agent authentication failed: ${(err as Error).message}`);
        reject(socket, 503, 'authentication unavailable');
      },
    );
  }

  private accept(ws: WebSocket, req: IncomingMessage, identity: AgentIdentity): void {
    const conn = new AgentConnection(ws, ++this.connections, req.socket.remoteAddress ?? '?');
    this.all.add(conn);
    let awaiting = identity.nodeName;
    // Dropped once hello arrives (or the connection closes): 15,000 idle connections kept theirs.
    let helloDeadline: NodeJS.Timeout | null = null;
    const helloDone = (): void => {
      if (helloDeadline !== null) clearTimeout(helloDeadline);
      helloDeadline = null;
      if (awaiting === null) return;
      const left = (this.awaitingHello.get(awaiting) ?? 1) - 1;
      if (left > 0) this.awaitingHello.set(awaiting, left);
      else this.awaitingHello.delete(awaiting);
      awaiting = null;
    };
    if (awaiting !== null) this.awaitingHello.set(awaiting, (this.awaitingHello.get(awaiting) ?? 0) + 1);
    helloDeadline = setTimeout(() => {
      if (conn.node !== null || ws.readyState !== ws.OPEN) return;
      this.hooks.log.warn(`agent ${conn.remote} sent no hello within ${this.helloDeadlineMs} ms; closing`);
      this.hooks.onPolicyClose?.('no-hello');
      ws.close(CLOSE_POLICY, 'no hello in time');
    }, this.helloDeadlineMs);
    helloDeadline.unref();
    const overBudget = (node: string): boolean => {
      if (this.messageBudget.take(node) === 0) return false;
      if (ws.readyState === ws.OPEN) {
        this.hooks.log.warn(`agent ${node} sends too many messages; disconnecting it`);
        this.hooks.onPolicyClose?.('too-many-messages');
        ws.close(CLOSE_POLICY, 'too many messages');
      }
      return true;
    };
    const session = new AgentSession(this.hooks, this.digests, this.filters, conn);
    const snapshots = new SnapshotAssembly(session);
    ws.on('error', (err) => this.hooks.log.warn(`agent ${conn.node ?? conn.remote}: ${err.message}`));
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      conn.alive = true;
      if (ws.readyState !== ws.OPEN) return;
      // Charged before parsing when the node is known (after hello, or from a bound token).
      const knownNode = conn.node ?? identity.nodeName;
      if (knownNode !== null && overBudget(knownNode)) return;
      if (isBinary) {
        ws.close(CLOSE_UNSUPPORTED, 'binary frames are not part of the protocol');
        return;
      }
      const text = data.toString();
      let message: AgentMessage;
      try {
        message = parseAgentMessage(text);
      } catch (err) {
        this.hooks.onMessage?.('invalid');
        const reason = err instanceof ProtocolError ? err.message : 'invalid message';
        this.hooks.log.warn(`agent ${conn.node ?? conn.remote} sent an invalid message: ${reason}`);
        this.hooks.onPolicyClose?.('invalid-message');
        ws.close(CLOSE_POLICY, closeReason(reason));
        return;
      }
      this.hooks.onMessage?.(message.type);
      const now = Date.now();
      if (conn.node === null) {
        if (message.type !== 'hello') {
          ws.close(CLOSE_POLICY, 'the first message must be hello');
          return;
        }
        if (identity.nodeName !== null && identity.nodeName !== message.node) {
          this.hooks.log.warn(
            `agent token issued on node ${identity.nodeName} claims node ${message.node}; refused`,
          );
          this.hooks.onPolicyClose?.('wrong-node');
          ws.close(CLOSE_POLICY, 'the token was issued for another node');
          return;
        }
        if (identity.nodeMustExist === true && this.hooks.nodeExists?.(message.node) === false) {
          this.hooks.log.warn(
            `agent with an unbound token claims node ${message.node}, which does not exist; refused`,
          );
          this.hooks.onPolicyClose?.('wrong-node');
          ws.close(CLOSE_POLICY, 'no such node');
          return;
        }
        if (knownNode === null && overBudget(message.node)) return;
        helloDone();
        session.storeConnection = this.hello(conn, message, now);
        return;
      }
      const node = conn.node;
      switch (message.type) {
        case 'hello':
          ws.close(CLOSE_POLICY, 'hello was already sent');
          return;
        case 'snapshot':
          snapshots.snapshot(message);
          return;
        case 'delta':
          snapshots.delta(message, text.length);
          return;
        case 'finding-bodies':
          this.hooks.store.heartbeat(node, session.storeConnection, now);
          snapshots.bodies(message);
          return;
        case 'heartbeat':
          this.hooks.store.heartbeat(node, session.storeConnection, now);
          return;
        case 'trace-result':
          this.hooks.store.heartbeat(node, session.storeConnection, now);
          this.hooks.broker.settle(conn.id, message);
          return;
      }
    });
    ws.on('close', () => {
      snapshots.dispose();
      helloDone();
      conn.dispose();
      this.all.delete(conn);
      this.hooks.broker.connectionClosed(conn.id);
      if (conn.node !== null) {
        if (this.byNode.get(conn.node) === conn) this.byNode.delete(conn.node);
        this.hooks.store.disconnected(conn.node, session.storeConnection);
      }
    });
  }

  private hello(conn: AgentConnection, hello: HelloMessage, now: number): number {
    const previous = this.byNode.get(hello.node);
    if (previous !== undefined && previous !== conn) {
      this.hooks.log.info(`agent for node ${hello.node} reconnected; dropping its previous connection`);
      previous.socket.terminate();
    }
    conn.node = hello.node;
    this.byNode.set(hello.node, conn);
    const id = this.hooks.store.hello(hello, now);
    const findingFilter = this.filters.forWelcome(hello.configHash);
    conn.send({
      v: 1,
      type: 'welcome',
      collectorVersion: VERSION,
      heartbeatIntervalMs: this.hooks.heartbeatIntervalMs,
      findingDigests: true,
      ...(findingFilter === undefined ? {} : { findingFilter }),
    });
    const { generation, images, runtimeVersion } = this.hooks.imagesFor(hello.node);
    conn.send({ v: 1, type: 'images', generation, images, runtimeVersion });
    return id;
  }

  private checkLiveness(): void {
    for (const conn of this.all) {
      if (!conn.alive) {
        this.hooks.log.warn(`agent ${conn.node ?? conn.remote} did not answer a ping; terminating`);
        conn.socket.terminate();
        continue;
      }
      conn.alive = false;
      conn.socket.ping();
    }
  }

  connection(node: string): AgentConnection | undefined {
    return this.byNode.get(node);
  }

  connectedNodes(): string[] {
    return [...this.byNode.keys()];
  }

  get connectedCount(): number {
    return this.byNode.size;
  }

  close(): void {
    clearInterval(this.pingTimer);
    for (const conn of this.all) conn.socket.terminate();
    this.wss.close();
  }
}

/**
 * One connection's state past hello and its snapshot assembly's hooks: one object whose methods are
 * shared, where a closure per hook stayed with each of 15,000 connections.
 */
class AgentSession implements SnapshotAssemblyHooks {
  /** The node store's id for this connection (NodeStore.hello). */
  storeConnection = 0;
  /** Limits hit (NodeStore.limitsHit) already logged since the last snapshot. */
  private limitsLogged = 0;

  constructor(
    private readonly hooks: AgentServerHooks,
    readonly table: FindingDigestTable,
    private readonly filters: ClassDigestFilters,
    private readonly conn: AgentConnection,
  ) {}

  get deadlineMs(): number | undefined {
    return this.hooks.findingBodiesDeadlineMs;
  }

  intern(f: WireFinding): WireFinding {
    return this.hooks.store.internFinding(f);
  }

  internerEpoch(): number {
    return this.hooks.store.internerEpoch;
  }

  applySnapshot(m: SnapshotMessage, interned: boolean): void {
    this.hooks.store.snapshot(this.conn.node!, this.storeConnection, m, Date.now(), interned);
    this.limitsLogged = this.reportLimits(this.conn.node!, 0);
  }

  applyDelta(m: DeltaMessage): void {
    this.hooks.store.delta(this.conn.node!, this.storeConnection, m, Date.now());
    this.limitsLogged = this.reportLimits(this.conn.node!, this.limitsLogged);
  }

  send(m: FindingsRequestMessage | SnapshotRequestMessage): void {
    this.conn.send(m);
  }

  learn(configHash: string, fresh: readonly string[], held: () => readonly string[]): void {
    this.filters.learn(configHash, this.conn.node!, fresh, held);
  }

  refuse(reason: string): void {
    this.hooks.log.warn(`agent ${this.conn.node ?? this.conn.remote}: ${reason}; closing`);
    this.hooks.onPolicyClose?.('finding-bodies');
    this.conn.socket.close(CLOSE_POLICY, closeReason(reason));
  }

  /** Logs limits newly hit by the node's last message; returns how many are now logged. */
  private reportLimits(node: string, logged: number): number {
    const hit = this.hooks.store.limitsHit(node);
    if (hit.size > logged) {
      this.hooks.log.warn(
        `agent ${node} sent more than the collector keeps per node (${[...hit].join(', ')}); the excess is dropped`,
      );
      for (const limit of [...hit].slice(logged)) this.hooks.onLimitHit?.(limit);
    }
    return hit.size;
  }
}
