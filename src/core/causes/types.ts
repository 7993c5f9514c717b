// The cause model: what every surface (CLI text and JSON, the agent, the report, the page, logs,
// metrics) shows first. Built by `causesOf` from findings; no surface groups findings on its own.
import type { Finding, Severity } from '../findings/types.js';
import type { CommandPlace } from './commands.js';
import type { CauseKind } from './kinds.js';

export interface Cause {
  /** Stable across scans and builds: `kind:subject`. */
  readonly id: string;
  readonly kind: CauseKind;
  readonly severity: Severity;
  readonly title: string;
  readonly explanation: string;
  readonly fix: { readonly text: string; readonly commands: readonly string[] };
  /** The findings' own words (file:line first where they have one): the cause's own, then what it explains. */
  readonly evidence: readonly string[];
  readonly affects: {
    readonly nodes: readonly string[];
    readonly pods: number;
    readonly images: readonly string[];
    readonly mirrors: readonly string[];
  };
  /** Keys of the findings this cause explains. */
  readonly findings: readonly string[];
}

/** A finding as the cause model reads it: the core finding, its key and what it is about. */
export type CauseFinding = Pick<Finding, 'id' | 'severity' | 'message' | 'fix'> &
  Partial<Pick<Finding, 'file' | 'line' | 'scope'>> & {
    readonly key: string;
    readonly image?: string | null;
    readonly host?: string | null;
    /** The node, for a finding about one node. */
    readonly node?: string;
    /** Every node that sees it (deduplicated findings). */
    readonly nodes?: readonly string[];
    /** How many nodes see it (the report's problems). */
    readonly witnesses?: number;
    /** The check that found it could not run in the latest scan: why. */
    readonly stale?: string;
  };

/** An image that cannot be pulled (on a node), and the keys of the findings that explain it, in source order. */
export interface ImageFailure {
  readonly image: string;
  readonly node: string | null;
  readonly keys: readonly string[];
}

export interface CauseInput {
  readonly findings: readonly CauseFinding[];
  readonly failures?: readonly ImageFailure[];
  /** Pods that use an image on a node (null: any node); 0 when unknown. */
  readonly pods?: (image: string, node: string | null) => number;
  /** The same from the image's side: node → pods using it there (faster over many nodes). */
  readonly podsOn?: (image: string) => ReadonlyMap<string, number>;
  /** The node every finding is about (the agent's own node), when there is one. */
  readonly node?: string | null;
  /**
   * Where the suggested commands will be typed: beside a collector (`trace --node NODE`, the
   * default) or on a machine with the node's files (`trace --root DIR`).
   */
  readonly place?: CommandPlace;
  /**
   * The findings are the report's problems as it lists them: no two have the same key; most severe
   * first, then most witnesses first, then by key. A cause named after a finding's key (90,000 of
   * them in a large cluster) is then made without looking its key up, and a cause orders its
   * thousands of root findings by merging, not sorting.
   */
  readonly reportOrder?: boolean;
  /**
   * With `reportOrder`: the findings whose keys `failures` name (at most one per key), when the
   * caller has them at hand. Telling them by object asks nothing of the other findings' keys (each
   * a string somewhere on the heap, read to be hashed).
   */
  readonly failureFindings?: ReadonlySet<CauseFinding>;
}
