// The agents' WebSocket endpoint: authentication at upgrade, hello/welcome, snapshots and deltas
// into the node store, trace results to the broker, and ping-based liveness (dead peers are
// terminated, not closed, so a half-open TCP connection cannot hold a slot).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  AGENT_PATH,
  MAX_MESSAGE_BYTES,
  parseAgentMessage,
  ProtocolError,
  type AgentMessage,
  type HelloMessage,
} from '../protocol/messages.js';
import { VERSION } from '../version.js';
import { AgentConnection } from './agent-connection.js';
import type { AgentAuthenticator, AgentIdentity } from './agent-auth.js';
import type { Log } from './log.js';
import type { NodeStore } from './node-store.js';
import type { NodeImageSet } from './pod-images.js';
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
}

const CLOSE_POLICY = 1008;
const CLOSE_UNSUPPORTED = 1003;

function reject(socket: Duplex, status: number, reason: string): void {
  const text =
    status === 401
      ? 'Unauthorized'
      : status === 403
        ? 'Forbidden'
        : status === 404
          ? 'Not Found'
          : 'Service Unavailable';
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${status === 401 ? 'WWW-Authenticate: Bearer\r\n' : ''}\r\n${body}`,
  );
}

export class AgentServer {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
  });
  private readonly byNode = new Map<string, AgentConnection>();
  private readonly all = new Set<AgentConnection>();
  private connections = 0;
  private readonly pingTimer: NodeJS.Timeout;

  constructor(private readonly hooks: AgentServerHooks) {
    this.pingTimer = setInterval(() => this.checkLiveness(), hooks.heartbeatIntervalMs);
    this.pingTimer.unref();
  }

  /** The HTTP server's `upgrade` listener. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (err) => this.hooks.log.debug(`agent upgrade socket error: ${err.message}`));
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
          reject(socket, auth.status, auth.reason);
          return;
        }
        if (socket.destroyed) return;
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
    let storeConnection = 0;
    ws.on('error', (err) => this.hooks.log.warn(`agent ${conn.node ?? conn.remote}: ${err.message}`));
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      conn.alive = true;
      if (conn.overBudget(Date.now())) {
        if (ws.readyState === ws.OPEN) {
          this.hooks.log.warn(`agent ${conn.node ?? conn.remote} sends too many messages; disconnecting it`);
          ws.close(CLOSE_POLICY, 'too many messages');
        }
        return;
      }
      if (isBinary) {
        ws.close(CLOSE_UNSUPPORTED, 'binary frames are not part of the protocol');
        return;
      }
      let message: AgentMessage;
      try {
        message = parseAgentMessage(data.toString());
      } catch (err) {
        this.hooks.onMessage?.('invalid');
        const reason = err instanceof ProtocolError ? err.message : 'invalid message';
        this.hooks.log.warn(`agent ${conn.node ?? conn.remote} sent an invalid message: ${reason}`);
        ws.close(CLOSE_POLICY, reason.slice(0, 120));
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
          ws.close(CLOSE_POLICY, 'the token was issued for another node');
          return;
        }
        storeConnection = this.hello(conn, message, now);
        return;
      }
      const node = conn.node;
      switch (message.type) {
        case 'hello':
          ws.close(CLOSE_POLICY, 'hello was already sent');
          return;
        case 'snapshot':
          this.hooks.store.snapshot(node, storeConnection, message, now);
          return;
        case 'delta':
          this.hooks.store.delta(node, storeConnection, message, now);
          return;
        case 'heartbeat':
          this.hooks.store.heartbeat(node, storeConnection, now);
          return;
        case 'trace-result':
          this.hooks.store.heartbeat(node, storeConnection, now);
          this.hooks.broker.settle(conn.id, message);
          return;
      }
    });
    ws.on('close', () => {
      conn.dispose();
      this.all.delete(conn);
      this.hooks.broker.connectionClosed(conn.id);
      if (conn.node !== null) {
        if (this.byNode.get(conn.node) === conn) this.byNode.delete(conn.node);
        this.hooks.store.disconnected(conn.node, storeConnection);
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
    conn.send({
      v: 1,
      type: 'welcome',
      collectorVersion: VERSION,
      heartbeatIntervalMs: this.hooks.heartbeatIntervalMs,
    });
    const { generation, images, runtimeVersion } = this.hooks.imagesFor(hello.node);
    conn.send({ v: 1, type: 'images', generation, images: [...images], runtimeVersion });
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
