// A hostile agent against the real collector process (real WebSockets, the fake Kubernetes API for
// TokenReview and pods): node names it invents, state it piles up across reconnects, message floods,
// connections that never say hello, oversized frames, floods of invented tokens, and slow-header
// clients on both HTTP servers (the collector's and the agent's).
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AgentHttpServer } from '../../src/agent/http-server.js';
import { NODE_LIMITS } from '../../src/collector/node-limits.js';
import { REVIEWS_GLOBAL, REVIEWS_PER_SOURCE } from '../../src/collector/review-throttle.js';
import type { ClusterReport } from '../../src/core/report/types.js';
import { AGENT_PATH, MAX_MESSAGE_BYTES } from '../../src/protocol/messages.js';
import { runCli } from '../support/cli.js';
import { eventually } from '../support/eventually.js';
import { API_AUDIENCE, FakeKubeApi, nodeObject, podObject, AGENT_SA } from '../support/fake-kube-api.js';
import { kubeFlags, startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';
import { finding, ProtocolAgent } from '../support/protocol-agent.js';

const NS = 'mirrorscope';
const TOKEN_REVIEWS = '/apis/authentication.k8s.io/v1/tokenreviews';

let api: FakeKubeApi;
let collector: CollectorProcess;
const opened: { close(): void }[] = [];

/** A projected token of the agent pod `pod` (as Kubernetes < 1.30 issues it: pod, no node). */
function podToken(token: string, pod: string, uid = `uid-pods-${pod}`): void {
  api.tokens.set(token, {
    username: AGENT_SA,
    audiences: ['mirrorscope'],
    extra: { 'authentication.kubernetes.io/pod-name': [pod], 'authentication.kubernetes.io/pod-uid': [uid] },
  });
}

function agent(node: string, token: string | null, url = collector.url): ProtocolAgent {
  const a = new ProtocolAgent(url, node, token);
  opened.push(a);
  return a;
}

/** A WebSocket that authenticates but never says hello. */
function silentSocket(token: string, localAddress?: string): Promise<WebSocket> {
  const ws = new WebSocket(`${collector.url.replace(/^http/, 'ws')}${AGENT_PATH}`, {
    headers: { Authorization: `Bearer ${token}` },
    perMessageDeflate: false,
    ...(localAddress !== undefined ? { localAddress } : {}),
  });
  opened.push({ close: () => ws.terminate() });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) =>
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { res })),
    );
  });
}

function closeCode(ws: WebSocket): Promise<number> {
  return ws.readyState === WebSocket.CLOSED
    ? Promise.resolve(-1)
    : new Promise((resolve) => ws.once('close', (code: number) => resolve(code)));
}

