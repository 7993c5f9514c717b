// A cause's evidence lists the first 20 distinct lines and counts the rest. A large cause counts its
// lines without building them where that is exact; these cases (locations that start one another,
// messages that already name their location, stale findings, repeats) must count as the lines do.
import { describe, expect, it } from 'vitest';
import { evidenceKeyOf } from '../../src/core/causes/evidence.js';
import { evidenceLine, evidenceOf } from '../../src/core/causes/evidence.js';
import type { NodeFinding } from '../../src/core/findings/types.js';
import { asProblem } from '../../src/core/report/report-findings.js';
import type { CauseFinding } from '../../src/core/causes/types.js';
import { prng } from '../support/mutate.js';

/** The evidence as the lines themselves say: every line built, the distinct ones counted. */
function byBuildingEveryLine(findings: readonly CauseFinding[]): string[] {
  const lines = [...new Set(findings.map(evidenceLine))];
  const shown = lines.slice(0, 20);
  if (lines.length > 20) shown.push(`… and ${lines.length - 20} more`);
  return shown;
}

const pick = <T>(r: () => number, values: readonly T[]): T => values[Math.floor(r() * values.length)]!;

function finding(r: () => number, i: number): CauseFinding {
  const file = pick(r, [undefined, 'a', 'a:1', '/etc/containers/registries.conf']);
  const line = pick(r, [null, 1, 12, 2]);
  const at = file === undefined ? '' : line === null ? file : `${file}:${line}`;
  const message = pick(r, [
    `m${i % 40}`,
    `${at}: m${i % 7}`,
    `2: m${i % 5}`,
    `12: x`,
    'x',
    `on node-${i}: the mirror lacks it`,
  ]);
  return {
    id: 'config-unknown-key',
    severity: 'info',
    message,
    fix: 'fix',
    key: `k${i}`,
    ...(file === undefined ? {} : { file, line }),
    ...(r() < 0.2 ? { stale: pick(r, ['timeout', 'x']) } : {}),
  };
}

describe('cause evidence', () => {
  it('counts the distinct lines of thousands of findings as building every line does (random mixes)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = prng(seed);
      const size = 1 + Math.floor(r() * 300);
      // Every third mix: one file, messages that do not name their location (the counting path), and
      // every other of those with stale findings among them. Every third another way: files and
      // findings without one, none stale (the counting path, where a line without a location can
      // be a located one too). The rest anything.
      const located = seed % 3 === 0;
      const stale = seed % 6 === 0;
      const fresh = seed % 3 === 1;
      const findings = Array.from({ length: size }, (_, i) => {
        const f = finding(r, i);
        const { stale: _stale, ...rest } = f;
        if (fresh) return rest;
        if (!located) return f;
        return {
          ...rest,
          message: pick(r, [`m${i % 40}`, `m${i % 40} (not checked again: x)`, 'x']),
          file: '/etc/containers/registries.conf',
          line: i % 9,
          ...(stale && r() < 0.3 ? { stale: 'x' } : {}),
        };
      }).map((f) => JSON.parse(JSON.stringify(f)) as CauseFinding);
      expect(evidenceOf(findings), `seed ${seed}`).toEqual(byBuildingEveryLine(findings));
      // As the witness index makes them: each problem carrying its message's hash and whether the
      // message names its place, worked out as it came; mixed with problems that carry none.
      const carried = findings.map((f, i) =>
        i % 4 === 3 ? f : asProblem(f as NodeFinding, [], undefined, evidenceKeyOf(f)),
      );
      expect(evidenceOf(carried), `seed ${seed}, carried`).toEqual(byBuildingEveryLine(findings));
    }
  });

  it('lists one line per node for a class-wide cause and counts the rest', () => {
    const findings: CauseFinding[] = Array.from({ length: 5000 }, (_, i) => ({
      id: 'mirror-unreachable',
      severity: 'warning',
      message: `Finding ${i % 30} on node-${i}: mirror0 does not answer.`,
      fix: 'fix',
      key: `own-${i}`,
      file: '/etc/containers/registries.conf',
      line: i % 30,
    }));
    const evidence = evidenceOf(findings);
    expect(evidence).toHaveLength(21);
    expect(evidence[0]).toBe(
      '/etc/containers/registries.conf:0: Finding 0 on node-0: mirror0 does not answer.',
    );
    expect(evidence[20]).toBe('… and 4980 more');
  });
});
