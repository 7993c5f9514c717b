import { describe, expect, it } from 'vitest';
import { severityThenWitnessesOrder } from '../../src/core/report/report-findings.js';
import { inOrder } from '../../src/core/sorted-index.js';
import { ProblemPlaces, problemsByPlace } from '../../src/core/report/section-stage.js';
import type { ReportFinding } from '../../src/core/report/types.js';
import { prng } from '../support/mutate.js';

const HOSTS = ['mirror0.corp.example:5000', 'mirror1.corp.example:5000', null, undefined] as const;
const IMAGES = ['quay.io/a/app:1', 'quay.io/b/app:2', 'quay.io/c/app:3', null] as const;

function problem(i: number, random: () => number): ReportFinding {
  return {
    key: `k${i}`,
    id: 'mirror-manifest-missing',
    severity: 'warning',
    message: `m${i}`,
    fix: 'f',
    host: HOSTS[Math.floor(random() * HOSTS.length)],
    image: IMAGES[Math.floor(random() * IMAGES.length)],
  };
}

/** The lists as a plain pass that pushes each problem where it belongs would make them. */
function byPushing(
  problems: readonly ReportFinding[],
  field: 'host' | 'image',
): Map<string, ReportFinding[]> {
  const out = new Map<string, ReportFinding[]>();
  for (const p of problems) {
    const place = p[field];
    if (place === null || place === undefined) continue;
    out.set(place, [...(out.get(place) ?? []), p]);
  }
  return out;
}

describe('problemsByPlace', () => {
  it('lists each host’s and each image’s problems in the order they come, with none but theirs', () => {
    const random = prng(5);
    const problems = Array.from({ length: 2_000 }, (_, i) => problem(i, random));
    const { byHost, byImage } = problemsByPlace(problems);
    expect(byHost).toEqual(byPushing(problems, 'host'));
    expect(byImage).toEqual(byPushing(problems, 'image'));
    // Made at their final length: no list has a hole left to fill.
    for (const list of [...byHost.values(), ...byImage.values()])
      expect(list.every((p, i) => i in list && p !== undefined)).toBe(true);
  });

  it('has no place for problems about none', () => {
    const none = [problem(0, () => 0.99), problem(1, () => 0.99)];
    const { byHost, byImage } = problemsByPlace(none);
    expect(byHost.size).toBe(0);
    expect(byImage.size).toBe(0);
  });

  it('files problems while they are sorted, as a pass over the sorted list would', () => {
    const random = prng(8);
    const severities = ['error', 'warning', 'info'] as const;
    const problems = Array.from({ length: 3_000 }, (_, i) => ({
      ...problem(i, random),
      severity: severities[Math.floor(random() * 3)]!,
      witnesses: 1 + Math.floor(random() * 3),
    }));
    const places = new ProblemPlaces(problems.length);
    const order = severityThenWitnessesOrder(problems, (p, i) => places.count(p, i));
    const sorted = inOrder(problems, order);
    expect(places.lists(sorted, order)).toEqual(problemsByPlace(sorted));
  });
});
