// What the diagnosis works on and what it returns. The probe side is described structurally, so the
// pure core does not depend on the trace engine: a `TraceResult` is a `ProbedImage`. What it returns
// are `NodeFinding`s (core/findings/types.ts).
export interface ProbedSource {
  readonly reference: string;
  /** The logical reference this source serves. */
  readonly image: string;
  readonly mirror: boolean;
  readonly host: string;
  readonly insecure: boolean;
  readonly outcome: string;
  readonly reason: string;
  readonly digest: string | null;
  readonly credentials: { readonly file: string; readonly key: string } | null;
  /** `file:line` of the entry, null for a built-in default. */
  readonly configuredAt: string | null;
  readonly reachedByCrio: boolean;
  readonly stale: { readonly stale: boolean | null; readonly reason: string } | null;
  /** The blob check of the winning source (absent from older agents' results). */
  readonly blobs?: {
    readonly platform: string | null;
    readonly missing: readonly {
      readonly digest: string;
      readonly role: string;
      readonly layer: number | null;
    }[];
  } | null;
}

export interface ProbedImage {
  readonly image: string;
  readonly sources: readonly ProbedSource[];
  readonly result: {
    readonly outcome: 'pulled' | 'failed';
    readonly source: string | null;
    readonly digest: string | null;
    readonly reason: string;
    readonly signature: { readonly [detail: string]: unknown } | null;
    readonly releaseSignature?: {
      readonly repository: string;
      readonly attachment: string;
      readonly present: boolean | null;
      readonly reason: string;
    };
  };
  readonly error: { readonly code: string; readonly message: string } | null;
}
