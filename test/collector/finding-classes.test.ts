// Memory by what is distinct: nodes that report the same findings share one class (stored once);
// a node that loses one of them moves to a class of its own (copy-on-write) and the others keep
// theirs; when it reports them again it is back in the shared class. The report shows the class
// once ("3 nodes: …") and, on each node, only what differs.
import { describe, expect, it } from 'vitest';
import { NodeStore } from '../../src/collector/node-store.js';
import { buildReport } from '../../src/core/report/build-report.js';
import type { ClusterReport, NodeInput } from '../../src/core/report/types.js';
import type { DeltaMessage, SnapshotMessage, WireFinding } from '../../src/protocol/messages.js';
import { asJson } from '../support/as-json.js';
import { finding, helloMessage } from '../support/protocol-agent.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const NODES = ['w1', 'w2', 'w3', 'w4'];

function snapshot(findings: WireFinding[]): SnapshotMessage {
  return {
    v: 1,
    type: 'snapshot',
    seq: 1,
    generatedAt: '',
    configHash: 'pool-hash',
    files: [],
    findings,
    hosts: [],
    images: [],
    scan: null,
  };
}

function delta(added: WireFinding[], cleared: string[]): DeltaMessage {
  return { v: 1, type: 'delta', seq: 2, configHash: 'pool-hash', added, cleared, hosts: [], images: [] };
}

// Fresh objects per node, as each agent's message is parsed on its own.
const shared = (): WireFinding[] => [
  finding({ id: 'mirror-unreachable', key: 'mirror-unreachable:m1', severity: 'warning', host: 'm1' }),
  finding({ id: 'mirror-manifest-missing', key: 'missing:app', severity: 'error', image: 'app:1' }),
  finding({
    id: 'config-unknown-key',
    key: 'unknown-key:/etc/containers/registries.conf:3',
    severity: 'info',
  }),
];
const own = (node: string): WireFinding =>
  finding({ id: 'x', key: `own:${node}`, message: `about ${node}`, severity: 'info' });

function report(store: NodeStore): ClusterReport {
  const nodes: NodeInput[] = NODES.map((name) => ({
    name,
    pool: 'worker',
    registered: true,
    agent: store.get(name)!,
  }));
  return buildReport({
    nowMs: NOW,
    silentAfterMs: 90_000,
    nodes,
    events: [],
    agentWitnesses: store.witnesses,
  });
}

const keys = (findings: readonly { key: string }[]): string[] => findings.map((f) => f.key).sort();

