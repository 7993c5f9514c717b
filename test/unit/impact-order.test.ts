// The first build sorts its causes by figures read once and by subject, not by byImpact itself: the
// answer must be byImpact's to the item, ids included (ids `kind:subject` compare as kind, then subject).
import { describe, expect, it } from 'vitest';
import { byImpact, ImpactOrder } from '../../src/core/causes/impact-order.js';
import { CAUSE_KINDS, type CauseKind } from '../../src/core/causes/kinds.js';
import type { Cause } from '../../src/core/causes/types.js';
import type { Severity } from '../../src/core/findings/types.js';
import { prng } from '../support/mutate.js';

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];
const KINDS = Object.keys(CAUSE_KINDS) as CauseKind[];
// Subjects whose characters sort around the colon and the dash that join and spell ids.
const SUBJECT_PARTS = ['a', 'b', ':', '-', '/', '0', 'z', 'registries.conf:18', 'mirror.corp:5000'];

const pick = <T>(r: () => number, values: readonly T[]): T => values[Math.floor(r() * values.length)]!;

function cause(r: () => number): { cause: Cause; subject: string } {
  const kind = r() < 0.5 ? pick(r, KINDS.slice(0, 3)) : pick(r, KINDS);
  const subject = Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(r, SUBJECT_PARTS)).join('');
  const nodes = Array.from({ length: pick(r, [0, 1, 1, 1, 2, 7]) }, (_, i) => `node-${i}`);
  return {
    subject,
    cause: {
      id: `${kind}:${subject}`,
      kind,
      severity: pick(r, SEVERITIES),
      title: '',
      explanation: '',
      fix: { text: '', commands: [] },
      evidence: [],
      affects: { nodes, pods: pick(r, [0, 0, 0, 1, 3, 1e9]), images: [], mirrors: [] },
      findings: Array.from({ length: pick(r, [1, 1, 1, 2, 4]) }, (_, i) => `k${i}`),
    },
  };
}

describe('ImpactOrder', () => {
  it('gives the order byImpact gives, for random causes, ties on every figure included', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = prng(seed);
      const made = Array.from({ length: 1 + Math.floor(r() * 300) }, () => cause(r));
      // Distinct ids: the order is total, as a report's causes are.
      const byId = new Map(made.map((m) => [m.cause.id, m]));
      const causes = [...byId.values()].map((m) => m.cause);
      const subjects = [...byId.values()].map((m) => m.subject);
      const expected = causes.slice().sort(byImpact);
      const order = new ImpactOrder(causes.length);
      causes.forEach((c, i) => order.add(c, subjects[i]!));
      expect(order.sorted().map((c) => c.id)).toEqual(expected.map((c) => c.id));
    }
  });

  it('keeps the causes in the order they were added beside the sorted list', () => {
    const r = prng(7);
    const made = Array.from({ length: 50 }, () => cause(r));
    const order = new ImpactOrder(made.length);
    for (const m of made) order.add(m.cause, m.subject);
    const sorted = order.sorted();
    expect(order.added()).toEqual(made.map((m) => m.cause));
    expect(sorted).not.toBe(order.added());
  });
});
