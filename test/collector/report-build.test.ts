// The pure parts of the collector: kubelet error text → per-source findings, the report builder
// (dedupe, drift, mirrors, images, agent states), pod image sets, label selectors, the digest.
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/core/report/build-report.js';
import {
  classifyPullError,
  parsePullFailure,
  splitPullError,
  stripWrappers,
} from '../../src/core/report/pull-error-text.js';
import { digestFingerprint, digestOf } from '../../src/core/report/summary.js';
import { renderReportHtml } from '../../src/core/report/render-html.js';
import type { AgentView, ClusterInput, NodeInput, ReportFinding } from '../../src/core/report/types.js';
import { ImageSets, imagesByNode } from '../../src/collector/pod-images.js';
import { parseLabelSelector } from '../../src/collector/label-selector.js';
import { poolOf } from '../../src/collector/node-pools.js';
import { percentile } from '../../src/core/report/percentile.js';
import { WeakReportMemo } from '../../src/core/report/report-memo.js';
import { WitnessIndex } from '../../src/core/report/witnesses.js';
import { evidenceKeyCarried, evidenceKeyOf } from '../../src/core/causes/evidence.js';
import { FindingInterner } from '../../src/collector/finding-interner.js';
import { NodeStore } from '../../src/collector/node-store.js';
import { ReportPublisher } from '../../src/collector/report-publisher.js';
import { silentLog } from '../../src/collector/log.js';
import { asJson } from '../support/as-json.js';
import { finding, snapshotMessage } from '../support/protocol-agent.js';
import { podObject, nodeObject } from '../support/fake-kube-api.js';
import type { V1Node, V1Pod } from '@kubernetes/client-node';

const NOW = Date.parse('2026-11-23T12:00:00Z');

function agent(partial: Partial<AgentView> = {}): AgentView {
  return {
    connected: true,
    lastSeenMs: NOW - 1000,
    agentVersion: 't',
    configHash: 'h1',
    files: [],
    findings: [],
    hosts: [],
    images: [],
    scanAt: null,
    ...partial,
  };
}

function input(nodes: NodeInput[], extra: Partial<ClusterInput> = {}): ClusterInput {
  return { nowMs: NOW, silentAfterMs: 90_000, nodes, events: [], ...extra };
}

describe('kubelet pull-failure text', () => {
  const mirrorsFailed =
    'initializing source docker://quay.io/ns/app:1: (Mirrors also failed: [mirror.a:5000/ns/app:1: pinging container registry mirror.a:5000: Get "https://mirror.a:5000/v2/": x509: certificate signed by unknown authority]\n' +
    '[mirror.b/ns/app:1: reading manifest 1 in mirror.b/ns/app: manifest unknown]): quay.io/ns/app:1: reading manifest 1 in quay.io/ns/app: unauthorized: authentication required';

  it('splits "Mirrors also failed" into one result per source, in the order CRI-O tried them', () => {
    const c = splitPullError(stripWrappers(mirrorsFailed));
    expect(c.map((x) => [x.reference, x.host, x.findingId])).toEqual([
      ['mirror.a:5000/ns/app:1', 'mirror.a:5000', 'pull-tls-untrusted'],
      ['mirror.b/ns/app:1', 'mirror.b', 'pull-manifest-unknown'],
      ['quay.io/ns/app:1', 'quay.io', 'pull-unauthorized'],
    ]);
    expect(c[1]!.error).toBe('reading manifest 1 in mirror.b/ns/app: manifest unknown');
  });

  it("strips kubelet's rpc wrapper and CRI-O's OCI-artifact retry wrapper (1.34+ and 1.33 forms)", () => {
    const v134 = `Failed to pull image "quay.io/ns/app:1": rpc error: code = Unknown desc = unable to pull image or OCI artifact: pull image err: ${mirrorsFailed}; artifact err: provided artifact is a container image`;
    const parsed = parsePullFailure(v134)!;
    expect(parsed.image).toBe('quay.io/ns/app:1');
    expect(parsed.error).not.toContain('artifact err');
    expect(parsed.error.startsWith('(Mirrors also failed')).toBe(true);
    expect(parsed.candidates).toHaveLength(3);
    const v133 = parsePullFailure(
      'Failed to pull image "r.example/x:1": unable to try pulling possible OCI artifact: r.example/x:1: reading manifest 1 in r.example/x: manifest unknown',
    )!;
    expect(v133.candidates).toEqual([
      {
        reference: 'r.example/x:1',
        host: 'r.example',
        error: 'reading manifest 1 in r.example/x: manifest unknown',
        findingId: 'pull-manifest-unknown',
      },
    ]);
  });

  it('names the host of a single-source failure that carries no reference', () => {
    const [c] = splitPullError(
      'pinging container registry registry.local:5000: Get "https://registry.local:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused',
    );
    expect(c).toMatchObject({ reference: null, host: 'registry.local:5000', findingId: 'pull-unreachable' });
  });

  it('classifies the error texts containers/image and CRI-O produce', () => {
    expect(
      classifyPullError('Source image rejected: A signature was required, but no signature exists'),
    ).toBe('pull-signature-missing');
    expect(classifyPullError('Source image rejected: Running image docker://x is rejected by policy.')).toBe(
      'pull-signature-rejected',
    );
    expect(
      classifyPullError(
        'pinging container registry r: Get "https://r/v2/": http: server gave HTTP response to HTTPS client',
      ),
    ).toBe('pull-http-to-https');
    expect(
      classifyPullError(
        'registry r is blocked in /etc/containers/registries.conf or /etc/containers/registries.conf.d',
      ),
    ).toBe('pull-blocked');
    expect(
      classifyPullError(
        'reading manifest 1 in docker.io/library/x: toomanyrequests: You have reached your pull rate limit',
      ),
    ).toBe('pull-rate-limited');
    expect(
      classifyPullError('reading manifest 1 in r/x: denied: requested access to the resource is denied'),
    ).toBe('pull-unauthorized');
    expect(classifyPullError('something new')).toBe('pull-failed');
  });

  it('ignores kubelet Failed events that are not pull failures', () => {
    expect(parsePullFailure('Error: ErrImagePull')).toBeNull();
    expect(parsePullFailure('Failed to create pod sandbox: ...')).toBeNull();
  });
});

