// Findings in the report's order (most severe first, then most witnesses, then key) let a cause order
// its root findings by merging runs instead of sorting them. The answer must be the very one a sort
// gives: random problem lists, with the flag and without, with a memo and without.
import { describe, expect, it } from 'vitest';
import { causesOf } from '../../src/core/causes/build-causes.js';
import { CauseMemo } from '../../src/core/causes/cause-memo.js';
import { severityThenKeyFromReportOrder } from '../../src/core/causes/report-order.js';
import type { CauseFinding } from '../../src/core/causes/types.js';
import type { Severity } from '../../src/core/findings/types.js';
import { bySeverityThenWitnesses } from '../../src/core/report/report-findings.js';
import type { ReportFinding } from '../../src/core/report/types.js';
import { prng } from '../support/mutate.js';

const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];
const HOSTS = ['m0.corp:5000', 'm1.corp:5000'];
const NODES = Array.from({ length: 40 }, (_, i) => `node-${String(i).padStart(2, '0')}`);

const pick = <T>(r: () => number, values: readonly T[]): T => values[Math.floor(r() * values.length)]!;

/** A problem as the report makes one: its witnesses sorted, their count beside them. */
function problem(r: () => number, i: number): ReportFinding {
  const host = pick(r, HOSTS);
  const start = Math.floor(r() * NODES.length);
  const nodes = NODES.slice(start, start + pick(r, [1, 1, 1, 2, 5, 40]));
  const base = {
    key: `k${Math.floor(r() * 1e6)}-${i}`,
    severity: pick(r, SEVERITIES),
    fix: pick(r, ['fix a', 'fix b']),
    file: null,
    line: null,
    scope: null,
    image: null,
    host,
    nodes,
    witnesses: nodes.length,
  };
  switch (Math.floor(r() * 4)) {
    case 0:
      return { ...base, id: 'mirror-unreachable', message: `${host} does not answer on ${nodes[0]}` };
    case 1:
      // Refined to another kind by its text: a root of its group whose id is of another kind.
      return { ...base, id: 'mirror-unreachable', message: `dial tcp ${host}: connection refused (${i})` };
    case 2:
      return {
        ...base,
        id: 'mirror-unreachable-from-nodes',
        message: `${nodes.length} nodes cannot reach ${host}`,
      };
    default:
      return {
        ...base,
        id: 'config-unknown-key',
        message: `unknown key on ${nodes[0]}`,
        file: '/etc/containers/registries.conf',
        line: 1 + Math.floor(r() * 3),
      };
  }
}

function reportOrdered(r: () => number, size: number): ReportFinding[] {
  return Array.from({ length: size }, (_, i) => problem(r, i)).sort(bySeverityThenWitnesses);
}

describe('causes of findings in the report order', () => {
  it('order root findings by merging exactly as sorting them does', () => {
    let merged = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const r = prng(seed);
      const findings = reportOrdered(r, 1 + Math.floor(r() * 400));
      const sorted = causesOf({ findings });
      expect(causesOf({ findings, reportOrder: true }), `seed ${seed}`).toEqual(sorted);
      expect(causesOf({ findings, reportOrder: true }, new CauseMemo()), `seed ${seed}, memo`).toEqual(
        sorted,
      );
      // The mixes must hold causes whose roots of one severity have several witness counts.
      if (sorted.some((c) => c.findings.length > 3)) merged++;
    }
    expect(merged).toBeGreaterThan(100);
  });

  it('groups alike whether failures name findings by key or the caller hands the findings over', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const r = prng(seed);
      const findings = reportOrdered(r, 1 + Math.floor(r() * 300));
      // Failures of images, each naming a few keys: of findings there and of none.
      const failures = Array.from({ length: 1 + Math.floor(r() * 4) }, (_, i) => ({
        image: `app${i}:1`,
        node: null,
        keys: [pick(r, findings).key, pick(r, findings).key, `gone-${i}`],
      }));
      const named = new Set(failures.flatMap((f) => f.keys));
      const failureFindings = new Set(findings.filter((f) => named.has(f.key)));
      const byKey = causesOf({ findings, failures, reportOrder: true });
      expect(causesOf({ findings, failures, reportOrder: true, failureFindings }), `seed ${seed}`).toEqual(
        byKey,
      );
      expect(
        causesOf({ findings, failures, reportOrder: true, failureFindings }, new CauseMemo()),
        `seed ${seed}, memo`,
      ).toEqual(byKey);
    }
  });

  it('merges the runs of one severity by key, and leaves a list already in that order as it is', () => {
    const f = (key: string, severity: Severity, witnesses: number): CauseFinding => ({
      id: 'mirror-unreachable',
      key,
      severity,
      message: key,
      fix: '',
      witnesses,
    });
    const inOrder = [f('a', 'error', 5), f('c', 'error', 5), f('b', 'warning', 1)];
    expect(severityThenKeyFromReportOrder(inOrder).map((x) => x.key)).toEqual(['a', 'c', 'b']);
    // Error: [z] (15 witnesses), then [a, m, y] (1); warning: [k] (3), [b, c] (2), [a] (1).
    const runs = [
      f('z', 'error', 15),
      f('a', 'error', 1),
      f('m', 'error', 1),
      f('y', 'error', 1),
      f('k', 'warning', 3),
      f('b', 'warning', 2),
      f('c', 'warning', 2),
      f('a2', 'warning', 1),
    ];
    expect(severityThenKeyFromReportOrder(runs).map((x) => x.key)).toEqual([
      'a',
      'm',
      'y',
      'z',
      'a2',
      'b',
      'c',
      'k',
    ]);
  });
});
