// Findings: what mirrorscope tells a person about a node or a cluster. Every finding has a stable id
// from the catalogue; the catalogue says what the id means and how to fix it.
//
// The finding is defined here once. Every other shape (the agent's store, the wire, the report)
// extends `Finding` or `NodeFinding`; their equality, interning and log fields come from the field
// lists below, which the compiler holds to the interfaces.

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Each severity's place in SEVERITIES: most severe first, for sorting. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { error: 0, warning: 1, info: 2 };

export interface FindingDefinition {
  readonly severity: Severity;
  /** One line: what this id means. */
  readonly title: string;
  /** The usual fix, in general terms; each finding carries its own concrete `fix`. */
  readonly fix: string;
}

/**
 * What every finding says. `Id` is the catalogue's `FindingId` where this build made the finding;
 * a plain string where it came from an agent (which may run a newer catalogue).
 */
export interface Finding<Id extends string = string> {
  readonly id: Id;
  readonly severity: Severity;
  readonly message: string;
  readonly file: string | null;
  readonly line: number | null;
  /** The registry/policy scope or image the finding is about. */
  readonly scope: string | null;
  readonly fix: string;
}

/** A finding on a node, with what makes it unique there: what the agent keeps and sends. */
export interface NodeFinding<Id extends string = string> extends Finding<Id> {
  /** `id|scope|subject`: stable across scans for the same problem, used for deltas and dedupe. */
  readonly key: string;
  /** The image the finding is about, when it is about one. */
  readonly image: string | null;
  /** `host[:port]` of the mirror or registry the finding is about, when it is about one. */
  readonly host: string | null;
  /** Set when the check that found it could not run in the latest scan: why (the finding is from an earlier one). */
  readonly stale?: string;
}

type Exactly<Listed, All> = [Exclude<All, Listed>] extends [never] ? true : never;

/** The catalogue fields, in their documented order (the `check --json` / `--once` shape). */
export const FINDING_FIELDS = [
  'id',
  'severity',
  'message',
  'file',
  'line',
  'scope',
  'fix',
] as const satisfies readonly (keyof Finding)[];

/** Every field of a node finding, in wire order: the key, the catalogue fields, then the rest. */
export const NODE_FINDING_FIELDS = [
  'key',
  ...FINDING_FIELDS,
  'image',
  'host',
  'stale',
] as const satisfies readonly (keyof NodeFinding)[];

// Adding a field to an interface without listing it above does not compile.
const FIELDS_LISTED: Exactly<(typeof FINDING_FIELDS)[number], keyof Finding> &
  Exactly<(typeof NODE_FINDING_FIELDS)[number], keyof NodeFinding> = true;
void FIELDS_LISTED;

function pick<T extends object, K extends keyof T>(from: T, fields: readonly K[]): Pick<T, K> {
  const out: Partial<Pick<T, K>> = {};
  for (const field of fields) if (from[field] !== undefined) out[field] = from[field];
  return out as Pick<T, K>;
}

/** Exactly the catalogue fields, in their documented order: the `check --json` / `--once` shape. */
export function findingJson<Id extends string>(f: Finding<Id>): Finding<Id> {
  return pick(f, FINDING_FIELDS);
}

/** Exactly the node finding's fields, in wire order (an unset `stale` is left out). */
export function nodeFindingJson<Id extends string>(f: NodeFinding<Id>): NodeFinding<Id> {
  return pick(f, NODE_FINDING_FIELDS);
}

/**
 * Whether two findings say the same thing, field for field; a missing optional field equals null.
 * Every field counts, `id` and `scope` included: under one key they agree anyway (the key is made
 * of them), so the agent's store and the collector's interner can share this one rule.
 */
export function sameFinding(a: Partial<NodeFinding> & Finding, b: Partial<NodeFinding> & Finding): boolean {
  for (const field of NODE_FINDING_FIELDS) if ((a[field] ?? null) !== (b[field] ?? null)) return false;
  return true;
}