describe('buildReport', () => {
  const outage = (host: string) =>
    finding({ id: 'mirror-unreachable', key: `mirror-unreachable:${host}`, host, severity: 'warning' });

  it('dedupes a problem seen by many nodes into one problem with every witness', () => {
    const nodes = Array.from({ length: 500 }, (_, i) => ({
      name: `n${i}`,
      pool: 'worker',
      registered: true,
      agent: agent({ findings: [outage('m:5000')] }),
    }));
    const r = buildReport(input(nodes));
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ id: 'mirror-unreachable', witnesses: 500 });
    expect(r.summary.findings.warning).toBe(500);
    expect(r.summary.problems).toBe(1);
  });

  it('aggregates host probes per mirror: reachability, p50/p95 latency, auth and TLS failures', () => {
    const probe = (reachable: boolean, outcome: string, latencyMs: number | null) => ({
      host: 'm:5000',
      reachable,
      outcome,
      latencyMs,
      probedAt: '',
    });
    const nodes: NodeInput[] = [
      ...[10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((ms, i) => ({
        name: `ok${i}`,
        pool: 'worker',
        registered: true,
        agent: agent({ hosts: [probe(true, 'found', ms)] }),
      })),
      {
        name: 'auth',
        pool: 'worker',
        registered: true,
        agent: agent({ hosts: [probe(true, 'unauthorized', 5)] }),
      },
      {
        name: 'tls',
        pool: 'worker',
        registered: true,
        agent: agent({ hosts: [probe(false, 'tls-untrusted', null)] }),
      },
      {
        name: 'down',
        pool: 'worker',
        registered: true,
        agent: agent({ hosts: [probe(false, 'unreachable', null)] }),
      },
    ];
    const m = buildReport(input(nodes)).mirrors[0]!;
    expect(m).toMatchObject({
      host: 'm:5000',
      nodesProbed: 13,
      nodesReachable: 11,
      nodesFailing: 3,
      authFailures: 1,
      tlsFailures: 1,
      latencyMs: { p50: 50, p95: 100 },
    });
    expect(m.findings.map((f) => [f.id, f.witnesses])).toEqual([
      ['mirror-auth-failing', 1],
      ['mirror-tls-failing', 1],
      ['mirror-unreachable-from-nodes', 1],
    ]);
  });

  it('finds drift against the strict pool majority only, per pool, naming the differing files', () => {
    const files = (r: string) => [
      { path: '/etc/containers/registries.conf', sha256: r },
      { path: '/etc/containers/policy.json', sha256: 'p' },
    ];
    const nodes: NodeInput[] = [
      { name: 'w1', pool: 'worker', registered: true, agent: agent({ configHash: 'A', files: files('a') }) },
      { name: 'w2', pool: 'worker', registered: true, agent: agent({ configHash: 'A', files: files('a') }) },
      { name: 'w3', pool: 'worker', registered: true, agent: agent({ configHash: 'B', files: files('b') }) },
      { name: 'm1', pool: 'master', registered: true, agent: agent({ configHash: 'C', files: files('c') }) },
      { name: 'm2', pool: 'master', registered: true, agent: agent({ configHash: 'D', files: files('d') }) },
    ];
    const r = buildReport(input(nodes));
    expect(r.nodes.filter((n) => n.drift !== null).map((n) => n.name)).toEqual(['w3']);
    expect(r.nodes.find((n) => n.name === 'w3')!.drift!.differingFiles).toEqual([
      '/etc/containers/registries.conf',
    ]);
    expect(r.summary.nodesDrifted).toBe(1);
  });

  it('tells connected, disconnected, silent and missing agents apart', () => {
    const r = buildReport(
      input([
        { name: 'up', pool: 'worker', registered: true, agent: agent() },
        { name: 'gone', pool: 'worker', registered: true, agent: agent({ connected: false }) },
        { name: 'quiet', pool: 'worker', registered: true, agent: agent({ lastSeenMs: NOW - 600_000 }) },
        { name: 'none', pool: 'worker', registered: true, agent: null },
      ]),
    );
    const state = Object.fromEntries(r.nodes.map((n) => [n.name, [n.agent, n.findings.map((f) => f.id)]]));
    expect(state).toEqual({
      up: ['connected', []],
      gone: ['disconnected', []],
      quiet: ['silent', ['agent-silent']],
      none: ['missing', ['agent-missing']],
    });
  });

  it('groups an image by where each node pulls it from, and lists the nodes that cannot pull it', () => {
    const img = (pullable: boolean, source: string | null) => [
      { image: 'x/app:1', pullable, source, digest: null, findingKeys: pullable ? [] : ['k1'] },
    ];
    const r = buildReport(
      input([
        {
          name: 'a',
          pool: 'w',
          registered: true,
          agent: agent({ images: img(true, 'mirror/app:1'), findings: [] }),
        },
        { name: 'b', pool: 'w', registered: true, agent: agent({ images: img(true, 'mirror/app:1') }) },
        {
          name: 'c',
          pool: 'w',
          registered: true,
          agent: agent({
            images: img(false, null),
            findings: [finding({ id: 'image-pull-fails', key: 'k1', severity: 'error' })],
          }),
        },
      ]),
    );
    const i = r.images[0]!;
    expect(i.nodesFailing).toEqual(['c']);
    expect(i.sources).toEqual([
      { source: 'mirror/app:1', nodes: ['a', 'b'] },
      { source: null, nodes: ['c'] },
    ]);
    expect(i.findings.map((f) => f.key)).toEqual(['k1']);
  });

  it('uses the witness index the collector keeps, and reuses unchanged problems between builds', () => {
    const shared = outage('m:5000');
    const own = finding({ id: 'x', key: 'own-a' });
    const index = new WitnessIndex();
    index.replace('a', [], [shared, own]);
    index.replace('b', [], [shared]);
    const nodes: NodeInput[] = [
      { name: 'a', pool: 'w', registered: true, agent: agent({ findings: [shared, own] }) },
      { name: 'b', pool: 'w', registered: true, agent: agent({ findings: [shared] }) },
    ];
    const memo = new WeakReportMemo();
    const first = buildReport(input(nodes, { agentWitnesses: index }), memo);
    expect(asJson(first)).toEqual(asJson(buildReport(input(nodes))));
    const second = buildReport(input(nodes, { agentWitnesses: index }), memo);
    expect(second.problems.find((p) => p.key === shared.key)).toBe(
      first.problems.find((p) => p.key === shared.key),
    );
    index.replace('b', [shared], []);
    const third = buildReport(input(nodes, { agentWitnesses: index }), memo);
    expect(third.problems.find((p) => p.key === shared.key)!.nodes).toEqual(['a']);
  });

  it('with the index, merges an agent finding keyed like a collector problem and finds an image finding of one node', () => {
    // The index walk asks no key whether it is a collector problem's or an image's: it marks the few
    // keys that are. The answer must be the one of a build without the index.
    const clash = finding({ id: 'x', key: 'agent-missing:gone', message: 'an agent says so' });
    const wanted = finding({ id: 'image-pull-fails', key: 'k1', severity: 'error' });
    const plain = finding({ id: 'x', key: 'own-a' });
    const index = new WitnessIndex();
    index.replace('a', [], [clash, wanted, plain]);
    const nodes: NodeInput[] = [
      {
        name: 'a',
        pool: 'w',
        registered: true,
        agent: agent({
          findings: [clash, wanted, plain],
          images: [{ image: 'x/app:1', pullable: false, source: null, digest: null, findingKeys: ['k1'] }],
        }),
      },
      { name: 'gone', pool: 'w', registered: true, agent: null },
    ];
    const report = buildReport(input(nodes, { agentWitnesses: index }), new WeakReportMemo());
    expect(asJson(report)).toEqual(asJson(buildReport(input(nodes))));
    expect(report.problems.filter((p) => p.key === 'agent-missing:gone').map((p) => p.nodes)).toEqual([
      ['a', 'gone'],
    ]);
    expect(report.images[0]!.findings.map((f) => f.key)).toEqual(['k1']);
  });

  it('makes the problem of a finding about one node as it indexes it, and a first build takes that one', () => {
    const own = finding({ id: 'x', key: 'own-a' });
    const index = new WitnessIndex();
    index.replace('a', [], [own]);
    const made: ReportFinding[] = [];
    index.forEach((f, _nodes, _version, slot) => {
      if (f === own && slot?.problem) made.push(slot.problem);
    });
    expect(made).toHaveLength(1);
    // With the evidence key worked out as it came (a cause then counts messages without reading them).
    expect(evidenceKeyCarried(made[0]!)).toBe(evidenceKeyOf(own));
    const nodes: NodeInput[] = [
      { name: 'a', pool: 'w', registered: true, agent: agent({ findings: [own] }) },
    ];
    const report = buildReport(input(nodes, { agentWitnesses: index }), new WeakReportMemo());
    expect(report.problems.find((p) => p.key === 'own-a')).toBe(made[0]);
    expect(asJson(report)).toEqual(asJson(buildReport(input(nodes))));
  });

  it('escapes everything agents send when rendering HTML', () => {
    const evil = '<script>alert(1)</script>';
    const r = buildReport(
      input([
        {
          name: evil,
          pool: 'w',
          registered: false,
          agent: agent({ findings: [finding({ id: 'x', key: evil, message: evil })] }),
        },
      ]),
    );
    const html = renderReportHtml(r);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
  });

  it('changes the ConfigMap fingerprint when the problems change, not when only the time does', () => {
    const nodes = [{ name: 'a', pool: 'w', registered: true, agent: agent({ findings: [outage('m')] }) }];
    const a = digestFingerprint(digestOf(buildReport(input(nodes))));
    const b = digestFingerprint(digestOf(buildReport(input(nodes, { nowMs: NOW + 1000 }))));
    const c = digestFingerprint(digestOf(buildReport(input([{ ...nodes[0]!, agent: agent() }]))));
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});

describe('report ConfigMap publisher', () => {
  it('writes when the digest changes, not when only time passes, and retries a failed write', async () => {
    let nodes: NodeInput[] = [{ name: 'a', pool: 'w', registered: true, agent: agent() }];
    let version = 1;
    const writes: Record<string, string>[] = [];
    let fail = false;
    const publisher = new ReportPublisher(
      () => buildReport(input(nodes, { nowMs: Date.now() })),
      (data) => (fail ? Promise.reject(new Error('API down')) : Promise.resolve(writes.push(data))),
      silentLog,
      0,
      () => undefined,
      () => version,
      0,
    );
    await publisher.tick();
    await publisher.tick();
    expect(writes).toHaveLength(1);
    expect(JSON.parse(writes[0]!['summary.json']!).summary.nodes).toBe(1);
    nodes = [...nodes, { name: 'b', pool: 'w', registered: true, agent: null }];
    version++;
    fail = true;
    await publisher.tick();
    expect(writes).toHaveLength(1);
    fail = false;
    await publisher.tick();
    expect(writes).toHaveLength(2);
    expect(writes[1]!['report.txt']).toContain('1 without agent');
  });
});

describe('collector helpers', () => {
  it('collects each node image set from containers, init and ephemeral containers of live pods', () => {
    const pods = [
      podObject('a', 'p1', 'n1', { containers: ['x:1', 'y:1'], init: ['i:1'], ephemeral: ['d:1'] }),
      podObject('a', 'p2', 'n1', { containers: ['x:1'] }),
      podObject('a', 'p3', 'n2', { containers: ['z:1'] }, 'Succeeded'),
      { metadata: { name: 'pending', namespace: 'a' }, spec: { containers: [{ name: 'c', image: 'q:1' }] } },
    ] as unknown as V1Pod[];
    expect(imagesByNode(pods)).toEqual(new Map([['n1', ['d:1', 'i:1', 'x:1', 'y:1']]]));
    const sets = new ImageSets();
    expect(sets.update(imagesByNode(pods))).toEqual(['n1']);
    expect(sets.update(imagesByNode(pods))).toEqual([]);
    const g = sets.get('n1').generation;
    expect(sets.update(new Map())).toEqual(['n1']);
    expect(sets.get('n1')).toEqual({ generation: g + 1, images: [], runtimeVersion: null });
    // A node's CRI-O changing is a new generation for its agent, with the same images.
    expect(sets.update(imagesByNode(pods))).toEqual(['n1']);
    const before = sets.get('n1').generation;
    const nodes = new Map([['n1', 'cri-o://1.33.2-3.rhaos4.20.el9']]);
    expect(sets.updateRuntimes(nodes)).toEqual(['n1']);
    expect(sets.updateRuntimes(nodes)).toEqual([]);
    expect(sets.get('n1')).toEqual({
      generation: before + 1,
      images: ['d:1', 'i:1', 'x:1', 'y:1'],
      runtimeVersion: 'cri-o://1.33.2-3.rhaos4.20.el9',
    });
  });

  it('evaluates label selectors like the API server', () => {
    const m = parseLabelSelector('zone in (a,b),role!=infra,gpu,!spot');
    expect(m({ zone: 'a', role: 'worker', gpu: '' })).toBe(true);
    expect(m({ zone: 'c', gpu: '' })).toBe(false);
    expect(m({ zone: 'a', role: 'infra', gpu: '' })).toBe(false);
    expect(m({ zone: 'a', gpu: '', spot: 'true' })).toBe(false);
    expect(() => parseLabelSelector('a=b=c')).toThrow('invalid label selector');
  });

  it('assigns nodes to pools the way MachineConfigPools select them', () => {
    expect(poolOf(nodeObject('m', 'master') as unknown as V1Node)).toBe('master');
    expect(poolOf(nodeObject('i', 'infra') as unknown as V1Node)).toBe('infra');
    expect(poolOf(nodeObject('w') as unknown as V1Node)).toBe('worker');
  });

  it('computes nearest-rank percentiles', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 95)).toBe(4);
    expect(percentile([7], 95)).toBe(7);
  });

  it('keeps findings and the witness index current through snapshots, deltas and a forgotten node', () => {
    const store = new NodeStore();
    const hello = (node: string) =>
      store.hello(
        {
          v: 1,
          type: 'hello',
          node,
          agentVersion: 't',
          configHash: 'h',
          pod: { name: null, namespace: null },
        },
        NOW,
      );
    const snap = (findings: ReturnType<typeof finding>[]) => snapshotMessage(findings, 1, '');
    const ca = hello('a');
    const cb = hello('b');
    store.snapshot('a', ca, snap([finding({ id: 'x', key: 'k1' }), finding({ id: 'x', key: 'k2' })]), NOW);
    store.snapshot('b', cb, snap([finding({ id: 'x', key: 'k1' })]), NOW);
    const witnesses = () =>
      Object.fromEntries([...store.witnesses.entries()].map(([f, w]) => [f.key, [...w.nodes].sort()]));
    expect(witnesses()).toEqual({ k1: ['a', 'b'], k2: ['a'] });
    store.delta(
      'a',
      ca,
      {
        v: 1,
        type: 'delta',
        seq: 2,
        configHash: 'h',
        added: [finding({ id: 'x', key: 'k3' })],
        cleared: ['k1'],
        hosts: [],
        images: [],
      },
      NOW,
    );
    expect(store.get('a')!.findings.map((f) => f.key)).toEqual(['k2', 'k3']);
    expect(witnesses()).toEqual({ k1: ['b'], k2: ['a'], k3: ['a'] });
    // A message from a replaced connection is ignored.
    expect(store.snapshot('a', cb, snap([]), NOW)).toBe(false);
    store.disconnected('b', cb);
    store.forget('b');
    expect(witnesses()).toEqual({ k2: ['a'], k3: ['a'] });
  });

  it('shares one object per identical finding across nodes', () => {
    const interner = new FindingInterner();
    const a = interner.intern(finding({ id: 'x', key: 'k' }));
    const b = interner.intern(finding({ id: 'x', key: 'k' }));
    const c = interner.intern(finding({ id: 'x', key: 'k', message: 'other' }));
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });
});
