// Findings by reference over real WebSockets: the collector's agent endpoint (in process, on
// loopback) with protocol-speaking raw clients and with the agent's real CollectorLink; an old
// collector is the fake one, which does not offer findingDigests.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { CollectorLink, type CollectorPeer } from '../../src/agent/collector-link.js';
import { openAgentAuth } from '../../src/collector/agent-auth.js';
import { AgentServer } from '../../src/collector/agent-server.js';
import { ClassDigestFilters } from '../../src/collector/class-digest-filters.js';
import { FindingDigestTable } from '../../src/collector/finding-digest-table.js';
import { SnapshotAssembly } from '../../src/collector/snapshot-assembly.js';
import { silentLog } from '../../src/collector/log.js';
import { NodeStore } from '../../src/collector/node-store.js';
import { TraceBroker } from '../../src/collector/trace-broker.js';
import { buildReport } from '../../src/core/report/build-report.js';
import type { ClusterReport } from '../../src/core/report/types.js';
import { findingText, textDigest } from '../../src/protocol/finding-digest.js';
import { FindingFilter, type WireFindingFilter } from '../../src/protocol/finding-filter.js';
import {
  AGENT_PATH,
  encode,
  parseAgentMessage,
  parseCollectorMessage,
  type AgentMessage,
  type CollectorMessage,
  type DeltaMessage,
  type SnapshotMessage,
  type WireFinding,
} from '../../src/protocol/messages.js';
import { eventually } from '../support/eventually.js';
import { FakeCollector } from '../support/fake-collector.js';
import { finding, snapshotMessage } from '../support/protocol-agent.js';

const F = Array.from({ length: 8 }, (_, i) =>
  finding({
    key: `mirror-unreachable:m${i}`,
    id: 'mirror-unreachable',
    message: `mirror m${i}.example:5000 is unreachable`,
    host: `m${i}.example:5000`,
    severity: i % 2 === 0 ? 'error' : 'warning',
  }),
);
const digest = (f: WireFinding): string => textDigest(findingText(f));

interface Endpoint {
  readonly url: string;
  readonly store: NodeStore;
  readonly messages: string[];
  readonly policyCloses: string[];
  close(): Promise<void>;
}

const endpoints: Endpoint[] = [];
const sockets: WebSocket[] = [];

