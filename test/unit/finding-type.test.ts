// The one finding type: what the agent sends is what the collector parses, field for field, and one
// equality rule serves the agent's store and the collector's interner.
import { describe, expect, it } from 'vitest';
import { keyed } from '../../src/core/diagnose/finding-key.js';
import {
  findingJson,
  NODE_FINDING_FIELDS,
  nodeFindingJson,
  sameFinding,
  type NodeFinding,
} from '../../src/core/findings/types.js';
import { encode, parseAgentMessage, type DeltaMessage } from '../../src/protocol/messages.js';

const base: NodeFinding = keyed({
  id: 'mirror-unreachable',
  message: 'mirror.example.com:5000 does not answer',
  location: '/etc/containers/registries.conf:12',
  scope: 'quay.io/app',
  subject: 'mirror.example.com:5000',
  image: 'quay.io/app/web:1',
  host: 'mirror.example.com:5000',
});

function delta(added: readonly NodeFinding[]): string {
  const message: DeltaMessage = {
    v: 1,
    type: 'delta',
    seq: 1,
    configHash: 'h',
    added,
    cleared: [],
    hosts: [],
    images: [],
  };
  return encode(message);
}

describe('the finding type', () => {
  it('travels the wire unchanged, stale or not, in the order the fields are listed', () => {
    for (const f of [base, { ...base, stale: 'the registries.conf could not be read' }]) {
      const parsed = parseAgentMessage(delta([nodeFindingJson(f)]));
      if (parsed.type !== 'delta') throw new Error(`parsed a ${parsed.type}`);
      expect(parsed.added).toStrictEqual([f]);
      expect(Object.keys(parsed.added[0]!)).toEqual(NODE_FINDING_FIELDS.filter((k) => k in f));
    }
  });

  it('the wire parser keeps every field of the list when all are given', () => {
    const full = { ...base, stale: 'the registries.conf could not be read' };
    expect(Object.keys(full).sort()).toEqual([...NODE_FINDING_FIELDS].sort());
    const parsed = parseAgentMessage(delta([full]));
    if (parsed.type !== 'delta') throw new Error(`parsed a ${parsed.type}`);
    expect(Object.keys(parsed.added[0]!)).toEqual([...NODE_FINDING_FIELDS]);
  });

  it('keeps only its own fields in the JSON shapes', () => {
    const extra = { ...base, node: 'worker-1', nodes: ['worker-1'] };
    expect(Object.keys(nodeFindingJson(extra))).toEqual(
      [...NODE_FINDING_FIELDS].filter((k) => k !== 'stale'),
    );
    expect(Object.keys(findingJson(extra))).toEqual([
      'id',
      'severity',
      'message',
      'file',
      'line',
      'scope',
      'fix',
    ]);
  });

  it('compares every field, id and scope included; a missing optional field equals null', () => {
    expect(sameFinding(base, { ...base })).toBe(true);
    for (const field of NODE_FINDING_FIELDS) {
      const changed = { ...base, [field]: field === 'line' ? 13 : `other ${field}` } as NodeFinding;
      expect(sameFinding(base, changed), field).toBe(false);
    }
    const { image: _image, host: _host, ...placeless } = base;
    expect(sameFinding({ ...placeless }, { ...base, image: null, host: null })).toBe(true);
    expect(sameFinding({ ...base, stale: 'why' }, base)).toBe(false);
  });
});
