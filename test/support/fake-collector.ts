// A real WebSocket server on 127.0.0.1 playing the collector's side of the protocol: it checks the
// Bearer token on the upgrade, validates every agent message with the shared parser, answers hello
// with welcome, and lets the test send images / trace-request messages. It can be killed and
// restarted on the same port.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  AGENT_PATH,
  encode,
  MAX_MESSAGE_BYTES,
  parseAgentMessage,
  type AgentMessage,
  type CollectorMessage,
  type SnapshotRefsMessage,
} from '../../src/protocol/messages.js';

export interface Received {
  readonly connection: number;
  readonly raw: string;
  /** Never a snapshot by reference: this collector does not offer findingDigests. */
  readonly message: Exclude<AgentMessage, SnapshotRefsMessage>;
}

export class FakeCollector {
  readonly received: Received[] = [];
  readonly authorizations: (string | undefined)[] = [];
  readonly closeCodes: number[] = [];
  readonly protocolErrors: string[] = [];
  private server: http.Server | null = null;
  private wss: WebSocketServer | null = null;
  private socket: WebSocket | null = null;
  private connections = 0;
  port = 0;

  /** With `tls`, the server speaks wss:// with that certificate. */
  constructor(
    public expectedToken: string,
    private readonly tls?: { readonly key: string; readonly cert: string },
  ) {}

  get url(): string {
    return `${this.tls ? 'wss' : 'ws'}://127.0.0.1:${this.port}`;
  }

  get connectionCount(): number {
    return this.connections;
  }

  async start(port = 0): Promise<void> {
    const wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: MAX_MESSAGE_BYTES,
    });
    const notFound = (_req: http.IncomingMessage, res: http.ServerResponse) => res.writeHead(404).end();
    const server = this.tls ? https.createServer(this.tls, notFound) : http.createServer(notFound);
    server.on('upgrade', (req, socket: Socket, head) => {
      socket.on('error', () => {});
      this.authorizations.push(req.headers.authorization);
      if (req.url !== AGENT_PATH || req.headers.authorization !== `Bearer ${this.expectedToken}`) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    this.wss = wss;
  }

  private accept(ws: WebSocket): void {
    const connection = ++this.connections;
    this.socket = ws;
    ws.on('error', () => {});
    ws.on('close', (code) => this.closeCodes.push(code));
    ws.on('message', (data) => {
      const raw = data.toString();
      try {
        const message = parseAgentMessage(raw);
        // It never offers findingDigests: a snapshot by reference is the agent's mistake.
        if ('findingRefs' in message) throw new Error('a snapshot by reference without findingDigests');
        this.received.push({ connection, raw, message });
        if (message.type === 'hello')
          this.send({ v: 1, type: 'welcome', collectorVersion: 'test', heartbeatIntervalMs: 2_000 });
      } catch (err) {
        this.protocolErrors.push((err as Error).message);
      }
    });
  }

  send(message: CollectorMessage): void {
    if (this.socket === null) throw new Error('no agent connected');
    this.socket.send(encode(message));
  }

  messages<T extends AgentMessage['type']>(
    type: T,
    connection?: number,
  ): Exclude<Extract<AgentMessage, { type: T }>, SnapshotRefsMessage>[] {
    return this.received
      .filter((r) => r.message.type === type && (connection === undefined || r.connection === connection))
      .map((r) => r.message as Exclude<Extract<AgentMessage, { type: T }>, SnapshotRefsMessage>);
  }

  async waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v) return v;
      if (Date.now() > deadline)
        throw new Error(
          `fake collector: timed out; received ${this.received.map((r) => r.message.type).join(',')}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Kills the server abruptly: every socket is destroyed, nothing is closed cleanly. */
  async kill(): Promise<void> {
    for (const ws of this.wss?.clients ?? []) ws.terminate();
    this.socket = null;
    this.wss?.close();
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start(this.port);
  }

  async stop(): Promise<void> {
    await this.kill();
  }
}
