// Stable finding keys and the merge of findings that several images raise for the same problem.
import { definitionOf, type FindingId } from '../findings/catalogue.js';
import type { Finding, NodeFinding, Severity } from '../findings/types.js';

export function findingKey(id: string, scope: string | null, subject: string | null): string {
  return `${id}|${scope ?? ''}|${subject ?? ''}`;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

export interface KeyedInput {
  readonly id: FindingId;
  readonly message: string;
  readonly location: string | { readonly file: string | null; readonly line: number | null } | null;
  readonly scope: string | null;
  readonly subject: string | null;
  readonly image?: string | null;
  readonly host?: string | null;
  readonly fix?: string;
}

/** `file:line` (as the resolver and the trace print it) → file and line. */
export function splitLocation(at: string | null): { file: string | null; line: number | null } {
  if (at === null) return { file: null, line: null };
  const m = /^(.*):(\d+)$/.exec(at);
  return m ? { file: m[1]!, line: Number(m[2]) } : { file: at, line: null };
}

export function keyed(input: KeyedInput): NodeFinding<FindingId> {
  const def = definitionOf(input.id);
  const loc =
    typeof input.location === 'string' || input.location === null
      ? splitLocation(input.location)
      : input.location;
  return {
    key: findingKey(input.id, input.scope, input.subject),
    id: input.id,
    // One severity per id everywhere: what a failed pull adds is the severity of its cause.
    severity: def.severity,
    message: input.message,
    file: loc.file,
    line: loc.line,
    scope: input.scope,
    fix: input.fix ?? def.fix,
    image: input.image ?? null,
    host: input.host ?? null,
  };
}

/** A finding of the static check (no subject of its own): keyed by id, scope and location. */
export function keyStatic(f: Finding, image: string | null = null): NodeFinding {
  const subject = f.file === null ? f.message : `${f.file}:${f.line ?? ''}`;
  return { ...f, key: findingKey(f.id, f.scope, subject), image, host: null };
}

/** One finding per key; the highest severity wins, the first message is kept. */
export function mergeFindings(list: Iterable<NodeFinding>): NodeFinding[] {
  const byKey = new Map<string, NodeFinding>();
  for (const f of list) {
    const seen = byKey.get(f.key);
    if (seen === undefined) byKey.set(f.key, f);
    else if (RANK[f.severity] > RANK[seen.severity]) byKey.set(f.key, { ...seen, severity: f.severity });
  }
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
