// The order causes are listed in: by impact. A large cluster's first build sorts 90,000 of them.
import { SEVERITY_RANK } from '../findings/types.js';
import { inOrder } from '../sorted-index.js';
import { CAUSE_KINDS, type CauseKind } from './kinds.js';
import type { Cause } from './types.js';

/** Impact order: severity, then pods affected, then nodes, then findings explained, then id. */
export function byImpact(a: Cause, b: Cause): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    b.affects.pods - a.affects.pods ||
    b.affects.nodes.length - a.affects.nodes.length ||
    b.findings.length - a.findings.length ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/**
 * Each kind by where its `kind:` falls among all of them. A cause's id is `kind:subject` and no kind
 * holds a colon, so no kind's `kind:` starts another's: two ids compare as their kinds' `kind:`, then,
 * of one kind, as their subjects.
 */
const KIND_RANK: ReadonlyMap<CauseKind, number> = new Map(
  (Object.keys(CAUSE_KINDS) as CauseKind[])
    .map((kind) => ({ kind, prefix: `${kind}:` }))
    .sort((a, b) => (a.prefix < b.prefix ? -1 : 1))
    .map(({ kind }, rank) => [kind, rank]),
);

/**
 * Causes in byImpact order, their figures noted as each is made (while it is at hand) and sorted as
 * numbers, then subjects (a cause's id less `kind:`): not 1.5 million comparisons that each read two
 * causes scattered over the heap, nor the ids of causes of one finding, each a joined string that
 * comparing would first copy out flat.
 */
export class ImpactOrder {
  private readonly causes: Cause[] = [];
  private readonly subjects: string[] = [];
  private readonly severity: Uint8Array;
  private readonly pods: Float64Array;
  private readonly nodes: Uint32Array;
  private readonly findings: Uint32Array;
  private readonly kind: Uint8Array;

  /** For at most `size` causes. */
  constructor(size: number) {
    this.severity = new Uint8Array(size);
    this.pods = new Float64Array(size);
    this.nodes = new Uint32Array(size);
    this.findings = new Uint32Array(size);
    this.kind = new Uint8Array(size);
  }

  /** Adds `cause`, whose subject is `subject`. */
  add(cause: Cause, subject: string): void {
    const i = this.causes.length;
    this.causes.push(cause);
    this.subjects.push(subject);
    this.severity[i] = SEVERITY_RANK[cause.severity];
    this.pods[i] = cause.affects.pods;
    this.nodes[i] = cause.affects.nodes.length;
    this.findings[i] = cause.findings.length;
    this.kind[i] = KIND_RANK.get(cause.kind)!;
  }

  /** The causes added, in the order they were added. */
  added(): readonly Cause[] {
    return this.causes;
  }

  /** The causes added, in byImpact order (a new list). */
  sorted(): Cause[] {
    const { causes, subjects, severity, pods, nodes, findings, kind } = this;
    const order: number[] = [];
    for (let i = 0; i < causes.length; i++) order.push(i);
    // Causes come mostly in impact order already (those of one finding each, in the report's order
    // of their problems): the sort's runs are long.
    order.sort(
      (a, b) =>
        severity[a]! - severity[b]! ||
        pods[b]! - pods[a]! ||
        nodes[b]! - nodes[a]! ||
        findings[b]! - findings[a]! ||
        kind[a]! - kind[b]! ||
        (subjects[a]! < subjects[b]! ? -1 : subjects[a]! > subjects[b]! ? 1 : 0),
    );
    return inOrder(causes, order);
  }
}
