// A protocol-speaking stand-in for an agent (the real one is `mirrorscope agent`): connects with a
// bearer token, says hello, sends what the test tells it to, answers trace requests, and records
// everything the collector sends.
import WebSocket from 'ws';
import {
  AGENT_PATH,
  encode,
  parseCollectorMessage,
  type AgentMessage,
  type CollectorMessage,
  type HostProbe,
  type HelloMessage,
  type ImageStatus,
  type SnapshotMessage,
  type WireFinding,
} from '../../src/protocol/messages.js';

export class ProtocolAgent {
  readonly received: CollectorMessage[] = [];
  private socket: WebSocket | null = null;
  private waiters: { match: (m: CollectorMessage) => boolean; resolve: (m: CollectorMessage) => void }[] = [];
  /** Answer for trace requests; default: a minimal trace document naming the node. */
  traceAnswer: (image: string) => { trace: unknown; error: { code: string; message: string } | null } = (
    image,
  ) => ({
    trace: {
      image,
      node: this.node,
      result: { outcome: 'pulled', source: `mirror.example/${image}`, reason: 'manifest found' },
    },
    error: null,
  });

  constructor(
    readonly baseUrl: string,
    readonly node: string,
    readonly token: string | null,
  ) {}

  /** Resolves on open; rejects with the HTTP status when the upgrade is refused. */
  connect(configHash = 'hash-a', options: { autoPong?: boolean } = {}): Promise<void> {
    const url = `${this.baseUrl.replace(/^http/, 'ws')}${AGENT_PATH}`;
    const ws = new WebSocket(url, {
      autoPong: options.autoPong ?? true,
      perMessageDeflate: false,
      headers: this.token === null ? {} : { Authorization: `Bearer ${this.token}` },
    });
    this.socket = ws;
    ws.on('message', (data) => {
      const m = parseCollectorMessage(data.toString());
      this.received.push(m);
      if (m.type === 'trace-request') {
        const answer = this.traceAnswer(m.image);
        this.send({ v: 1, type: 'trace-result', requestId: m.requestId, ...answer });
      }
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(m)) return true;
        w.resolve(m);
        return false;
      });
    });
    return new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
      ws.once('open', () => {
        ws.on('error', () => undefined);
        this.send({
          v: 1,
          type: 'hello',
          node: this.node,
          agentVersion: 'test',
          configHash,
          pod: { name: `agent-${this.node}`, namespace: 'mirrorscope' },
        });
        resolve();
      });
    });
  }

  send(message: AgentMessage): void {
    this.socket!.send(encode(message));
  }

  snapshot(parts: {
    configHash?: string;
    files?: SnapshotMessage['files'];
    findings?: WireFinding[];
    hosts?: HostProbe[];
    images?: ImageStatus[];
  }): void {
    const now = new Date().toISOString();
    this.send({
      v: 1,
      type: 'snapshot',
      seq: 1,
      generatedAt: now,
      configHash: parts.configHash ?? 'hash-a',
      files: parts.files ?? [],
      findings: parts.findings ?? [],
      hosts: parts.hosts ?? [],
      images: parts.images ?? [],
      scan: { at: now, durationMs: 5, probes: parts.hosts?.length ?? 0 },
    });
  }

  /** The next (or an already received) message matching `match`. */
  waitFor<T extends CollectorMessage['type']>(
    type: T,
    match: (m: Extract<CollectorMessage, { type: T }>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<Extract<CollectorMessage, { type: T }>> {
    const test = (m: CollectorMessage): boolean =>
      m.type === type && match(m as Extract<CollectorMessage, { type: T }>);
    const seen = this.received.find(test);
    if (seen !== undefined) return Promise.resolve(seen as Extract<CollectorMessage, { type: T }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.node}: no ${type} message within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        match: test,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<CollectorMessage, { type: T }>);
        },
      });
    });
  }

  /** Resolves with the close code when the collector closes (or drops) the connection. */
  closed(): Promise<number> {
    const ws = this.socket!;
    if (ws.readyState === ws.CLOSED) return Promise.resolve(-1);
    return new Promise((resolve) => ws.once('close', (code: number) => resolve(code)));
  }

  close(): void {
    this.socket?.terminate();
  }
}

export function finding(partial: Partial<WireFinding> & Pick<WireFinding, 'id' | 'key'>): WireFinding {
  return {
    severity: 'warning',
    message: `${partial.id} finding`,
    file: null,
    line: null,
    scope: null,
    fix: 'fix it',
    image: null,
    host: null,
    ...partial,
  };
}

/** The hello of an agent on `node` (config hash `h` unless given). */
export function helloMessage(node: string, configHash = 'h'): HelloMessage {
  return { v: 1, type: 'hello', node, agentVersion: 't', configHash, pod: { name: null, namespace: null } };
}

/** A snapshot of just these findings (no files, hosts, images or scan), config hash `h`. */
export function snapshotMessage(
  findings: readonly WireFinding[],
  seq = 1,
  generatedAt = '2026-12-03T12:00:00Z',
): SnapshotMessage {
  return {
    v: 1,
    type: 'snapshot',
    seq,
    generatedAt,
    configHash: 'h',
    files: [],
    findings,
    hosts: [],
    images: [],
    scan: null,
  };
}