async function endpoint(
  options: {
    table?: FindingDigestTable;
    filters?: ClassDigestFilters;
    findingBodiesDeadlineMs?: number;
  } = {},
): Promise<Endpoint> {
  const store = new NodeStore();
  const messages: string[] = [];
  const policyCloses: string[] = [];
  const agents = new AgentServer({
    authenticator: openAgentAuth,
    store,
    broker: new TraceBroker(),
    heartbeatIntervalMs: 60_000,
    log: silentLog,
    imagesFor: () => ({ generation: 1, images: [], runtimeVersion: null }),
    onMessage: (type) => messages.push(type),
    onPolicyClose: (reason) => policyCloses.push(reason),
    ...(options.table !== undefined ? { digestTable: options.table } : {}),
    ...(options.filters !== undefined ? { digestFilters: options.filters } : {}),
    ...(options.findingBodiesDeadlineMs !== undefined
      ? { findingBodiesDeadlineMs: options.findingBodiesDeadlineMs }
      : {}),
  });
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => agents.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const e: Endpoint = {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    store,
    messages,
    policyCloses,
    close: async () => {
      agents.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  endpoints.push(e);
  return e;
}

/** A raw protocol client: sends exactly what the test says, records what the collector sends. */
class RawAgent {
  readonly received: CollectorMessage[] = [];
  private readonly closing: Promise<{ code: number; reason: string }>;

  private constructor(
    private readonly ws: WebSocket,
    readonly node: string,
  ) {
    ws.on('message', (data) => this.received.push(parseCollectorMessage(data.toString())));
    this.closing = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static async connect(url: string, node: string): Promise<RawAgent> {
    const ws = new WebSocket(`${url}${AGENT_PATH}`, { perMessageDeflate: false });
    sockets.push(ws);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const agent = new RawAgent(ws, node);
    agent.send({
      v: 1,
      type: 'hello',
      node,
      agentVersion: 'raw',
      configHash: 'h',
      pod: { name: null, namespace: null },
    });
    return agent;
  }

  /** Connected, and welcomed: the collector has answered its hello. */
  static async welcomed(url: string, node: string): Promise<RawAgent> {
    const agent = await RawAgent.connect(url, node);
    await agent.nth('welcome');
    return agent;
  }

  send(message: AgentMessage | Record<string, unknown>): void {
    this.ws.send(encode(message as AgentMessage));
  }

  snapshot(seq: number, findings: readonly WireFinding[], byReference: boolean): void {
    const { findings: _, ...rest } = snapshotOf(seq, findings);
    this.send(byReference ? { ...rest, findingRefs: findings.map(digest) } : { ...rest, findings });
  }

  /** A snapshot by reference with `findingBodies` (texts, or findings as the agent writes them). */
  snapshotInline(
    seq: number,
    findings: readonly WireFinding[],
    bodies: readonly (WireFinding | string)[],
  ): void {
    const { findings: _, ...rest } = snapshotOf(seq, findings);
    const texts = bodies.map((b) => (typeof b === 'string' ? b : findingText(b)));
    this.send({ ...rest, findingRefs: findings.map(digest), findingBodies: texts });
  }

  /** As a new agent: after welcome, inline the bodies its filter lacks (in the order of the findings). */
  async snapshotAsWelcomed(seq: number, findings: readonly WireFinding[]): Promise<WireFindingFilter> {
    const wire = (await this.nth('welcome')).findingFilter!;
    const filter = FindingFilter.fromWire(wire);
    this.snapshotInline(
      seq,
      findings,
      findings.filter((f) => !filter.has(digest(f))),
    );
    return wire;
  }

  /** The `n`-th message of `type` (waiting for it). */
  async nth<T extends CollectorMessage['type']>(
    type: T,
    n = 1,
  ): Promise<Extract<CollectorMessage, { type: T }>> {
    return eventually(() => {
      const found = this.received.filter((m) => m.type === type);
      expect(found.length).toBeGreaterThanOrEqual(n);
      return found[n - 1] as Extract<CollectorMessage, { type: T }>;
    });
  }

  /** Resolves when the collector has handled everything sent before (it answers pings in order). */
  settled(): Promise<void> {
    return new Promise((resolve) => {
      this.ws.once('pong', () => resolve());
      this.ws.ping();
    });
  }

  closed(): Promise<{ code: number; reason: string }> {
    return this.closing;
  }
}

function snapshotOf(seq: number, findings: readonly WireFinding[]): SnapshotMessage {
  return snapshotMessage(findings, seq);
}

function delta(seq: number, added: readonly WireFinding[], cleared: readonly string[]): DeltaMessage {
  return { v: 1, type: 'delta', seq, configHash: 'h', added, cleared, hosts: [], images: [] };
}

/** The node's findings as the store holds them, by key (the store keeps its own order). */
function findingsOf(e: Endpoint, node: string): readonly WireFinding[] | undefined {
  return e.store.get(node)?.findings.toSorted((a, b) => a.key.localeCompare(b.key));
}

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  for (const e of endpoints.splice(0)) await e.close();
});

describe('the messages', () => {
  const refs = (findingRefs: unknown, extra: Record<string, unknown> = {}): string => {
    const { findings: _, ...rest } = snapshotOf(1, []);
    return JSON.stringify({ ...rest, findingRefs, ...extra });
  };

  it('take a snapshot with digests in place of bodies, never both, and only well-formed digests', () => {
    expect(parseAgentMessage(refs([digest(F[0]!)]))).toMatchObject({ findingRefs: [digest(F[0]!)] });
    expect(() => parseAgentMessage(refs([digest(F[0]!)], { findings: [] }))).toThrow(
      'a snapshot carries "findings" or "findingRefs", not both',
    );
    // The form of a digest of the right length is checked by the collector when its table lacks it.
    for (const bad of ['sha256:abc', digest(F[0]!).slice(1), 42, null])
      expect(() => parseAgentMessage(refs([bad]))).toThrow('must be base64url SHA-256 digests');
    expect(() =>
      parseAgentMessage(refs([digest(F[0]!)], { findingBodies: ['x'.repeat(64 * 1024 + 1)] })),
    ).toThrow('"findingBodies" entries must be strings of at most 65536 characters');
    expect(() => parseAgentMessage(refs([digest(F[0]!)], { findingBodies: 'x' }))).toThrow(
      '"findingBodies" must be an array',
    );
    const { findings: _, ...bodies } = snapshotOf(1, []);
    expect(() => parseAgentMessage(JSON.stringify({ ...bodies, findings: [], findingBodies: [] }))).toThrow(
      '"findingBodies" come only with "findingRefs"',
    );
    expect(parseAgentMessage(refs([digest(F[0]!)], { findingBodies: [findingText(F[0]!)] }))).toMatchObject({
      findingRefs: [digest(F[0]!)],
      findingBodies: [findingText(F[0]!)],
    });
    expect(() =>
      parseCollectorMessage(JSON.stringify({ v: 1, type: 'findings-request', seq: 1, digests: ['x'] })),
    ).toThrow('must be base64url SHA-256 digests');
    expect(() =>
      parseAgentMessage(
        JSON.stringify({ v: 1, type: 'finding-bodies', seq: 1, bodies: ['x'.repeat(64 * 1024 + 1)] }),
      ),
    ).toThrow('"bodies" entries must be strings of at most 65536 characters');
  });

  it('say findingDigests in welcome only when it is true (an older collector omits it)', () => {
    const welcome = { v: 1, type: 'welcome', collectorVersion: 'x', heartbeatIntervalMs: 1000 };
    expect(parseCollectorMessage(JSON.stringify(welcome))).not.toHaveProperty('findingDigests');
    expect(parseCollectorMessage(JSON.stringify({ ...welcome, findingDigests: 'yes' }))).not.toHaveProperty(
      'findingDigests',
    );
    expect(parseCollectorMessage(JSON.stringify({ ...welcome, findingDigests: true }))).toMatchObject({
      findingDigests: true,
    });
  });

  it('name a finding by the SHA-256 of its JSON text', () => {
    expect(digest(F[0]!)).toBe(createHash('sha256').update(JSON.stringify(F[0])).digest('base64url'));
  });
});

describe('the digest table', () => {
  it('keeps what is looked up, drops an old generation whole, and is bounded in bytes too', () => {
    const table = new FindingDigestTable({ entries: 2, bytes: 1 << 20 });
    for (const f of F.slice(0, 4)) table.set(digest(f), f);
    expect(table.get(digest(F[3]!))).toBe(F[3]); // young
    expect(table.get(digest(F[1]!))).toBe(F[1]); // old, now young again (which turned over)
    expect(table.get(digest(F[2]!))).toBe(F[2]); // in the generation that turned old
    table.set(digest(F[4]!), F[4]!);
    table.set(digest(F[5]!), F[5]!);
    expect(table.get(digest(F[0]!))).toBeUndefined();
    expect(table.size).toBeLessThanOrEqual(4);

    const small = new FindingDigestTable({ entries: 1000, bytes: 300 });
    for (const f of F) small.set(digest(f), f);
    expect(small.size).toBeLessThan(F.length);
    expect(small.get(digest(F[7]!))).toBe(F[7]);
  });

  it('keeps an offered body the second time it is offered, not the first', () => {
    const table = new FindingDigestTable();
    for (const f of F) table.offer(digest(f), f);
    expect(table.size).toBe(0);
    table.offer(digest(F[3]!), F[3]!);
    expect(table.get(digest(F[3]!))).toBe(F[3]);
    expect(table.size).toBe(1);
  });

  it('resolves by the last snapshot resolved only where the digest is the same', () => {
    const table = new FindingDigestTable({ entries: 2, bytes: 1 << 20 });
    table.resolved([F[0]!, F[1]!].map(digest), [F[0]!, F[1]!]);
    // Not in the table (never set), yet known by position; another digest there is not.
    expect(table.resolve([F[0]!, F[2]!, F[1]!].map(digest))).toEqual([F[0], undefined, undefined]);
  });

  it('keeps what the last snapshot named across generations, though it answers that by position', () => {
    const table = new FindingDigestTable({ entries: 4, bytes: 1 << 20 });
    table.set(digest(F[0]!), F[0]!);
    table.resolved([digest(F[0]!)], [F[0]!]);
    for (const f of F.slice(1)) table.set(digest(f), f); // two turnovers
    expect(table.get(digest(F[0]!))).toBe(F[0]);
    expect(table.get(digest(F[1]!))).toBeUndefined();
  });
});

describe('the interner epoch', () => {
  it('a snapshot resolved from the table needs no interning, until the interner is rebuilt', () => {
    let epoch = 0;
    const applied: { findings: readonly WireFinding[]; interned: boolean }[] = [];
    const requests: string[][] = [];
    const assembly = new SnapshotAssembly({
      table: new FindingDigestTable(),
      intern: (f) => Object.freeze({ ...f }),
      internerEpoch: () => epoch,
      applySnapshot: (m, interned) => applied.push({ findings: m.findings, interned }),
      applyDelta: () => undefined,
      send: (m) => {
        if (m.type === 'findings-request') requests.push([...m.digests]);
      },
      refuse: (reason) => {
        throw new Error(reason);
      },
    });
    const byRef = (seq: number, fs: readonly WireFinding[]): void => {
      const { findings: _, ...rest } = snapshotOf(seq, fs);
      assembly.snapshot({ ...rest, findingRefs: fs.map(digest) });
    };
    const answer = (seq: number, fs: readonly WireFinding[]): void =>
      assembly.bodies({ v: 1, type: 'finding-bodies', seq, bodies: fs.map(findingText) });

    byRef(1, [F[0]!, F[1]!]);
    answer(1, [F[0]!, F[1]!]);
    byRef(2, [F[0]!, F[1]!]);
    expect(requests).toHaveLength(1);
    expect(applied.map((a) => a.interned)).toEqual([true, true]);
    // The table's bodies are the interned copies, handed out again as they are.
    expect(applied[1]!.findings[0]).toBe(applied[0]!.findings[0]);
    expect(Object.isFrozen(applied[1]!.findings[0])).toBe(true);

    // A rebuild: the table forgets, and asks for what it held.
    epoch++;
    byRef(3, [F[0]!, F[1]!]);
    expect(requests[1]!.sort()).toEqual([F[0]!, F[1]!].map(digest).sort());
    answer(3, [F[0]!, F[1]!]);
    expect(applied[2]).toMatchObject({ interned: true });
    expect(applied[2]!.findings[0]).not.toBe(applied[0]!.findings[0]);

    // A rebuild while a snapshot waits: what it resolved before is not the shared copy any more.
    byRef(4, [F[0]!, F[2]!]);
    expect(requests[2]).toEqual([digest(F[2]!)]);
    epoch++;
    answer(4, [F[2]!]);
    expect(applied[3]).toMatchObject({ interned: false });
    expect(applied[3]!.findings.map((f) => f.key)).toEqual([F[0]!.key, F[2]!.key]);
  });
});

describe('a snapshot by reference', () => {
  it('is welcomed with findingDigests, asks for the bodies the collector lacks, and keeps those that arrive twice', async () => {
    const e = await endpoint();
    const a = await RawAgent.connect(e.url, 'node-a');
    expect(await a.nth('welcome')).toMatchObject({ findingDigests: true });
    a.snapshot(1, [F[0]!, F[1]!, F[2]!], true);
    const request = await a.nth('findings-request');
    expect(request.seq).toBe(1);
    expect([...request.digests].sort()).toEqual([F[0]!, F[1]!, F[2]!].map(digest).sort());
    await a.settled();
    expect(findingsOf(e, 'node-a')).toEqual([]); // nothing applied before the bodies
    a.send({ v: 1, type: 'finding-bodies', seq: 1, bodies: [F[2]!, F[0]!, F[1]!].map(findingText) });
    await a.settled();
    expect(findingsOf(e, 'node-a')).toEqual([F[0], F[1], F[2]]);

    // A body that arrived once is not kept (most are one node's own): asked for again.
    const b = await RawAgent.welcomed(e.url, 'node-b');
    b.snapshot(1, [F[1]!, F[3]!, F[0]!], true);
    expect((await b.nth('findings-request')).digests).toEqual([F[1]!, F[3]!, F[0]!].map(digest));
    b.send({ v: 1, type: 'finding-bodies', seq: 1, bodies: [F[1]!, F[3]!, F[0]!].map(findingText) });
    await b.settled();
    expect(findingsOf(e, 'node-b')).toEqual([F[0], F[1], F[3]]);
    // One object per finding across nodes, as with bodies.
    expect(findingsOf(e, 'node-b')![1]).toBe(findingsOf(e, 'node-a')![1]);

    // F[0] and F[1] arrived twice: kept; F[3] once.
    const c = await RawAgent.welcomed(e.url, 'node-c');
    c.snapshot(1, [F[0]!, F[1]!, F[3]!], true);
    expect((await c.nth('findings-request')).digests).toEqual([digest(F[3]!)]);
    c.send({ v: 1, type: 'finding-bodies', seq: 1, bodies: [findingText(F[3]!)] });
    await c.settled();

    // Everything known: applied at once, no request.
    const d = await RawAgent.welcomed(e.url, 'node-d');
    d.snapshot(1, [F[3]!, F[0]!], true);
    await d.settled();
    expect(findingsOf(e, 'node-d')).toEqual([F[0], F[3]]);
    expect(d.received.some((m) => m.type === 'findings-request')).toBe(false);
    expect(e.policyCloses).toEqual([]);
  });

  it("takes an older agent's snapshot with bodies, sent with hello before welcome", async () => {
    const e = await endpoint();
    const old = await RawAgent.connect(e.url, 'node-old'); // hello
    old.snapshot(1, [F[0]!, F[1]!], false); // at once, as agents before findingDigests do
    await old.settled();
    expect(findingsOf(e, 'node-old')).toEqual([F[0], F[1]]);
    expect(old.received.map((m) => m.type)).toEqual(['welcome', 'images']);
    expect(e.policyCloses).toEqual([]);
  });

  it('refuses a body that is not the text of a digest it asked for, and shares nothing of it', async () => {
    const e = await endpoint();
    const evil = await RawAgent.welcomed(e.url, 'node-evil');
    evil.snapshot(1, [F[0]!, F[1]!], true);
    await evil.nth('findings-request');
    // F[0]'s digest with another text: every node that names F[0] would report it.
    const forged = findingText({ ...F[0]!, message: 'all is well', severity: 'info' });
    evil.send({ v: 1, type: 'finding-bodies', seq: 1, bodies: [forged, findingText(F[1]!)] });
    expect(await evil.closed()).toEqual({
      code: 1008,
      reason: 'a finding body that does not match a digest asked for',
    });
    expect(findingsOf(e, 'node-evil')).toEqual([]);
    expect(e.policyCloses).toEqual(['finding-bodies']);

    // Not even the good body of that message entered the table.
    const honest = await RawAgent.welcomed(e.url, 'node-honest');
    honest.snapshot(1, [F[0]!, F[1]!], true);
    expect([...(await honest.nth('findings-request')).digests].sort()).toEqual(
      [F[0]!, F[1]!].map(digest).sort(),
    );
  });

  it('closes with a reason cut to 123 bytes when it quotes what the agent sent in another script', async () => {
    const e = await endpoint();
    const b = await RawAgent.welcomed(e.url, 'node-b');
    b.send(delta(1, [{ ...F[0]!, severity: 'é'.repeat(300) as 'error' }], []));
    const { code, reason } = await b.closed();
    expect(code).toBe(1008);
    expect(reason).toMatch(/^unknown severity "é+$/);
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
  });

  it('refuses bodies nobody asked for, and an answer that lacks some', async () => {
    const e = await endpoint();
    const unasked = await RawAgent.welcomed(e.url, 'node-a');
    unasked.send({ v: 1, type: 'finding-bodies', seq: 1, bodies: [findingText(F[0]!)] });
    expect(await unasked.closed()).toEqual({
      code: 1008,
      reason: 'finding bodies for a snapshot that was not asked about',
    });

    const extra = await RawAgent.welcomed(e.url, 'node-b');
    extra.snapshot(1, [F[0]!], true);
    await extra.nth('findings-request');
    extra.send({ v: 1, type: 'finding-bodies', seq: 1, bodies: [F[0]!, F[1]!].map(findingText) });
    expect((await extra.closed()).reason).toBe('a finding body that does not match a digest asked for');

    const short = await RawAgent.welcomed(e.url, 'node-c');
    short.snapshot(1, [F[0]!, F[1]!], true);
    await short.nth('findings-request');
    short.send({ v: 1, type: 'finding-bodies', seq: 1, bodies: [findingText(F[0]!)] });
    expect((await short.closed()).reason).toBe('finding-bodies lacks 1 of the bodies asked for');
    expect(findingsOf(e, 'node-c')).toEqual([]);
  });

  it('closes an agent that does not answer in time', async () => {
    const e = await endpoint({ findingBodiesDeadlineMs: 300 });
    const a = await RawAgent.welcomed(e.url, 'node-a');
    a.snapshot(1, [F[0]!], true);
    await a.nth('findings-request');
    expect(await a.closed()).toEqual({ code: 1008, reason: 'finding bodies not sent within 0.3 s' });
    expect(findingsOf(e, 'node-a')).toEqual([]);
  });

  it('applies the deltas sent while it waits after it, in order; a later snapshot replaces it', async () => {
    const e = await endpoint();
    const sequence = (a: RawAgent, byReference: boolean): void => {
      a.snapshot(1, [F[0]!, F[1]!], byReference);
      a.send(delta(2, [F[2]!], [F[0]!.key]));
      a.send(delta(3, [F[0]!], [F[2]!.key]));
      a.send(delta(4, [F[3]!], []));
    };
    const bodies = await RawAgent.welcomed(e.url, 'node-bodies');
    sequence(bodies, false);
    await bodies.settled();

    const refs = await RawAgent.welcomed(e.url, 'node-refs');
    // Bodies that came in a snapshot never entered the table (nothing hashed them): all are asked for.
    sequence(refs, true);
    const request = await refs.nth('findings-request');
    await refs.settled();
    expect(findingsOf(e, 'node-refs')).toEqual([]);
    refs.send({ v: 1, type: 'finding-bodies', seq: 1, bodies: request.digests.map((d) => bodyOf(d)) });
    await refs.settled();
    expect(findingsOf(e, 'node-refs')).toEqual(findingsOf(e, 'node-bodies'));
    expect(findingsOf(e, 'node-refs')).toEqual([F[0], F[1], F[3]]);

    // A snapshot while one waits replaces it (and its deltas); the late answer is ignored.
    refs.snapshot(5, [F[4]!], true);
    refs.send(delta(6, [F[5]!], []));
    refs.snapshot(7, [F[6]!], true);
    const [first, second] = [await refs.nth('findings-request', 2), await refs.nth('findings-request', 3)];
    expect([first.seq, second.seq]).toEqual([5, 7]);
    refs.send({ v: 1, type: 'finding-bodies', seq: 5, bodies: [findingText(F[4]!)] });
    refs.send({ v: 1, type: 'finding-bodies', seq: 7, bodies: [findingText(F[6]!)] });
    await refs.settled();
    expect(findingsOf(e, 'node-refs')).toEqual([F[6]]);
    expect(e.policyCloses).toEqual([]);
  });

  it('asks again for a body its bounded table let go', async () => {
    const e = await endpoint({ table: new FindingDigestTable({ entries: 2, bytes: 1 << 20 }) });
    const a = await RawAgent.welcomed(e.url, 'node-a');
    // Each snapshot's bodies turn the generations over; what the last snapshot named is carried
    // along, so F[0] goes only once a snapshot without it was resolved and more came after it.
    const batches = [
      [F[0]!, F[1]!],
      [F[2]!, F[3]!],
      [F[4]!, F[5]!, F[6]!, F[7]!],
    ];
    for (const [i, batch] of batches.entries()) {
      a.snapshot(i + 1, batch, true);
      expect((await a.nth('findings-request', i + 1)).digests).toHaveLength(batch.length);
      a.send({ v: 1, type: 'finding-bodies', seq: i + 1, bodies: batch.map(findingText) });
    }
    await a.settled();

    const b = await RawAgent.welcomed(e.url, 'node-b');
    b.snapshot(1, [F[0]!, F[5]!, F[6]!], true);
    expect((await b.nth('findings-request')).digests).toEqual([digest(F[0]!)]);
    b.send({ v: 1, type: 'finding-bodies', seq: 1, bodies: [findingText(F[0]!)] });
    await b.settled();
    expect(findingsOf(e, 'node-b')).toEqual([F[0], F[5], F[6]]);
  });

  it('builds the same report as from full bodies', async () => {
    const [byRefs, byBodies] = [await endpoint(), await endpoint()];
    const nodes = ['node-1', 'node-2', 'node-3'];
    const own = (i: number): WireFinding =>
      finding({ key: `own-${i}`, id: 'mirror-manifest-missing', message: `only on node-${i}` });
    for (const [e, byReference] of [
      [byRefs, true],
      [byBodies, false],
    ] as const)
      for (const [i, node] of nodes.entries()) {
        const a = await RawAgent.welcomed(e.url, node);
        const findings = [F[0]!, F[1]!, own(i), ...(i === 2 ? [F[7]!] : [])];
        a.snapshot(1, findings, byReference);
        if (byReference) {
          const request = await a.nth('findings-request');
          const texts = new Map(findings.map((f) => [digest(f), findingText(f)]));
          a.send({ v: 1, type: 'finding-bodies', seq: 1, bodies: request.digests.map((d) => texts.get(d)!) });
        }
        a.send(delta(2, [F[2]!], []));
        await a.settled();
      }
    const report = (e: Endpoint): ClusterReport =>
      buildReport({
        nowMs: Date.parse('2026-12-03T12:00:00Z'),
        silentAfterMs: 3_600_000,
        nodes: nodes.map((name) => {
          const agent = e.store.get(name)!;
          return {
            name,
            pool: 'worker',
            registered: true,
            // The same clock for both: what is compared is what the agents said.
            agent: Object.assign(Object.create(agent) as typeof agent, { lastSeenMs: 0 }),
            runtimeVersion: null,
          };
        }),
        events: [],
        pods: new Map(),
      });
    const viaRefs = JSON.stringify(report(byRefs));
    expect(viaRefs).toContain('only on node-2');
    expect(viaRefs).toEqual(JSON.stringify(report(byBodies)));
  });
});

describe('bodies inline, after a welcome with a filter', () => {
  it('a filter hit: only the bodies the filter lacks travel, and nothing is asked', async () => {
    const filters = new ClassDigestFilters();
    const table = new FindingDigestTable();
    const e = await endpoint({ filters, table });
    const shared = [F[0]!, F[1]!, F[2]!];
    const own = (node: string): WireFinding =>
      finding({ key: `own-${node}`, id: 'mirror-manifest-missing', message: `only on ${node}` });
    const nodes = ['node-a', 'node-b', 'node-c', 'node-d'];
    const filtersSeen: WireFindingFilter[] = [];
    for (const node of nodes) {
      const a = await RawAgent.welcomed(e.url, node);
      filtersSeen.push(await a.snapshotAsWelcomed(1, [...shared, own(node)]));
      await a.settled();
      expect(a.received.map((m) => m.type)).toEqual(['welcome', 'images']);
      expect(findingsOf(e, node)).toEqual(
        [...shared, own(node)].toSorted((x, y) => x.key.localeCompare(y.key)),
      );
    }
    // The first three were welcomed with an empty filter (b's and c's inline bodies the table held
    // taught it); the fourth's has the shared digests, not any node's own.
    const last = FindingFilter.fromWire(filtersSeen[3]!);
    expect(shared.every((f) => last.has(digest(f)))).toBe(true);
    expect(nodes.some((n) => last.has(digest(own(n))))).toBe(false);
    expect(filtersSeen[0]).toEqual(filtersSeen[2]);
    expect(findingsOf(e, 'node-d')![0]).toBe(findingsOf(e, 'node-a')![0]);
    expect(e.policyCloses).toEqual([]);
  });

  it('a body the filter lacks but the table holds is taken as it is; a reference it claims but the table lacks is asked for', async () => {
    const e = await endpoint();
    // Sent twice (two nodes): held.
    for (const node of ['node-a', 'node-a2']) {
      const a = await RawAgent.welcomed(e.url, node);
      a.snapshotInline(1, [F[1]!, F[0]!], [F[1]!, F[0]!]);
      await a.settled();
    }
    const b = await RawAgent.welcomed(e.url, 'node-b');
    // F[0] again inline (held: its text is checked, then the table's copy used); F[3] by reference
    // only, as after a false positive.
    b.snapshotInline(1, [F[0]!, F[3]!, F[1]!], [F[0]!]);
    const request = await b.nth('findings-request');
    expect(request.digests).toEqual([digest(F[3]!)]);
    b.send({ v: 1, type: 'finding-bodies', seq: 1, bodies: [findingText(F[3]!)] });
    await b.settled();
    expect(findingsOf(e, 'node-b')).toEqual([F[0], F[1], F[3]]);
    expect(findingsOf(e, 'node-b')![0]).toBe(findingsOf(e, 'node-a')![0]);
    expect(e.policyCloses).toEqual([]);
  });

  it("keeps a node's own bodies out of the table until they arrive a second time", async () => {
    const table = new FindingDigestTable();
    const e = await endpoint({ table });
    const a = await RawAgent.welcomed(e.url, 'node-a');
    a.snapshotInline(1, [F[0]!, F[1]!], [F[0]!, F[1]!]);
    await a.settled();
    expect(table.size).toBe(0);
    // The same node's next snapshot (or another node's) carries them again: now kept.
    a.snapshotInline(2, [F[0]!, F[2]!], [F[0]!, F[2]!]);
    await a.settled();
    expect(table.get(digest(F[0]!))).toBe(findingsOf(e, 'node-a')![0]);
    expect(table.size).toBe(1);
    expect(e.policyCloses).toEqual([]);
  });

  it('refuses a forged inline body and keeps nothing of the message', async () => {
    const table = new FindingDigestTable();
    const e = await endpoint({ table });
    const evil = await RawAgent.welcomed(e.url, 'node-evil');
    // F[0]'s digest with another text: every node that names F[0] would report it.
    const forged = findingText({ ...F[0]!, message: 'all is well', severity: 'info' });
    evil.snapshotInline(1, [F[1]!, F[0]!], [F[1]!, forged]);
    expect(await evil.closed()).toEqual({
      code: 1008,
      reason: 'an inline finding body that is not the text of the next reference with its digest',
    });
    expect(findingsOf(e, 'node-evil')).toEqual([]);
    // Not even the good body before it entered the table.
    expect(table.get(digest(F[1]!))).toBeUndefined();
    expect(e.policyCloses).toEqual(['finding-bodies']);
  });

  it('refuses an inline body twice, out of order, for no reference, or not a finding', async () => {
    const e = await endpoint();
    const notAFinding = '{"key":"k"}';
    const cases: [WireFinding[], (WireFinding | string)[], string, string[]][] = [
      [[F[0]!, F[1]!], [F[0]!, F[0]!], 'an inline finding body that is not the text', []],
      [[F[0]!, F[1]!], [F[1]!, F[0]!], 'an inline finding body that is not the text', []],
      [[F[0]!], [F[0]!, F[1]!], 'an inline finding body that is not the text', []],
      [[F[0]!], [notAFinding], '', [textDigest(notAFinding)]],
    ];
    for (const [i, [findings, bodies, reason, refs]] of cases.entries()) {
      const a = await RawAgent.welcomed(e.url, `node-${i}`);
      if (refs.length === 0) a.snapshotInline(1, findings, bodies);
      else {
        const { findings: _, ...rest } = snapshotOf(1, []);
        a.send({ ...rest, findingRefs: refs, findingBodies: bodies });
      }
      const closed = await a.closed();
      expect(closed.code).toBe(1008);
      expect(closed.reason).toContain(reason || '"id" must be a string');
      expect(findingsOf(e, `node-${i}`)).toEqual([]);
    }
  });

  it('checks the form of a reference only when its table lacks it, and keeps nothing of a message it refuses', async () => {
    const table = new FindingDigestTable();
    const e = await endpoint({ table });
    const a = await RawAgent.welcomed(e.url, 'node-a');
    a.snapshotInline(1, [F[0]!], [F[0]!]);
    const { findings: _, ...rest } = snapshotOf(2, []);
    const malformed = `${digest(F[1]!).slice(0, 42)}+`;
    // F[0] is known by position; F[2]'s body checks out, but the message does not.
    a.send({
      ...rest,
      findingRefs: [digest(F[0]!), digest(F[2]!), malformed],
      findingBodies: [findingText(F[2]!)],
    });
    expect(await a.closed()).toEqual({
      code: 1008,
      reason: '"findingRefs" entries must be base64url SHA-256 digests',
    });
    expect(findingsOf(e, 'node-a')).toEqual([F[0]]);
    // Had the refused message's F[2] counted as its first arrival, this one would keep it.
    const b = await RawAgent.welcomed(e.url, 'node-b');
    b.snapshotInline(1, [F[2]!], [F[2]!]);
    await b.settled();
    expect(table.get(digest(F[2]!))).toBeUndefined();
  });
});

/** The text of one of F by its digest. */
function bodyOf(d: string): string {
  const f = F.find((x) => digest(x) === d);
  if (f === undefined) throw new Error(`no finding with digest ${d}`);
  return findingText(f);
}

describe('the agent link', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mirrorscope-digests-'));
    await writeFile(path.join(dir, 'token'), 'a-token\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const links: CollectorLink[] = [];
  afterEach(async () => {
    for (const l of links.splice(0)) await l.close();
  });

  function link(url: string, node: string, findings: () => readonly WireFinding[]): CollectorLink {
    const l = new CollectorLink({
      url,
      tokenFile: path.join(dir, 'token'),
      caFile: null,
      log: pino({ level: 'silent' }),
    });
    const peer: CollectorPeer = {
      hello: () => ({ node, agentVersion: 't', configHash: 'h', pod: { name: null, namespace: null } }),
      snapshot: (seq) =>
        snapshotOf(
          seq,
          findings().map((f) => ({ ...f })),
        ),
      scannedConfigHash: 'h',
      imagesFromCollector: () => undefined,
      answerTraceRequest: () => Promise.resolve({ trace: null, error: null }),
    };
    links.push(l);
    l.start(peer);
    return l;
  }

  it('sends its snapshot by reference with inline what the filter lacks: no request round trip', async () => {
    const filters = new ClassDigestFilters();
    const e = await endpoint({ filters });
    // A class the collector does not know: every body inline, applied at once.
    link(e.url, 'node-a', () => [F[0]!, F[1]!, F[2]!]);
    await eventually(() => expect(findingsOf(e, 'node-a')).toEqual([F[0], F[1], F[2]]));
    expect(e.messages).toEqual(['hello', 'snapshot']);
    // The second node's F[0] and F[2] arrive twice (kept); two more nodes then say the collector
    // held what they sent inline: the class's filter learns it.
    const nodes: [string, WireFinding][] = [
      ['node-b', F[3]!],
      ['node-c', F[4]!],
      ['node-d', F[5]!],
    ];
    for (const [node, own] of nodes) {
      link(e.url, node, () => [F[2]!, F[0]!, own]);
      await eventually(() => expect(findingsOf(e, node)).toEqual([F[0], F[2], own]));
    }
    const filter = FindingFilter.fromWire(filters.forWelcome('h')!);
    expect(F.map((f) => filter.has(digest(f)))).toEqual([
      true,
      false,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
    link(e.url, 'node-e', () => [F[0]!, F[2]!, F[6]!]);
    await eventually(() => expect(findingsOf(e, 'node-e')).toEqual([F[0], F[2], F[6]]));
    expect(e.messages.filter((m) => m !== 'hello' && m !== 'snapshot')).toEqual([]);
    // One object per finding across nodes, as with bodies.
    expect(findingsOf(e, 'node-e')![0]).toBe(findingsOf(e, 'node-a')![0]);
    expect(e.policyCloses).toEqual([]);
  });

  it('answers the request when the filter claims what the collector lacks (a false positive)', async () => {
    // A filter that claims every digest: every reference is a false positive.
    const claimsAll = { hashes: 1, bits: Buffer.alloc(32, 0xff).toString('base64url') };
    const filters = new (class extends ClassDigestFilters {
      override forWelcome(): WireFindingFilter {
        return claimsAll;
      }
    })();
    const e = await endpoint({ filters });
    link(e.url, 'node-a', () => [F[0]!, F[1]!]);
    await eventually(() => expect(findingsOf(e, 'node-a')).toEqual([F[0], F[1]]));
    expect(e.messages).toEqual(['hello', 'snapshot', 'finding-bodies']);
    expect(e.policyCloses).toEqual([]);
  });

  it('sends bodies to a collector that does not offer references', async () => {
    const old = new FakeCollector('a-token');
    await old.start();
    try {
      link(old.url, 'node-a', () => [F[0]!, F[1]!]);
      const snapshot = await old.waitFor(() => old.messages('snapshot')[0]);
      expect(snapshot.findings).toEqual([F[0], F[1]]);
      expect(old.protocolErrors).toEqual([]);
      // A request about a snapshot that went with bodies is moot.
      old.send({ v: 1, type: 'findings-request', seq: snapshot.seq, digests: [digest(F[5]!)] });
      await new Promise((r) => setTimeout(r, 300));
      expect(old.messages('snapshot')).toHaveLength(1);
      expect(old.received.map((r) => r.message.type)).not.toContain('finding-bodies');
    } finally {
      await old.stop();
    }
  });

  it("inlines exactly the bodies the welcome's filter lacks, in the order of its findings", async () => {
    const snapshots: Record<string, unknown>[] = [];
    const filter = FindingFilter.of([digest(F[0]!), digest(F[2]!)]).toWire();
    await withCollectorStub(
      (ws, m) => {
        if (m.type === 'snapshot') snapshots.push(m);
        if (m.type === 'hello') ws.send(welcomeWith({ findingFilter: filter }));
      },
      async (url) => {
        link(url, 'node-a', () => [F[3]!, F[0]!, F[1]!, F[2]!]);
        await eventually(() => expect(snapshots).toHaveLength(1));
        expect(snapshots[0]).toMatchObject({
          findingRefs: [F[3]!, F[0]!, F[1]!, F[2]!].map(digest),
          findingBodies: [F[3]!, F[1]!].map(findingText),
        });
        expect(snapshots[0]).not.toHaveProperty('findings');
      },
    );
  });

  it('answers a request about digests it did not send with a full snapshot', async () => {
    // A collector that offers references, then asks for a digest the snapshot did not carry.
    const got: Record<string, unknown>[] = [];
    const snapshots = () => got.filter((m) => m.type === 'snapshot');
    await withCollectorStub(
      (ws, m) => {
        got.push(m);
        if (m.type === 'hello') ws.send(welcomeWith({}));
        if (m.type === 'snapshot' && 'findingRefs' in m && snapshots().length === 1)
          ws.send(encode({ v: 1, type: 'findings-request', seq: m.seq as number, digests: [digest(F[5]!)] }));
      },
      async (url) => {
        link(url, 'node-a', () => [F[0]!]);
        await eventually(() => expect(snapshots()).toHaveLength(2));
        const [refs, full] = snapshots();
        expect(refs).toMatchObject({ findingRefs: [digest(F[0]!)] });
        expect(refs).not.toHaveProperty('findings');
        // A collector whose welcome has no filter: references only, as before.
        expect(refs).not.toHaveProperty('findingBodies');
        expect(full).toMatchObject({ findings: [F[0]] });
        expect(got.some((m) => m.type === 'finding-bodies')).toBe(false);
      },
    );
  });
});

/** A welcome offering findings by reference, with `extra` (a filter) added. */
function welcomeWith(extra: Record<string, unknown>): string {
  return encode({
    v: 1,
    type: 'welcome',
    collectorVersion: 't',
    heartbeatIntervalMs: 60_000,
    findingDigests: true,
    ...extra,
  });
}

/** A collector stand-in on loopback: `onMessage` answers each agent message; `body` gets its URL. */
async function withCollectorStub(
  onMessage: (ws: WebSocket, m: Record<string, unknown>) => void,
  body: (url: string) => Promise<void>,
): Promise<void> {
  const server = createServer();
  const wss = new WebSocketServer({ server, path: AGENT_PATH });
  wss.on('connection', (ws) =>
    ws.on('message', (data) => onMessage(ws, JSON.parse(String(data)) as Record<string, unknown>)),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await body(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    for (const c of wss.clients) c.terminate();
    wss.close();
    server.close();
  }
}
