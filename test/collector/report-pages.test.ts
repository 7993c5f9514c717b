// The paged, filtered report (GET /api/v1/report?node=&cause=&severity=&limit=&continue=) against
// a real collector with real agent connections: pages concatenate to the filtered report, continue
// tokens keep pointing at the report they came from, filters combine, bad parameters are a 400
// that says what is wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type RunningCollector } from '../../src/collector/collector.js';
import { silentLog } from '../../src/collector/log.js';
import { parseListen } from '../../src/protocol/listen-address.js';
import type { ClusterReport } from '../../src/core/report/types.js';
import { eventually } from '../support/eventually.js';
import { finding, ProtocolAgent } from '../support/protocol-agent.js';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
let collector: RunningCollector;
let url: string;
const agents: ProtocolAgent[] = [];

type Page = Partial<ClusterReport> & { continue: string | null; remainingItemCount: number };
const LISTS = ['causes', 'problems', 'mirrors', 'images', 'findingClasses', 'nodes'] as const;

async function get(query: string): Promise<{ status: number; body: Page & { error?: string } }> {
  const res = await fetch(`${url}/api/v1/report${query}`);
  return { status: res.status, body: (await res.json()) as Page & { error?: string } };
}

/** Every page of a query, following continue tokens. */
async function allPages(query: string): Promise<Page[]> {
  const pages: Page[] = [];
  let token: string | null = null;
  do {
    const sep = query === '' ? '?' : '&';
    const { status, body } = await get(`?${query}${token === null ? '' : `${sep}continue=${token}`}`);
    expect(status).toBe(200);
    pages.push(body);
    token = body.continue;
  } while (token !== null && pages.length < 1000);
  return pages;
}

function concatenated(pages: readonly Page[]): Record<string, unknown[]> {
  return Object.fromEntries(LISTS.map((l) => [l, pages.flatMap((p): readonly unknown[] => p[l] ?? [])]));
}

beforeAll(async () => {
  collector = await startCollector({
    listen: [parseListen('127.0.0.1:0')],
    auth: 'none',
    kube: null,
    namespace: 'mirrorscope',
    agentUser: 'system:serviceaccount:mirrorscope:mirrorscope-agent',
    nodePools: new Map(NODES.map((n) => [n, 'worker'])),
    log: silentLog,
  });
  url = collector.urls[0]!;
  for (const [i, node] of NODES.entries()) {
    const a = new ProtocolAgent(url, node, null);
    agents.push(a);
    await a.connect('pool');
    await a.waitFor('welcome');
    a.snapshot({
      configHash: 'pool',
      findings: [
        finding({
          id: 'mirror-unreachable',
          key: 'mirror-unreachable:m1',
          severity: 'warning',
          host: 'm1:5000',
        }),
        finding({ id: 'config-unknown-key', key: 'unknown-key:3', severity: 'info' }),
        ...(i < 2
          ? [
              finding({
                id: 'mirror-manifest-missing',
                key: `missing:app${i}`,
                severity: 'error',
                image: `app:${i}`,
                host: 'm1:5000',
              }),
            ]
          : []),
      ],
      hosts: [
        {
          host: 'm1:5000',
          reachable: false,
          outcome: 'unreachable',
          latencyMs: null,
          probedAt: new Date().toISOString(),
        },
      ],
    });
  }
  await eventually(async () => {
    const r = (await get('')).body;
    expect(r.nodes?.filter((n) => n.agent === 'connected')).toHaveLength(NODES.length);
  }, 'every agent in the report');
});

afterAll(async () => {
  for (const a of agents) a.close();
  await collector?.close();
});

