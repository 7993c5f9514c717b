// The answer of a what-if: per image, how it pulls now and how it would pull after the change.
import type { RenderError } from '../mco/types.js';

export type ChangeClass = 'breaks' | 'fixes' | 'moves' | 'unchanged';

/** One pull as the trace answered it: where from, whether it succeeds, why. */
export interface PullSide {
  /** `unknown`: not traced, and no agent has said (the class is then `unchanged`). */
  readonly outcome: 'pulled' | 'failed' | 'unknown';
  /** The physical reference the pull is served from; null when it fails. */
  readonly source: string | null;
  readonly digest: string | null;
  readonly reason: string;
}

export interface WhatIfChange {
  readonly image: string;
  readonly class: ChangeClass;
  readonly before: PullSide;
  /** `why`: what makes the difference, in words. */
  readonly after: PullSide & { readonly why: string };
  readonly pods: number;
  /** `namespace/name` of the pods affected (the first MAX_POD_NAMES, sorted). */
  readonly podNames?: readonly string[];
  readonly namespaces: readonly string[];
  readonly nodes: readonly string[];
  readonly pools: readonly string[];
}

export interface WhatIfSummary {
  readonly breaks: number;
  readonly fixes: number;
  readonly moves: number;
  readonly unchanged: number;
}

export interface WhatIfReport {
  /** Errors: the MCO rejects the change (then nothing else is evaluated). */
  readonly render: { readonly errors: readonly RenderError[]; readonly warnings: readonly string[] };
  readonly changes: readonly WhatIfChange[];
  readonly summary: WhatIfSummary;
  /** What the evaluation rests on or could not see (templates, samples, nodes without agents). */
  readonly notes: readonly string[];
}
