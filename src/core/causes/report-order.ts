// The report's problems come most severe first, then most witnesses first, then by key. A cause
// words itself after its root findings most severe first, then by key: within one severity, the
// report's runs of one witness count are each in key order already, so merging them gives that order
// without comparing every neighbour — a cause of 15,000 one-node findings and one class finding is a
// run of one merged into a run of 15,000, found by a binary search.
import { gallop } from '../sorted-index.js';
import type { CauseFinding } from './types.js';

function witnessesOf(f: CauseFinding): number {
  return f.witnesses ?? 1;
}

/** The first index from `from` on whose key comes after `key` (keys distinct). */
function endOfRunBefore(list: readonly CauseFinding[], key: string, from: number): number {
  return gallop(list, from, (f) => f.key < key);
}

/** Two lists in key order (keys distinct) as one. */
function mergeByKey(a: readonly CauseFinding[], b: readonly CauseFinding[]): CauseFinding[] {
  const out: CauseFinding[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length)
    if (a[i]!.key < b[j]!.key) {
      const end = endOfRunBefore(a, b[j]!.key, i);
      while (i < end) out.push(a[i++]!);
    } else {
      const end = endOfRunBefore(b, a[i]!.key, j);
      while (j < end) out.push(b[j++]!);
    }
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}

/** Of one run of the report's order: the same severity and witness count (keys in order). */
function sameRun(a: CauseFinding, b: CauseFinding): boolean {
  return a.severity === b.severity && witnessesOf(a) === witnessesOf(b);
}

/**
 * Whether `f`, after `before` in the report's order, comes after it by severity then key too: it is
 * of another severity, or of the same witness count (then its key comes after).
 */
export function keepsSeverityThenKey(before: CauseFinding, f: CauseFinding): boolean {
  return f.severity !== before.severity || sameRun(before, f);
}

/** `findings`, in the report's order (keys distinct), most severe first and then by key. */
export function severityThenKeyFromReportOrder(findings: readonly CauseFinding[]): CauseFinding[] {
  const out: CauseFinding[] = [];
  let start = 0;
  while (start < findings.length) {
    let merged: CauseFinding[] | null = null;
    let end = start;
    // One severity: its runs of one witness count, merged.
    while (end < findings.length && findings[end]!.severity === findings[start]!.severity) {
      let runEnd = end + 1;
      while (runEnd < findings.length && sameRun(findings[runEnd - 1]!, findings[runEnd]!)) runEnd++;
      const run = findings.slice(end, runEnd);
      merged = merged === null ? run : mergeByKey(merged, run);
      end = runEnd;
    }
    // All of one severity (a class's cause, mostly): the merge is the answer, not copied again.
    if (start === 0 && end === findings.length) return merged!;
    for (let i = 0; i < merged!.length; i++) out.push(merged![i]!);
    start = end;
  }
  return out;
}