async function report(): Promise<ClusterReport> {
  const res = await fetch(`${collector.url}/api/v1/report`, {
    headers: { Authorization: 'Bearer admin-token' },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as ClusterReport;
}

beforeAll(async () => {
  api = await new FakeKubeApi().start();
  for (const n of ['node-a', 'node-b', 'node-c']) api.upsert('nodes', nodeObject(n));
  api.upsert('pods', podObject(NS, 'agent-a', 'node-a', { containers: ['quay.example/mirrorscope:1'] }));
  podToken('bound-a', 'agent-a');
  podToken('gone-pod', 'agent-gone');
  podToken('replaced-pod', 'agent-a', 'uid-of-an-earlier-agent-a');
  for (const n of ['node-b', 'node-c']) api.agentToken(`node-token-${n}`, n);
  api.tokens.set('unbound', { username: AGENT_SA, audiences: ['mirrorscope'] });
  api.tokens.set('admin-token', { username: 'alice', audiences: [API_AUDIENCE] });
  api.rules.push({ user: 'alice', verb: 'get', resource: 'nodes' });
  collector = await startCollectorProcess([...kubeFlags(api, NS), '--heartbeat-interval', '5']);
});

afterAll(async () => {
  for (const o of opened) o.close();
  await collector?.stop();
  await api?.stop();
});

describe('the node an agent speaks for', () => {
  it("is the node of the token's bound pod, whatever hello says", async () => {
    const honest = agent('node-a', 'bound-a');
    await honest.connect();
    await honest.waitFor('welcome');
    const impostor = agent('node-b', 'bound-a');
    await impostor.connect();
    expect(await impostor.closed()).toBe(1008);
    await eventually(async () => {
      const r = await report();
      expect(r.nodes.find((n) => n.name === 'node-a')?.agent).toBe('connected');
      expect(r.nodes.find((n) => n.name === 'node-b')?.agent).toBe('missing');
    }, 'node-a connected, node-b untouched');
  });

  it('refuses a token that proves no node: 300 invented nodes stay out of the report', async () => {
    const before = api.count('POST', TOKEN_REVIEWS);
    const refusals = await Promise.allSettled(
      Array.from({ length: 300 }, (_, i) => agent(`invented-${i}`, 'unbound').connect()),
    );
    expect(refusals.every((r) => r.status === 'rejected' && /HTTP 403/.test(String(r.reason)))).toBe(true);
    // The answer for the one token is cached: not a TokenReview per attempt.
    expect(api.count('POST', TOKEN_REVIEWS) - before).toBeLessThanOrEqual(2);
    const r = await report();
    expect(r.nodes.filter((n) => n.name.startsWith('invented-'))).toEqual([]);
    expect(collector.log.join('\n')).toContain('the token is bound to no pod, so it proves no node');
  });

  it('refuses a token whose pod is gone or was replaced', async () => {
    await expect(agent('node-a', 'gone-pod').connect()).rejects.toThrow('HTTP 403');
    await expect(agent('node-a', 'replaced-pod').connect()).rejects.toThrow('HTTP 403');
    expect(collector.log.join('\n')).toMatch(/the token's pod mirrorscope\/agent-gone does not exist/);
  });
});

describe('per-node limits and the message budget', () => {
  it('keeps the per-node finding limit across 20 reconnects × 10 deltas of 100 findings, and says so', async () => {
    for (let round = 0; round < 20; round++) {
      const a = agent('node-b', 'node-token-node-b');
      await a.connect();
      await a.waitFor('welcome');
      for (let d = 0; d < 10; d++)
        a.send({
          v: 1,
          type: 'delta',
          seq: d + 1,
          configHash: 'hash-a',
          added: Array.from({ length: 100 }, (_, i) =>
            finding({ id: 'mirror-unreachable', key: `r${round}-d${d}-${i}`, message: `finding ${i}` }),
          ),
          cleared: [],
          hosts: [],
          images: [],
        });
      a.send({ v: 1, type: 'heartbeat', seq: 99, at: new Date().toISOString() });
      a.close();
    }
    const node = await eventually(async () => {
      const n = (await report()).nodes.find((x) => x.name === 'node-b')!;
      expect(n.findings.length).toBeGreaterThan(NODE_LIMITS.findings);
      return n;
    }, 'node-b findings');
    expect(n(node.findings, 'mirror-unreachable')).toBe(NODE_LIMITS.findings);
    expect(node.findings.filter((f) => f.id === 'agent-limit-exceeded').map((f) => f.key)).toEqual([
      'agent-limit-exceeded:findings',
    ]);
    expect(collector.log.join('\n')).toContain('agent node-b sent more than the collector keeps per node');
  });

  it('is a budget of the node: reconnecting does not refill it', async () => {
    const flood = agent('node-c', 'node-token-node-c');
    await flood.connect();
    await flood.waitFor('welcome');
    for (let i = 0; i < 400; i++)
      flood.send({ v: 1, type: 'heartbeat', seq: i, at: new Date().toISOString() });
    expect(await flood.closed()).toBe(1008);
    // A budget per connection would let a fresh connection send 300 more; the node's is spent.
    const again = agent('node-c', 'node-token-node-c');
    await again.connect();
    for (let i = 0; i < 100; i++)
      again.send({ v: 1, type: 'heartbeat', seq: i, at: new Date().toISOString() });
    expect(await again.closed()).toBe(1008);
    expect(collector.log.join('\n')).toContain('agent node-c sends too many messages');
  });
});

describe('connections', () => {
  it('lets 2 connections per node wait for hello, and closes them after the 10 s deadline', async () => {
    const attempts = await Promise.allSettled(Array.from({ length: 20 }, () => silentSocket('bound-a')));
    const open = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    expect(open).toHaveLength(2);
    for (const a of attempts) if (a.status === 'rejected') expect(String(a.reason)).toContain('HTTP 429');
    const started = Date.now();
    expect(await Promise.all(open.map(closeCode))).toEqual([1008, 1008]);
    // The deadline is 10 s (HELLO_DEADLINE_MS), not the ping cycle or never.
    expect(Date.now() - started).toBeLessThan(15_000);
    // Once they are gone, the node's agent connects as usual.
    const a = agent('node-a', 'bound-a');
    await a.connect();
    await a.waitFor('welcome');
  });

  it('closes a connection that sends a frame above the maximum payload (1009)', async () => {
    const a = agent('node-a', 'bound-a');
    await a.connect();
    await a.waitFor('welcome');
    const ws = (a as unknown as { socket: WebSocket }).socket;
    ws.send(`{"v":1,"type":"heartbeat","seq":1,"at":"${'x'.repeat(MAX_MESSAGE_BYTES)}"}`);
    expect(await a.closed()).toBe(1009);
  });
});

describe('slow-header clients', () => {
  /** Resolves with the ms until the server closes a client that trickles one header byte a second. */
  function trickle(port: number, silent: boolean): Promise<number> {
    const started = Date.now();
    const socket: Socket = connect(port, '127.0.0.1');
    opened.push({ close: () => socket.destroy() });
    socket.on('error', () => undefined);
    socket.resume();
    let timer: NodeJS.Timeout | undefined;
    socket.once('connect', () => {
      if (silent) return;
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      timer = setInterval(() => socket.write('X'), 1000);
    });
    return new Promise((resolve) =>
      socket.once('close', () => {
        clearInterval(timer);
        resolve(Date.now() - started);
      }),
    );
  }

  it('are cut off after the 10 s header timeout on the collector and the agent (were ~83 s)', async () => {
    const agentServer = new AgentHttpServer({
      healthy: () => true,
      readiness: () => ({ ready: true, reason: 'ready' }),
      metrics: () => Promise.resolve({ contentType: 'text/plain', body: '' }),
      trace: () => Promise.resolve({}),
      findings: () => [],
      config: () => ({}),
    });
    const { port: agentPort } = await agentServer.listen('127.0.0.1', 0);
    try {
      const collectorPort = Number(new URL(collector.url).port);
      const times = await Promise.all([
        trickle(collectorPort, false),
        trickle(collectorPort, true),
        trickle(agentPort, false),
        trickle(agentPort, true),
      ]);
      for (const t of times) {
        expect(t).toBeGreaterThanOrEqual(9_000);
        expect(t).toBeLessThan(15_000);
      }
    } finally {
      await agentServer.close();
    }
  });
});

// Last: it spends 127.0.0.1's TokenReview budget.
describe('TokenReviews for unknown tokens', () => {
  async function attempt(
    token: string,
    localAddress?: string,
  ): Promise<{ status: number; retryAfter?: string }> {
    try {
      (await silentSocket(token, localAddress)).terminate();
      return { status: 101 };
    } catch (err) {
      const res = (err as { res?: { statusCode: number; headers: Record<string, string> } }).res;
      return { status: res?.statusCode ?? -1, retryAfter: res?.headers['retry-after'] };
    }
  }

  it('are throttled per source address: 600 invented tokens are not 600 TokenReviews', async () => {
    const before = api.count('POST', TOKEN_REVIEWS);
    const started = Date.now();
    const answers: { status: number; retryAfter?: string }[] = [];
    for (let batch = 0; batch < 6; batch++)
      answers.push(
        ...(await Promise.all(Array.from({ length: 100 }, (_, i) => attempt(`invented-${batch}-${i}`)))),
      );
    const seconds = (Date.now() - started) / 1000;
    const reviews = api.count('POST', TOKEN_REVIEWS) - before;
    expect(reviews).toBeLessThanOrEqual(
      REVIEWS_PER_SOURCE.burst + Math.ceil(seconds * REVIEWS_PER_SOURCE.perSecond) + 1,
    );
    expect(answers.filter((a) => a.status === 401)).toHaveLength(reviews);
    const throttled = answers.filter((a) => a.status === 429);
    expect(throttled).toHaveLength(600 - reviews);
    expect(throttled.every((a) => Number(a.retryAfter) >= 1)).toBe(true);
  });

  it('are throttled globally: many source addresses together cannot pass the global budget', async () => {
    const before = api.count('POST', TOKEN_REVIEWS);
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 600 }, (_, i) => attempt(`spread-${i}`, `127.0.1.${1 + (i % 60)}`)),
    );
    const seconds = (Date.now() - started) / 1000;
    const reviews = api.count('POST', TOKEN_REVIEWS) - before;
    expect(reviews).toBeLessThanOrEqual(
      REVIEWS_GLOBAL.burst + Math.ceil(seconds * REVIEWS_GLOBAL.perSecond) + 1,
    );
    // The bound above is the throttle's proof; how many were refused depends on how fast this machine
    // ran the 600 attempts, so only their sum is fixed.
    expect(answers.filter((a) => a.status === 401)).toHaveLength(reviews);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(600 - reviews);
  });

  it('count in the metrics, with every other refusal of this file', async () => {
    const metrics = await (
      await fetch(`${collector.url}/metrics`, { headers: { Authorization: 'Bearer admin-token' } })
    ).text();
    const value = (series: string): number =>
      Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0);
    expect(value('mirrorscope_collector_token_reviews_throttled_total')).toBeGreaterThan(0);
    expect(value('mirrorscope_collector_agent_limit_hits_total{limit="findings"}')).toBeGreaterThan(0);
    for (const reason of ['no-hello', 'too-many-messages', 'wrong-node'])
      expect(
        value(`mirrorscope_collector_agent_policy_closes_total{reason="${reason}"}`),
        reason,
      ).toBeGreaterThan(0);
    expect(value('mirrorscope_collector_agent_auth_failures_total{status="429"}')).toBeGreaterThan(0);
  });
});

describe('--allow-unbound-agent-tokens', () => {
  it('takes the agent at its word for tokens bound to no pod, for nodes that exist, and only with --auth kube', async () => {
    const open = await startCollectorProcess([...kubeFlags(api, NS), '--allow-unbound-agent-tokens']);
    try {
      await eventually(async () => expect((await fetch(`${open.url}/readyz`)).status).toBe(200), 'ready');
      const a = agent('node-c', 'unbound', open.url);
      await a.connect();
      await a.waitFor('welcome');
      // Only for a node that exists: the agent's word is all the collector has.
      const invented = agent('invented-node', 'unbound', open.url);
      await invented.connect();
      expect(await invented.closed()).toBe(1008);
      expect(open.log.join('\n')).toContain('claims node invented-node, which does not exist');
    } finally {
      await open.stop();
    }
    const bad = await runCli(['collector', '--auth', 'none', '--allow-unbound-agent-tokens']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--allow-unbound-agent-tokens only applies to --auth kube');
  });
});

function n(findings: readonly { id: string }[], id: string): number {
  return findings.filter((f) => f.id === id).length;
}
