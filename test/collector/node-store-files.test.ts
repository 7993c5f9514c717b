// The files the collector compares against the MachineConfig are only those the agent reported for the
// configuration it currently announces: between a hello with a new hash and its snapshot they are unknown,
// never "missing" (which would read as drift).
import { describe, expect, it } from 'vitest';
import { NodeStore } from '../../src/collector/node-store.js';
import type { SnapshotMessage } from '../../src/protocol/messages.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const FILE = { path: '/etc/containers/registries.conf', sha256: 'a'.repeat(64) };

const hello = (store: NodeStore, configHash: string): number =>
  store.hello(
    { v: 1, type: 'hello', node: 'n1', agentVersion: 't', configHash, pod: { name: null, namespace: null } },
    NOW,
  );

const snapshot = (configHash: string, files: SnapshotMessage['files']): SnapshotMessage => ({
  v: 1,
  type: 'snapshot',
  seq: 1,
  generatedAt: '',
  configHash,
  files,
  findings: [],
  hosts: [],
  images: [],
  scan: null,
});

describe('node store: configuration files by the hash they came with', () => {
  it('knows no files after the first hello, until the snapshot arrives', () => {
    const store = new NodeStore();
    const connection = hello(store, 'h1');
    expect(store.currentFiles('n1')).toBeNull();
    store.snapshot('n1', connection, snapshot('h1', [FILE]), NOW);
    expect(store.currentFiles('n1')).toEqual([FILE]);
  });

  it('forgets the old files when a reconnect announces another hash, and keeps them when it is the same', () => {
    const store = new NodeStore();
    store.snapshot('n1', hello(store, 'h1'), snapshot('h1', [FILE]), NOW);
    hello(store, 'h1');
    expect(store.currentFiles('n1')).toEqual([FILE]);
    const connection = hello(store, 'h2');
    expect(store.currentFiles('n1')).toBeNull();
    store.snapshot('n1', connection, snapshot('h2', []), NOW);
    expect(store.currentFiles('n1')).toEqual([]);
  });

  it('is null for a node it never heard of', () => {
    expect(new NodeStore().currentFiles('nobody')).toBeNull();
  });
});
