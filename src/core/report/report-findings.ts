// The shapes the report gives findings: the collector's own, and a deduplicated problem with its
// witnesses. Shared by the build stages.
import type { WireFinding } from '../../protocol/messages.js';
import { catalogueFix, catalogueSeverity, SEVERITY_RANK } from './catalogue-lookup.js';
import type { ReportFinding } from './types.js';

export type AnyFinding = WireFinding | ReportFinding;

export function collectorFinding(
  id: string,
  key: string,
  message: string,
  extra: { node?: string; host?: string | null; image?: string | null; fix?: string } = {},
): ReportFinding {
  return {
    id,
    severity: catalogueSeverity(id),
    message,
    fix: extra.fix ?? catalogueFix(id),
    key,
    ...(extra.node !== undefined ? { node: extra.node } : {}),
    ...(extra.host !== undefined ? { host: extra.host } : {}),
    ...(extra.image !== undefined ? { image: extra.image } : {}),
  };
}

export function asProblem(f: AnyFinding, nodes: readonly string[]): ReportFinding {
  return {
    id: f.id,
    severity: f.severity,
    message: f.message,
    fix: f.fix,
    key: f.key,
    file: f.file ?? null,
    line: f.line ?? null,
    scope: f.scope ?? null,
    image: f.image ?? null,
    host: f.host ?? null,
    nodes,
    witnesses: nodes.length,
    ...(f.stale === undefined ? {} : { stale: f.stale }),
  };
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
