// The report of a fixed cluster, byte for byte as the cause model built it before causes of one
// finding each were kept compact (d54d0c6): the causes a memo keeps, rebuilds after its causes were
// collected, and a build from nothing all give the very JSON the builder gave then. The digests were
// taken with the builder of 525660f; a change to what the report says changes them (then check the
// difference is meant, and take them again).
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { NodeStore } from '../../src/collector/node-store.js';
import { causesOfScan } from '../../src/core/causes/of-scan.js';
import type { Cause } from '../../src/core/causes/types.js';
import { buildReport } from '../../src/core/report/build-report.js';
import { WeakReportMemo } from '../../src/core/report/report-memo.js';
import type { ClusterInput, ClusterReport, NodeInput, PullEvent } from '../../src/core/report/types.js';
import type { ImageStatus, SnapshotMessage, WireFinding } from '../../src/protocol/messages.js';
import { finding, helloMessage } from '../support/protocol-agent.js';

const T0 = Date.parse('2026-12-03T12:00:00Z');
const NODES = Array.from({ length: 40 }, (_, i) => `node-${String(i).padStart(2, '0')}`);
const HOSTS = ['m0.corp:5000', 'm1.corp:5000', 'm2.corp'];
const IMAGES = Array.from({ length: 6 }, (_, i) => `quay.io/t${i}/app:${i}`);
const FILE = '/etc/containers/registries.conf';

/** Messages that name their kind more precisely (DNS, timeout, TLS, refused) and plain ones. */
const ERRORS = [
  'dial tcp: lookup m0.corp: no such host',
  'connection refused',
  'i/o timeout',
  'x509: certificate signed by unknown authority',
  'answers "manifest unknown"',
];

function shared(i: number): WireFinding {
  const host = HOSTS[i % 3]!;
  const image = IMAGES[i % 6]!;
  switch (i % 6) {
    case 0:
      return finding({ id: 'mirror-unreachable', key: `s-${i}`, host, message: `${host}: ${ERRORS[i % 5]}` });
    case 1:
      return finding({ id: 'mirror-manifest-missing', key: `s-${i}`, host, image, severity: 'error' });
    case 2:
      return finding({ id: 'config-unknown-key', key: `s-${i}`, file: FILE, line: i, severity: 'info' });
    case 3:
      return finding({ id: 'mirror-tls-untrusted', key: `s-${i}`, host, message: ERRORS[3]! });
    case 4:
      return finding({ id: 'image-pull-fails', key: `s-${i}`, image, severity: 'error' });
    default:
      return finding({
        id: 'config-duplicate-prefix',
        key: `s-${i}`,
        file: FILE,
        line: 40 + i,
        scope: 'quay.io',
      });
  }
}

function own(node: string, n: number, k: number): WireFinding {
  const i = n + k;
  const host = HOSTS[i % 3]!;
  const image = IMAGES[i % 6]!;
  switch (k % 4) {
    case 0:
      return finding({
        id: 'config-unknown-key',
        key: `own-${node}-${k}`,
        file: FILE,
        line: 100 + k,
        message: k === 4 ? `${FILE}:${100 + k}: unknown key on ${node}` : `unknown key on ${node}`,
        severity: 'info',
        image,
        host,
      });
    case 1:
      return finding({
        id: 'mirror-unreachable',
        key: `own-${node}-${k}`,
        host,
        message: `${host} from ${node}: ${ERRORS[i % 5]}`,
        ...(i % 7 === 0 ? { stale: 'the probe timed out' } : {}),
      });
    case 2:
      return finding({
        id: 'mirror-manifest-missing',
        key: `own-${node}-${k}`,
        host,
        image,
        message: `lacks ${image} (${node})`,
      });
    default:
      return finding({
        id: 'config-unknown-key',
        key: `own-${node}-${k}`,
        message: `typo on ${node}`,
        severity: 'warning',
      });
  }
}

function images(n: number): ImageStatus[] {
  return IMAGES.map((image, i) => {
    const pullable = (n + i) % 4 !== 0;
    return {
      image,
      pullable,
      source: pullable ? `${HOSTS[i % 3]}/x` : null,
      digest: null,
      findingKeys: pullable ? [] : [`s-${i}`, `own-${NODES[n]}-${i % 8}`].filter((_, j) => j <= n % 2),
    };
  });
}

