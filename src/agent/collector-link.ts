// The WebSocket to the collector: Bearer token from the projected service-account token file (read
// again at every connect, the kubelet rotates it), hello after every (re)connect and a fresh
// snapshot once welcomed (by reference when the collector offers findingDigests, with inline the
// bodies its findingFilter says it lacks), deltas while
// connected (coalesced in a bounded outbox while the socket is down or backed up), heartbeats,
// reconnect with jittered exponential backoff, and the collector's requests (images, trace-request,
// snapshot-request, findings-request).
import type { ErrorBody } from '../core/errors.js';
import { nodeFindingJson } from '../core/findings/types.js';
import { readLocalFile } from '../host/node-fs.js';
import WebSocket from 'ws';
import {
  AGENT_PATH,
  encode,
  MAX_MESSAGE_BYTES,
  parseCollectorMessage,
  ProtocolError,
  type AgentMessage,
  type CollectorMessage,
  type FindingsRequestMessage,
  type HelloMessage,
  type SnapshotMessage,
  type TraceRequestMessage,
} from '../protocol/messages.js';
import { FindingFilter } from '../protocol/finding-filter.js';
import { Backoff } from './backoff.js';
import { FindingRefs } from './finding-refs.js';
import type { AgentLogger } from './log.js';
import { Outbox } from './outbox.js';
import type { AgentSink, ScanResult } from './sinks.js';

export interface CollectorLinkOptions {
  readonly url: string;
  readonly tokenFile: string;
  /** CA bundle that signs the collector's certificate (wss://), re-read at every connect; null: system trust. */
  readonly caFile: string | null;
  readonly log: AgentLogger;
  /** The socket opened (true) or closed (false). */
  readonly onConnected?: (up: boolean) => void;
}

/** What the link asks of the agent: who it is, its state, and the collector's requests. */
export interface CollectorPeer {
  hello(): Omit<HelloMessage, 'v' | 'type'>;
  snapshot(seq: number): SnapshotMessage;
  /** The hash of the configuration the current findings came from. */
  readonly scannedConfigHash: string;
  /** `runtimeVersion`: the Node's containerRuntimeVersion (undefined: the collector does not say). */
  imagesFromCollector(images: readonly string[], runtimeVersion: string | null | undefined): void;
  answerTraceRequest(request: TraceRequestMessage): Promise<{ trace: unknown; error: ErrorBody | null }>;
}

const DEFAULT_HEARTBEAT_MS = 30_000;
/** Past this much unsent data, deltas wait in the outbox. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const OUTBOX_ENTRIES = 10_000;

/** The agent endpoint for a collector base URL (`ws://host:port` → `ws://host:port/api/v1/agents`). */
export function agentEndpoint(base: string): string {
  const url = new URL(base);
  if (url.pathname === '/' || url.pathname === '') url.pathname = AGENT_PATH;
  // Authentication is the Bearer token; credentials in the URL would only end up in logs.
  url.username = '';
  url.password = '';
  return url.toString();
}

/** A token or CA file: refused when it is a FIFO or huge (re-read at every connect, it must never block). */
async function readSmallFile(file: string): Promise<string> {
  const bytes = await readLocalFile(file);
  if (bytes === null)
    throw Object.assign(new Error(`${file}: no such file or directory`), { code: 'ENOENT' });
  return bytes.toString('utf8');
}

/** A `Retry-After: SECONDS` header in ms (capped at 5 minutes); 0 when absent or not seconds. */
function retryAfterMs(header: string | undefined): number {
  const seconds = Number(header);
  return header !== undefined && /^\d+$/.test(header.trim()) ? Math.min(seconds, 300) * 1000 : 0;
}

export class CollectorLink implements AgentSink {
  private peer: CollectorPeer | null = null;
  private socket: WebSocket | null = null;
  private open = false;
  /** Welcome received on this connection: snapshots and deltas may go. */
  private welcomed = false;
  /** The collector takes snapshots by reference (its welcome said findingDigests). */
  private byReference = false;
  /** What the collector holds of this node's class (its welcome's findingFilter): the rest go inline. */
  private held: FindingFilter | null = null;
  private readonly refs = new FindingRefs();
  /** The last connection error, so a retry loop logs each distinct failure once. */
  private lastError: string | null = null;
  private stopped = false;
  private seq = 0;
  /** The configuration hash of the last snapshot sent (deltas carry no file digests). */
  private sentConfigHash: string | null = null;
  private imagesGeneration = -1;
  private heartbeatMs = DEFAULT_HEARTBEAT_MS;
  private heartbeat: NodeJS.Timeout | null = null;
  private reconnect: NodeJS.Timeout | null = null;
  private lastPong = Date.now();
  /** Epoch ms before which the collector asked not to be tried again (429 Retry-After). */
  private notBefore = 0;
  private readonly backoff = new Backoff();
  private readonly outbox = new Outbox(OUTBOX_ENTRIES);
  private readonly endpoint: string;