describe('paged report', () => {
  it('gives the whole report in pages of `limit` items that concatenate to it', async () => {
    const whole = (await get('')).body;
    const pages = await allPages('limit=2');
    expect(pages.length).toBeGreaterThan(3);
    for (const p of pages) expect(LISTS.reduce((n, l) => n + (p[l]?.length ?? 0), 0)).toBeLessThanOrEqual(2);
    expect(pages[0]!.summary).toEqual(whole.summary);
    expect(pages[1]!.summary).toBeUndefined();
    expect(pages.at(-1)!.remainingItemCount).toBe(0);
    expect(concatenated(pages)).toEqual(Object.fromEntries(LISTS.map((l) => [l, whole[l]])));
  });

  it('keeps a continue token on its report while newer reports replace it', async () => {
    const first = (await get('?limit=3')).body;
    const second = (await get(`?limit=3&continue=${first.continue}`)).body;
    // The cluster changes and a new report is built: the token still reads the old one.
    agents[4]!.send({
      v: 1,
      type: 'delta',
      seq: 2,
      configHash: 'pool',
      added: [finding({ id: 'x', key: 'late', severity: 'error' })],
      cleared: [],
      hosts: [],
      images: [],
    });
    await eventually(async () => {
      expect((await get('?severity=error')).body.problems?.map((p) => p.key)).toContain('late');
    }, 'the new finding in a new report');
    const again = (await get(`?limit=3&continue=${first.continue}`)).body;
    expect(again).toEqual(second);
    expect(JSON.stringify(again)).not.toContain('"late"');
  });

  it('combines filters', async () => {
    const errorsOnN1 = (await get('?node=n1&severity=error')).body;
    expect(errorsOnN1.problems!.map((p) => p.key)).toEqual([
      'mirror-unreachable-from-nodes:m1:5000',
      'missing:app0',
    ]);
    expect(errorsOnN1.nodes!.map((n) => n.name)).toEqual(['n1']);
    expect(errorsOnN1.images!.map((i) => i.image)).toEqual([]);
    const onN3 = (await get('?node=n3')).body;
    expect(onN3.problems!.map((p) => p.key).sort()).toEqual(
      ['mirror-unreachable-from-nodes:m1:5000', 'mirror-unreachable:m1', 'unknown-key:3'].sort(),
    );
    const cause = (await get('')).body.causes!.find((c) => c.findings.includes('missing:app1'))!;
    const byCause = (await get(`?cause=${encodeURIComponent(cause.id)}`)).body;
    expect(byCause.causes!.map((c) => c.id)).toEqual([cause.id]);
    expect(byCause.problems!.map((p) => p.key).sort()).toEqual([...cause.findings].sort());
    expect(byCause.nodes!.map((n) => n.name).sort()).toEqual([...cause.affects.nodes].sort());
    const causeOnOtherNode = (await get(`?cause=${encodeURIComponent(cause.id)}&node=n5`)).body;
    expect(causeOnOtherNode.causes).toEqual([]);
    expect(causeOnOtherNode.nodes).toEqual([]);
    // Filtered pages concatenate to the filtered report.
    const warnings = (await get('?severity=warning,info')).body;
    expect(warnings.problems!.every((p) => p.severity !== 'error')).toBe(true);
    expect(concatenated(await allPages('severity=warning,info&limit=1'))).toEqual(
      Object.fromEntries(LISTS.map((l) => [l, warnings[l]])),
    );
    expect((await get('?cause=no-such:cause')).body.problems).toEqual([]);
  });

  it('refuses bad parameters with 400 and says why', async () => {
    const bad: [string, RegExp][] = [
      ['?limit=0', /"limit".*1 to 10000/],
      ['?limit=abc', /"limit"/],
      ['?limit=10001', /"limit"/],
      ['?severity=fatal', /"severity".*error, warning, info.*"fatal"/],
      ['?node=', /"node".*empty/],
      ['?node=a&node=b', /"node".*2 times/],
      ['?nodes=n1', /unknown query parameter "nodes"/],
      ['?continue=garbage', /"continue".*not a token/],
    ];
    for (const [query, message] of bad) {
      const { status, body } = await get(query);
      expect({ query, status }).toEqual({ query, status: 400 });
      expect(body.error).toMatch(message);
    }
    const token = (await get('?limit=1&severity=info')).body.continue!;
    const other = await get(`?limit=1&severity=error&continue=${token}`);
    expect(other.status).toBe(400);
    expect(other.body.error).toMatch(/issued for other filters/);
  });

  it('answers 410 for a token whose report is no longer kept', async () => {
    const token = (await get('?limit=1')).body.continue!;
    // Four newer paged reads, each on a new report, push it out (three are kept).
    for (let i = 0; i < 4; i++) {
      agents[0]!.send({
        v: 1,
        type: 'delta',
        seq: 10 + i,
        configHash: 'pool',
        added: [finding({ id: 'x', key: `churn-${i}` })],
        cleared: [],
        hosts: [],
        images: [],
      });
      await eventually(async () => {
        expect((await get('?node=n1')).body.problems!.map((p) => p.key)).toContain(`churn-${i}`);
      }, `churn-${i}`);
    }
    const gone = await get(`?limit=1&continue=${token}`);
    expect(gone.status).toBe(410);
    expect(gone.body.error).toMatch(/no longer kept.*start again/);
  });
});
