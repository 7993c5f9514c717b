// The shapes the report gives findings: the collector's own, and a deduplicated problem with its
// witnesses. Shared by the build stages.
import { EVIDENCE_KEY } from '../causes/evidence.js';
import { PLACEMENT, type Placement } from '../causes/placement.js';
import { definitionOf, type FindingId } from '../findings/catalogue.js';
import type { NodeFinding } from '../findings/types.js';
import { SEVERITY_RANK } from '../findings/types.js';
import { inOrder } from '../sorted-index.js';
import type { ReportFinding } from './types.js';

export type AnyFinding = NodeFinding | ReportFinding;

export function collectorFinding(
  id: FindingId,
  key: string,
  message: string,
  extra: { node?: string; host?: string | null; image?: string | null; fix?: string } = {},
): ReportFinding {
  return {
    id,
    severity: definitionOf(id).severity,
    message,
    fix: extra.fix ?? definitionOf(id).fix,
    key,
    ...(extra.node !== undefined ? { node: extra.node } : {}),
    ...(extra.host !== undefined ? { host: extra.host } : {}),
    ...(extra.image !== undefined ? { image: extra.image } : {}),
  };
}

/**
 * A problem: the finding's fields in wire order (a place it does not have is null), and its
 * witnesses; `placement`, where it goes among causes, and `evidenceKey`, its message's hash and
 * whether the message names its place (evidence.ts, EVIDENCE_KEY), when the caller worked them out already.
 */
export function asProblem(
  f: AnyFinding,
  nodes: readonly string[],
  placement?: Placement,
  evidenceKey?: number,
): ReportFinding {
  // Written out as literals, not copied field by field: V8 then gives every problem one shape, where
  // a copy gave each of a large cluster's 300,000 problems a hidden class of its own (~600 bytes).
  // The placement is in the literal too (undefined when not given), for the same reason; the literal
  // goes through a variable because ReportFinding, the report's type, does not name the symbol.
  const file = f.file ?? null;
  const line = f.line ?? null;
  const scope = f.scope ?? null;
  const image = f.image ?? null;
  const host = f.host ?? null;
  const { key, id, severity, message, fix, stale } = f;
  const witnesses = nodes.length;
  const problem =
    stale === undefined
      ? {
          key,
          id,
          severity,
          message,
          file,
          line,
          scope,
          fix,
          image,
          host,
          nodes,
          witnesses,
          [PLACEMENT]: placement,
          [EVIDENCE_KEY]: evidenceKey,
        }
      : {
          key,
          id,
          severity,
          message,
          file,
          line,
          scope,
          fix,
          image,
          host,
          stale,
          nodes,
          witnesses,
          [PLACEMENT]: placement,
          [EVIDENCE_KEY]: evidenceKey,
        };
  return problem;
}

/** Every field asProblem writes (adding a field to NodeFinding without writing it there does not compile). */
const PROBLEM_FIELDS: Exactly<
  'file' | 'line' | 'scope' | 'image' | 'host' | 'key' | 'id' | 'severity' | 'message' | 'fix' | 'stale',
  keyof NodeFinding
> = true;
void PROBLEM_FIELDS;

type Exactly<Listed, All> = [Exclude<All, Listed>] extends [never] ? true : never;

export function bySeverityThenWitnesses(a: ReportFinding, b: ReportFinding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    (b.witnesses ?? 1) - (a.witnesses ?? 1) ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  );
}

/** `problems` in bySeverityThenWitnesses order, as a new list (see severityThenWitnessesOrder). */
export function sortedBySeverityThenWitnesses(problems: readonly ReportFinding[]): ReportFinding[] {
  return inOrder(problems, severityThenWitnessesOrder(problems));
}

/**
 * Where each of `problems` goes in bySeverityThenWitnesses order: the index of the problem at each
 * place. Problems are grouped by severity and witnesses (a large cluster's 300,000 problems have a
 * few dozen pairs), then each group by key — the same order, with a cheaper comparison for nearly
 * all of them. A counting sort: each problem is looked at once (`visit` too looks at it then) and
 * then given its place, with no list per group grown item by item (at 300,000 problems those lists'
 * growth is megabytes the heap must map and then collect).
 */
export function severityThenWitnessesOrder(
  problems: readonly ReportFinding[],
  visit?: (problem: ReportFinding, index: number) => void,
): Uint32Array {
  // Groups numbered as met, by severity rank, then witnesses: small integers for keys, not one
  // number of both.
  const numbers: Map<number, number>[] = [new Map(), new Map(), new Map()];
  const sizes: number[] = [];
  // Found out while the problem is at hand: the collector's index lists most in key order already.
  const inKeyOrder: boolean[] = [];
  const lastKeys: string[] = [];
  const groupOf = new Uint32Array(problems.length);
  for (let i = 0; i < problems.length; i++) {
    const p = problems[i]!;
    visit?.(p, i);
    const byWitnesses = numbers[SEVERITY_RANK[p.severity]]!;
    const witnesses = p.witnesses ?? 1;
    let group = byWitnesses.get(witnesses);
    if (group === undefined) {
      byWitnesses.set(witnesses, (group = sizes.length));
      sizes.push(0);
      inKeyOrder.push(true);
      lastKeys.push(p.key);
    } else {
      if (inKeyOrder[group]!) inKeyOrder[group] = lastKeys[group]! < p.key;
      lastKeys[group] = p.key;
    }
    sizes[group]!++;
    groupOf[i] = group;
  }
  // Where each group starts: most severe first, then most witnesses first.
  const starts = new Array<number>(sizes.length);
  let at = 0;
  for (const byWitnesses of numbers)
    for (const witnesses of [...byWitnesses.keys()].sort((a, b) => b - a)) {
      const group = byWitnesses.get(witnesses)!;
      starts[group] = at;
      at += sizes[group]!;
    }
  const order = new Uint32Array(problems.length);
  const next = starts.slice();
  for (let i = 0; i < problems.length; i++) order[next[groupOf[i]!]!++] = i;
  for (let group = 0; group < sizes.length; group++) {
    if (inKeyOrder[group]!) continue;
    const from = starts[group]!;
    const sorted = Array.from(order.subarray(from, from + sizes[group]!)).sort((x, y) =>
      byKey(problems[x]!, problems[y]!),
    );
    order.set(sorted, from);
  }
  return order;
}

function byKey(a: ReportFinding, b: ReportFinding): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Appends to the list under `key`, creating it. */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
