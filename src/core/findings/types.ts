// Findings: what mirrorscope tells a person about a node or a cluster. Every finding has a stable id
// from the catalogue; the catalogue says what the id means and how to fix it.

export type Severity = 'error' | 'warning' | 'info';

export interface FindingDefinition {
  readonly severity: Severity;
  /** One line: what this id means. */
  readonly title: string;
  /** The usual fix, in general terms; each finding carries its own concrete `fix`. */
  readonly fix: string;
}

export interface Finding {
  readonly id: string;
  readonly severity: Severity;
  readonly message: string;
  readonly file: string | null;
  readonly line: number | null;
  /** The registry/policy scope or image the finding is about. */
  readonly scope: string | null;
  readonly fix: string;
}

/** Exactly the catalogue fields, in their documented order: the `check --json` / `--once` shape. */
export function findingJson(f: Finding): Finding {
  return {
    id: f.id,
    severity: f.severity,
    message: f.message,
    file: f.file,
    line: f.line,
    scope: f.scope,
    fix: f.fix,
  };
}
