import { describe, expect, it } from 'vitest';
import type { Severity } from '../../src/core/findings/types.js';
import {
  bySeverityThenWitnesses,
  sortedBySeverityThenWitnesses,
} from '../../src/core/report/report-findings.js';
import type { ReportFinding } from '../../src/core/report/types.js';
import { prng } from '../support/mutate.js';

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/** `count` problems with distinct keys, a few severities and witness counts. */
function problems(count: number, random: () => number): ReportFinding[] {
  return Array.from({ length: count }, (_, i) => ({
    id: 'config-unknown-key',
    severity: SEVERITIES[Math.floor(random() * 3)]!,
    message: `m${i}`,
    fix: 'f',
    key: `key-${Math.floor(random() * 1e9)}-${i}`,
    witnesses: 1 + Math.floor(random() * 4),
  }));
}

describe('sortedBySeverityThenWitnesses', () => {
  it('gives the order of a full sort, whether the problems come in key order, reversed or shuffled', () => {
    const random = prng(11);
    const all = problems(5_000, random);
    const expected = [...all].sort(bySeverityThenWitnesses);
    const byKey = [...all].sort((a, b) => (a.key < b.key ? -1 : 1));
    const shuffled = [...all].sort(() => random() - 0.5);
    for (const input of [byKey, [...byKey].reverse(), shuffled]) {
      const copy = [...input];
      expect(sortedBySeverityThenWitnesses(input)).toEqual(expected);
      // A new list: the input is left as it was.
      expect(input).toEqual(copy);
    }
  });

  it('sorts a group that is in key order but for one problem', () => {
    const random = prng(3);
    const group = problems(100, random).map((p) => ({ ...p, severity: 'info' as const, witnesses: 1 }));
    group.sort((a, b) => (a.key < b.key ? -1 : 1));
    [group[40], group[41]] = [group[41]!, group[40]!];
    expect(sortedBySeverityThenWitnesses(group)).toEqual([...group].sort(bySeverityThenWitnesses));
  });
});
