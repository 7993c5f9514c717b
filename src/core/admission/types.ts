// The admission side of an image: what Portieris and Gatekeeper would decide for a pod that names
// it, in the shape `mirrorscope admission --json` prints and the collector reports.

/** Where an object came from: a file and line (CLI) or the API server (collector, file = `cluster`). */
export interface ObjectSource {
  readonly file: string;
  readonly line: number | null;
}

export interface AdmissionPolicyRef {
  readonly kind: string;
  readonly name: string;
  /** null for cluster-scoped objects. */
  readonly namespace: string | null;
}

/**
 * One thing a controller looks at. `fail` means this check denies the pod; `unknown` that it cannot
 * be decided here (the detail says why); `info` is context that changes no outcome.
 */
export type CheckOutcome = 'pass' | 'fail' | 'unknown' | 'info';

export interface AdmissionCheck {
  readonly kind: string;
  readonly outcome: CheckOutcome;
  readonly detail: string;
}

export interface AdmissionDecision {
  readonly controller: 'portieris' | 'gatekeeper';
  readonly policy: AdmissionPolicyRef | null;
  /** null when a requirement cannot be checked here (a check with outcome `unknown` says why). */
  readonly allowed: boolean | null;
  /** The controller's own text: its denial, or what it would do. */
  readonly message: string;
  readonly checks: readonly AdmissionCheck[];
}

/** `false` when any decision denies; otherwise `null` when any is undecided; otherwise `true`. */
export function combineAllowed(decisions: readonly { readonly allowed: boolean | null }[]): boolean | null {
  if (decisions.some((d) => d.allowed === false)) return false;
  if (decisions.some((d) => d.allowed === null)) return null;
  return true;
}

export function check(kind: string, outcome: CheckOutcome, detail: string): AdmissionCheck {
  return { kind, outcome, detail };
}
