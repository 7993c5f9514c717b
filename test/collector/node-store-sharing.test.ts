// What many nodes report alike (probes of a mirror host, configuration file digests, image statuses)
// is kept once and shared; what differs in any field, however its strings are crafted, never is.
import { describe, expect, it } from 'vitest';
import { NodeStore } from '../../src/collector/node-store.js';
import type { HostProbe, SnapshotMessage } from '../../src/protocol/messages.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const FILES = [{ path: '/etc/containers/registries.conf', sha256: 'a'.repeat(64) }];

function report(store: NodeStore, node: string, hosts: HostProbe[]): void {
  const connection = store.hello(
    { v: 1, type: 'hello', node, agentVersion: 't', configHash: 'h', pod: { name: null, namespace: null } },
    NOW,
  );
  const message: SnapshotMessage = {
    v: 1,
    type: 'snapshot',
    seq: 1,
    generatedAt: '',
    configHash: 'h',
    files: FILES.map((f) => ({ ...f })),
    findings: [],
    hosts,
    images: [],
    scan: null,
  };
  store.snapshot(node, connection, message, NOW);
}

const probe = (host: string, reachable: boolean, outcome: string): HostProbe => ({
  host,
  reachable,
  outcome,
  latencyMs: null,
  probedAt: '2026-12-01T12:00:00Z',
});

describe('node store: values shared between nodes', () => {
  it('keeps one object for a probe and a file list that nodes report alike', () => {
    const store = new NodeStore();
    report(store, 'n1', [probe('mirror.example:5000', true, 'found')]);
    report(store, 'n2', [probe('mirror.example:5000', true, 'found')]);
    expect(store.get('n2')!.hosts[0]).toBe(store.get('n1')!.hosts[0]);
    expect(store.get('n2')!.files).toBe(store.get('n1')!.files);
    expect(store.get('n1')!.files).toEqual(FILES);
  });

  it('never hands a node another node’s value whose fields, joined, read the same', () => {
    const store = new NodeStore();
    // Joined with a separator these two probes would make one key: "x␀true␀false␀o…".
    const planted = probe('x\u0000true', false, 'o');
    const honest = probe('x', true, 'false\u0000o');
    report(store, 'hostile', [planted]);
    report(store, 'n1', [honest]);
    expect(store.get('n1')!.hosts).toEqual([honest]);
    expect(store.get('hostile')!.hosts).toEqual([planted]);
  });
});
