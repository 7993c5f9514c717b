// The shapes the report gives findings: the collector's own, and a deduplicated problem with its
// witnesses. Shared by the build stages.
import { definitionOf, type FindingId } from '../findings/catalogue.js';
import { nodeFindingJson, type NodeFinding } from '../findings/types.js';
import { SEVERITY_RANK } from './catalogue-lookup.js';
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

/** A problem: the finding's fields in wire order (a place it does not have is null), and its witnesses. */
export function asProblem(f: AnyFinding, nodes: readonly string[]): ReportFinding {
  const place = {
    file: f.file ?? null,
    line: f.line ?? null,
    scope: f.scope ?? null,
    image: f.image ?? null,
    host: f.host ?? null,
  };
  return { ...nodeFindingJson({ ...f, ...place }), nodes, witnesses: nodes.length };
}

export function bySeverityThenWitnesses(a: ReportFinding, b: ReportFinding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    (b.witnesses ?? 1) - (a.witnesses ?? 1) ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  );
}

/** Appends to the list under `key`, creating it. */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