function snapshot(n: number, ownCount = 8, added: readonly WireFinding[] = []): SnapshotMessage {
  const node = NODES[n]!;
  return {
    v: 1,
    type: 'snapshot',
    seq: 1,
    generatedAt: '',
    configHash: n % 13 === 5 ? 'other' : 'pool',
    files: [],
    findings: [
      ...Array.from({ length: 18 }, (_, i) => shared(i)).filter((_, i) => n < 30 || i % 5 !== 0),
      ...Array.from({ length: ownCount }, (_, k) => own(node, n, k)),
      ...added,
    ],
    hosts: HOSTS.map((host, i) => ({
      host,
      reachable: (n + i) % 3 !== 0,
      outcome: (n + i) % 3 !== 0 ? 'found' : ['unreachable', 'unauthorized', 'tls-untrusted'][(n + i) % 3]!,
      latencyMs: 5 + i,
      probedAt: '',
    })),
    images: images(n),
    scan: null,
  };
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage once the current job is over (a WeakRef keeps its target until then). */
async function collected(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  gc();
}

function json(value: unknown): string {
  return JSON.stringify(value);
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

describe('report of a fixed cluster', () => {
  it('is the JSON the builder gave before, built with a memo, again after a collection, and from nothing', async () => {
    const store = new NodeStore();
    const connections = new Map<string, number>();
    let now = T0;
    let pods = new Map(NODES.map((node, n) => [node, new Map([[IMAGES[n % 6]!, 1 + (n % 3)]])]));
    let events: PullEvent[] = [];
    NODES.forEach((node, n) => {
      const id = store.hello(helloMessage(node, 'pool'), n % 11 === 3 ? T0 - 3_600_000 : T0);
      connections.set(node, id);
      store.snapshot(node, id, snapshot(n), n % 11 === 3 ? T0 - 3_600_000 : T0);
    });
    const input = (incremental: boolean): ClusterInput => ({
      nowMs: now,
      silentAfterMs: 600_000,
      nodes: [...NODES, 'node-without-agent'].map((name, i): NodeInput => ({
        name,
        pool: i % 4 === 0 ? 'infra' : 'worker',
        registered: true,
        agent: store.get(name) ?? null,
        runtimeVersion: i % 9 === 0 ? 'cri-o://1.28.1' : 'cri-o://1.29.4',
      })),
      events,
      pods,
      ...(incremental ? { agentWitnesses: store.witnesses } : {}),
    });
    const memo = new WeakReportMemo();
    const digests: string[] = [];
    const build = (): ClusterReport => {
      const report = buildReport(input(true), memo);
      const incremental = json(report);
      expect(incremental).toBe(json(buildReport(input(false))));
      digests.push(digest(incremental));
      return report;
    };
    // What holds a report (nothing, once it is let go).
    const held: { report: ClusterReport | null } = { report: build() };
    const firstCauses = new WeakRef(held.report!.causes);
    held.report = null;
    await collected();
    // The causes of one finding each went with the report: made again from their findings.
    expect(firstCauses.deref()).toBeUndefined();
    now += 1000;
    held.report = build();
    const kept = held.report.causes.filter((c) => c.findings.length === 1);
    // Five nodes drop findings and report new ones (whose keys sort together, before the others).
    for (const n of [1, 7, 12, 20, 33]) {
      const node = NODES[n]!;
      const added = [finding({ id: 'config-unknown-key', key: `added-${node}`, message: `new on ${node}` })];
      store.snapshot(node, connections.get(node)!, snapshot(n, 5, added), now);
    }
    // The report lives: the causes of findings that did not change are the very objects.
    const third = build();
    const changed = (c: Cause) => [1, 7, 12, 20, 33].some((n) => c.findings[0]!.includes(NODES[n]!));
    const unchanged = kept.filter((c) => !changed(c));
    expect(third.causes.filter((c) => unchanged.includes(c)).length).toBeGreaterThan(unchanged.length * 0.9);
    held.report = null;
    await collected();
    store.disconnected(NODES[2]!, connections.get(NODES[2]!)!);
    store.forget(NODES[3]!);
    pods = new Map(NODES.map((node, n) => [node, new Map([[IMAGES[(n + 1) % 6]!, 2]])]));
    events = [
      {
        node: NODES[4]!,
        image: IMAGES[0]!,
        namespace: 'apps',
        pod: 'p4',
        count: 2,
        lastSeen: '2026-12-03T12:00:00Z',
        error: 'manifest unknown',
        candidates: [
          {
            reference: `m1.corp:5000/t0/app:0`,
            host: 'm1.corp:5000',
            error: 'manifest unknown',
            findingId: 'pull-manifest-unknown',
          },
        ],
      },
    ];
    build();
    expect(digests).toEqual(GOLDEN.report);
  });

  it('gives one node the causes it gave before (the agent and check)', () => {
    const { findings } = snapshot(6);
    const causes = causesOfScan(findings, images(6), NODES[6]!);
    expect(digest(json(causes))).toBe(GOLDEN.scan);
  });
});

const GOLDEN = {
  report: ['0bd5ae8ec89fc4ce', '7187b6b6aa39ae33', 'dd79a7670d56209c', 'ddec23b2ec5031f7'],
  scan: '3f7be42b2f911abb',
};