  constructor(private readonly options: CollectorLinkOptions) {
    this.endpoint = agentEndpoint(options.url);
  }

  get connected(): boolean {
    return this.open;
  }

  /** Connects (and keeps reconnecting) on behalf of `peer`. */
  start(peer: CollectorPeer): void {
    this.peer = peer;
    void this.connect();
  }

  /**
   * Queues what a scan changed (coalesced while the socket is down or backed up); the first scan and
   * one after a configuration change are sent even when no finding changed.
   */
  scanned({ change, count, output }: ScanResult): void {
    if (change.added.length === 0 && change.cleared.length === 0 && count !== 1 && !this.configBehind) return;
    this.outbox.add({
      added: change.added.map(nodeFindingJson),
      cleared: change.cleared.map((f) => f.key),
      hosts: [...output.hosts],
      images: [...output.images],
    });
    this.flush();
  }

  stop(): Promise<void> {
    return this.close();
  }

  /** Closes with 1001 (going away) and stops reconnecting. */
  close(): Promise<void> {
    this.stopped = true;
    if (this.reconnect) clearTimeout(this.reconnect);
    this.stopHeartbeat();
    const ws = this.socket;
    if (ws === null || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1_000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1001, 'agent shutting down');
    });
  }

  private async readToken(): Promise<string | null> {
    try {
      const token = (await readSmallFile(this.options.tokenFile)).trim();
      return token === '' ? null : token;
    } catch (err) {
      this.options.log.warn(
        { tokenFile: this.options.tokenFile, err: { code: (err as NodeJS.ErrnoException).code } },
        `The service-account token file ${this.options.tokenFile} cannot be read; connecting without a token.`,
      );
      return null;
    }
  }

  private async readCa(): Promise<string | undefined> {
    if (this.options.caFile === null) return undefined;
    try {
      return await readSmallFile(this.options.caFile);
    } catch (err) {
      this.options.log.warn(
        { caFile: this.options.caFile, err: { code: (err as NodeJS.ErrnoException).code } },
        `The collector CA bundle ${this.options.caFile} cannot be read; using the system trust.`,
      );
      return undefined;
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const [token, ca] = await Promise.all([this.readToken(), this.readCa()]);
    if (this.stopped) return;
    const ws = new WebSocket(this.endpoint, {
      perMessageDeflate: false,
      maxPayload: MAX_MESSAGE_BYTES,
      handshakeTimeout: 10_000,
      headers: token === null ? {} : { Authorization: `Bearer ${token}` },
      ...(ca !== undefined ? { ca } : {}),
    });
    this.socket = ws;
    ws.on('open', () => {
      this.open = true;
      this.welcomed = false;
      this.byReference = false;
      this.held = null;
      this.lastError = null;
      // A restarted collector counts image generations afresh.
      this.imagesGeneration = -1;
      this.lastPong = Date.now();
      this.options.onConnected?.(true);
      this.options.log.info(
        { collector: this.endpoint, event: 'collector-connected' },
        `Connected to the collector at ${this.endpoint}.`,
      );
      // The snapshot follows welcome, which says whether it may go by reference.
      this.send({ v: 1, type: 'hello', ...this.peer!.hello() });
      this.startHeartbeat();
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      this.receive(data.toString());
    });
    ws.on('pong', () => (this.lastPong = Date.now()));
    ws.on('unexpected-response', (_req, res) => {
      this.notBefore = Date.now() + retryAfterMs(res.headers['retry-after']);
      this.options.log.warn(
        { collector: this.endpoint, status: res.statusCode, event: 'collector-refused' },
        `The collector refused the connection (HTTP ${res.statusCode}); retrying later.`,
      );
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => {
      // Say it once at warn level (a wrong CA or an unreachable collector needs a person), then
      // keep retrying quietly until the error changes or the link comes up.
      const repeated = err.message === this.lastError;
      this.lastError = err.message;
      this.options.log[repeated ? 'debug' : 'warn'](
        { collector: this.endpoint, err: { message: err.message }, event: 'collector-unreachable' },
        `Cannot reach the collector at ${this.endpoint}: ${err.message}; retrying with backoff.`,
      );
    });
    ws.on('close', (code) => {
      const wasOpen = this.open;
      this.open = false;
      this.welcomed = false;
      this.socket = null;
      this.stopHeartbeat();
      if (wasOpen) {
        this.options.onConnected?.(false);
        if (!this.stopped)
          this.options.log.warn(
            { collector: this.endpoint, code, event: 'collector-disconnected' },
            `Disconnected from the collector (close code ${code}).`,
          );
      }
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = Math.max(this.backoff.next(), this.notBefore - Date.now());
    this.options.log.debug({ delayMs: delay }, `Reconnecting to the collector in ${delay} ms.`);
    this.reconnect = setTimeout(() => void this.connect(), delay);
  }

  private receive(text: string): void {
    let message: CollectorMessage;
    try {
      message = parseCollectorMessage(text);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.options.log.warn(
        { event: 'protocol-error' },
        `Ignored a message from the collector: ${err.message}.`,
      );
      return;
    }
    switch (message.type) {
      case 'welcome':
        this.backoff.reset();
        if (message.heartbeatIntervalMs >= 1_000 && message.heartbeatIntervalMs !== this.heartbeatMs) {
          this.heartbeatMs = message.heartbeatIntervalMs;
          this.startHeartbeat();
        }
        if (this.welcomed) return;
        this.welcomed = true;
        this.byReference = message.findingDigests === true;
        // Checked by the parser: a filter that reached here is well-formed.
        this.held =
          message.findingFilter === undefined ? null : FindingFilter.fromWire(message.findingFilter);
        // The snapshot replaces everything the collector knew: pending deltas are part of it.
        this.sendSnapshot();
        return;
      case 'images':
        if (message.generation <= this.imagesGeneration) return;
        this.imagesGeneration = message.generation;
        this.peer?.imagesFromCollector(message.images, message.runtimeVersion);
        return;
      case 'snapshot-request':
        this.sendSnapshot();
        return;
      case 'trace-request':
        void this.answerTrace(message);
        return;
      case 'findings-request':
        this.answerFindings(message);
        return;
    }
  }

  /** The bodies asked for; a full snapshot when they are not all the last snapshot's. */
  private answerFindings(request: FindingsRequestMessage): void {
    const bodies = this.refs.bodies(request.seq, request.digests);
    if (bodies === null) return; // about an older snapshot: the collector has a newer one
    if (bodies === 'unknown') {
      this.sendSnapshot(false);
      return;
    }
    this.send({ v: 1, type: 'finding-bodies', seq: request.seq, bodies });
  }

  private async answerTrace(request: TraceRequestMessage): Promise<void> {
    let answer: { trace: unknown; error: ErrorBody | null };
    try {
      if (this.peer === null) throw new Error('the agent is not started');
      answer = await this.peer.answerTraceRequest(request);
    } catch (err) {
      answer = { trace: null, error: { code: 'trace-failed', message: (err as Error).message } };
    }
    this.send({ v: 1, type: 'trace-result', requestId: request.requestId, ...answer });
  }

  private send(message: AgentMessage): boolean {
    const ws = this.socket;
    if (ws === null || !this.open || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(encode(message));
    return true;
  }

  /**
   * A full snapshot: the only message that carries the configuration files' digests. Its findings
   * go by reference when the collector offers that, unless `byReference` is false.
   */
  private sendSnapshot(byReference = this.byReference): void {
    const peer = this.peer;
    if (peer === null || !this.welcomed) return;
    this.outbox.clear();
    const snapshot = peer.snapshot(++this.seq);
    if (!byReference) this.refs.sentBodies();
    if (this.send(byReference ? this.refs.byReference(snapshot, this.held) : snapshot))
      this.sentConfigHash = peer.scannedConfigHash;
  }

  /** The configuration changed since the collector last got its file digests. */
  get configBehind(): boolean {
    return this.sentConfigHash === null || this.peer?.scannedConfigHash !== this.sentConfigHash;
  }

  private flush(): void {
    if (!this.welcomed || (this.outbox.empty && !this.configBehind)) return;
    if ((this.socket?.bufferedAmount ?? 0) > MAX_BUFFERED_BYTES) return; // the heartbeat retries
    if (this.outbox.needsSnapshot || this.configBehind) {
      this.sendSnapshot();
      return;
    }
    const d = this.outbox.take();
    this.send({ v: 1, type: 'delta', seq: ++this.seq, configHash: this.peer!.scannedConfigHash, ...d });
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      const ws = this.socket;
      if (ws === null || !this.open) return;
      if (Date.now() - this.lastPong > this.heartbeatMs * 3) {
        this.options.log.warn(
          { event: 'collector-silent' },
          'The collector stopped answering pings; reconnecting.',
        );
        ws.terminate();
        return;
      }
      ws.ping();
      this.send({ v: 1, type: 'heartbeat', seq: ++this.seq, at: new Date().toISOString() });
      this.flush();
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}