describe('equivalence classes of nodes', () => {
  const store = new NodeStore();
  const connections = new Map<string, number>();
  for (const node of NODES) {
    const c = store.hello(
      {
        v: 1,
        type: 'hello',
        node,
        agentVersion: 't',
        configHash: 'pool-hash',
        pod: { name: null, namespace: null },
      },
      NOW,
    );
    connections.set(node, c);
    store.snapshot(node, c, snapshot([...shared(), own(node)]), NOW);
  }

  it('stores the shared findings once and each node as its class plus its own', () => {
    const classes = new Set(NODES.map((n) => store.get(n)!.findingClass));
    expect(classes.size).toBe(1);
    const set = [...classes][0]!;
    expect(keys(set!.findings)).toEqual(keys(shared()));
    for (const node of NODES) {
      expect(keys(store.get(node)!.extraFindings!)).toEqual([`own:${node}`]);
      // What the node reports, whole, is unchanged.
      expect(keys(store.get(node)!.findings)).toEqual(keys([...shared(), own(node)]));
    }
    // One object per shared finding, whichever node sent it.
    expect(store.get('w1')!.findings.find((f) => f.key === 'missing:app')).toBe(
      store.get('w4')!.findings.find((f) => f.key === 'missing:app'),
    );
    const r = report(store);
    expect(r.findingClasses).toHaveLength(1);
    expect(r.findingClasses[0]).toMatchObject({
      nodes: 4,
      pools: ['worker'],
      counts: { error: 1, warning: 1, info: 1 },
    });
    expect(keys(r.findingClasses[0]!.findings)).toEqual(keys(shared()));
    const w2 = r.nodes.find((n) => n.name === 'w2')!;
    expect(w2.findingClass).toBe(r.findingClasses[0]!.id);
    expect(keys(w2.findings)).toEqual(['own:w2']);
    expect(w2.counts).toEqual({ error: 1, warning: 1, info: 2 });
    const missing = r.problems.find((p) => p.key === 'missing:app')!;
    expect(missing.nodes).toEqual(NODES);
    expect(r.problems.find((p) => p.key === 'own:w3')!.nodes).toEqual(['w3']);
  });

  it('moves one node that diverges to a class of its own, and leaves the others', () => {
    store.delta('w3', connections.get('w3')!, delta([], ['missing:app']), NOW);
    const r = report(store);
    // The three others still share the full set; w3 alone is no class: its entry lists all it has.
    expect(r.findingClasses).toHaveLength(1);
    expect(r.findingClasses[0]!.nodes).toBe(3);
    const w3 = r.nodes.find((n) => n.name === 'w3')!;
    expect(w3.findingClass).toBeNull();
    expect(keys(w3.findings)).toEqual(keys([...shared(), own('w3')].filter((f) => f.key !== 'missing:app')));
    expect(w3.counts).toEqual({ error: 0, warning: 1, info: 2 });
    expect(store.get('w3')!.findingClass).not.toBe(store.get('w1')!.findingClass);
    expect(r.problems.find((p) => p.key === 'missing:app')!.nodes).toEqual(['w1', 'w2', 'w4']);
    expect(r.problems.find((p) => p.key === 'mirror-unreachable:m1')!.nodes).toEqual(NODES);
    expect(r.summary.findings).toEqual({ error: 3, warning: 4, info: 8 });
  });

  it('takes the node back into the shared class when it converges', () => {
    store.delta('w3', connections.get('w3')!, delta([shared()[1]!], []), NOW);
    const r = report(store);
    expect(r.findingClasses).toHaveLength(1);
    expect(r.findingClasses[0]!.nodes).toBe(4);
    expect(new Set(NODES.map((n) => store.get(n)!.findingClass)).size).toBe(1);
    expect(keys(r.nodes.find((n) => n.name === 'w3')!.findings)).toEqual(['own:w3']);
    expect(r.problems.find((p) => p.key === 'missing:app')!.nodes).toEqual(NODES);
    expect(r.summary.findings).toEqual({ error: 4, warning: 4, info: 8 });
  });

  it('gives the same problems as a build that derives the witnesses from the nodes', () => {
    const r = report(store);
    const nodes: NodeInput[] = NODES.map((name) => ({
      name,
      pool: 'worker',
      registered: true,
      agent: { ...store.get(name)!, findings: store.get(name)!.findings, findingClass: null },
    }));
    const plain = buildReport({ nowMs: NOW, silentAfterMs: 90_000, nodes, events: [] });
    expect(asJson(plain.problems)).toEqual(asJson(r.problems));
    expect(asJson(plain.causes)).toEqual(asJson(r.causes));
    expect(asJson(plain.summary)).toEqual(asJson(r.summary));
  });

  it('forgets a node that leaves, and the class with its last member', () => {
    for (const node of NODES) {
      store.disconnected(node, connections.get(node)!);
      store.forget(node);
    }
    expect(store.witnesses.entries().size).toBe(0);
  });
});

describe('placing a node whatever order it lists its findings in', () => {
  it('puts a node that lists the class in another order, or repeats findings, in the same class', () => {
    const store = new NodeStore();
    const place = (node: string, findings: WireFinding[]): void => {
      store.snapshot(node, store.hello(helloMessage(node, 'pool-hash'), NOW), snapshot(findings), NOW);
    };
    place('w1', [...shared(), own('w1')]);
    place('w2', [...shared(), own('w2')]);
    // The class's findings first, then its own, one of the class's again, and its own twice.
    place('w3', [...shared(), own('w3'), shared()[2]!, own('w3')]);
    place('w4', [own('w4'), ...shared().reverse()]);
    const set = store.get('w1')!.findingClass;
    for (const node of NODES) {
      expect(store.get(node)!.findingClass).toBe(set);
      expect(keys(store.get(node)!.extraFindings!)).toEqual([`own:${node}`]);
    }
    expect(report(store).findingClasses[0]!.nodes).toBe(4);
  });
});
