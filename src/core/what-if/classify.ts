// Before vs after for one image: breaks (pulled, now fails), fixes (failed, now pulls), moves (still
// pulls, from another source), unchanged — with the reason that makes the difference.
import type { ChangeClass, PullSide, WhatIfChange, WhatIfReport, WhatIfSummary } from './types.js';

export function classify(before: PullSide, after: PullSide): ChangeClass {
  if (before.outcome === 'pulled' && after.outcome === 'failed') return 'breaks';
  if (before.outcome === 'failed' && after.outcome === 'pulled') return 'fixes';
  if (before.outcome === 'pulled' && before.source !== after.source) return 'moves';
  return 'unchanged';
}

/** Why the after-pull is what it is, relative to before. */
export function why(before: PullSide, after: PullSide, kind: ChangeClass): string {
  if (before.outcome === 'unknown' || after.outcome === 'unknown')
    return after.outcome === 'unknown' ? after.reason : before.reason;
  switch (kind) {
    case 'breaks':
      return `the pull would fail: ${after.reason}`;
    case 'fixes':
      return `the pull would succeed: ${after.reason}`;
    case 'moves':
      return `served from ${after.source} instead of ${before.source}${
        before.digest !== null && after.digest !== null && before.digest !== after.digest
          ? ` — a different image: ${after.digest} instead of ${before.digest}`
          : ''
      }`;
    case 'unchanged':
      if (after.outcome === 'failed')
        return after.reason === before.reason
          ? `still fails: ${after.reason}`
          : `still fails, now: ${after.reason}`;
      return before.digest !== null && after.digest !== null && before.digest !== after.digest
        ? `same source, another digest: ${after.digest} instead of ${before.digest}`
        : `same source: ${after.source}`;
  }
}

export interface ImageVerdictInput {
  readonly image: string;
  readonly before: PullSide;
  readonly after: PullSide;
  readonly pods?: number;
  readonly podNames?: readonly string[];
  readonly namespaces?: readonly string[];
  readonly nodes?: readonly string[];
  readonly pools?: readonly string[];
}

export function judge(input: ImageVerdictInput): WhatIfChange {
  const kind = classify(input.before, input.after);
  return {
    image: input.image,
    class: kind,
    before: input.before,
    after: { ...input.after, why: why(input.before, input.after, kind) },
    pods: input.pods ?? 0,
    ...(input.podNames !== undefined ? { podNames: [...input.podNames].sort() } : {}),
    namespaces: [...(input.namespaces ?? [])].sort(),
    nodes: [...(input.nodes ?? [])].sort(),
    pools: [...(input.pools ?? [])].sort(),
  };
}

const ORDER: readonly ChangeClass[] = ['breaks', 'fixes', 'moves', 'unchanged'];

export function summarize(changes: readonly WhatIfChange[]): WhatIfSummary {
  const count = (c: ChangeClass) => changes.filter((x) => x.class === c).length;
  return {
    breaks: count('breaks'),
    fixes: count('fixes'),
    moves: count('moves'),
    unchanged: count('unchanged'),
  };
}

/** Most harm first, then most pods, then by image. */
export function sortChanges(changes: readonly WhatIfChange[]): WhatIfChange[] {
  return [...changes].sort(
    (a, b) =>
      ORDER.indexOf(a.class) - ORDER.indexOf(b.class) ||
      b.pods - a.pods ||
      (a.image < b.image ? -1 : a.image > b.image ? 1 : 0),
  );
}

export function whatIfReport(
  render: WhatIfReport['render'],
  changes: readonly WhatIfChange[],
  notes: readonly string[] = [],
): WhatIfReport {
  // A render the MCO rejects changes nothing on the nodes: nothing else is evaluated.
  const evaluated = render.errors.length > 0 ? [] : sortChanges(changes);
  return { render, changes: evaluated, summary: summarize(evaluated), notes };
}

/** Exit status: 1 when the change breaks a pull or the MCO rejects it, else 0. */
export function whatIfFails(report: WhatIfReport): boolean {
  return report.render.errors.length > 0 || report.summary.breaks > 0;
}
