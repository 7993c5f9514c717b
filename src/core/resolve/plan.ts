// The resolver's answer for whoever walks the sources (the trace engine, a what-if run): every source
// in the order CRI-O reaches it, with what it needs to contact it, so nothing is parsed or looked up twice.
import type { ImageReference } from '../reference/reference.js';
import type { Endpoint, Registry } from '../registries/types.js';
import type {
  CandidateResolution,
  ResolveResult,
  SkippedMirrorResolution,
  SourceResolution,
} from './types.js';

/** A source CRI-O contacts (unless one before it serves the image). */
export interface TriedSource {
  readonly kind: 'try';
  readonly resolution: SourceResolution;
  /** `[[registry]]` (the primary location) or `[[registry.mirror]]` entry; null when no prefix matches. */
  readonly entry: Endpoint | null;
  /** The physical reference: where the manifest, and the signatures beside it, are read. */
  readonly physical: ImageReference;
  /** `Name()` of the physical reference: the key credentials are looked up by (`GetCredentialsForRef`). */
  readonly credentialsKey: string;
}

/** A mirror CRI-O does not try for this reference (pull-from-mirror, mirror-by-digest-only). */
export interface SkippedSource {
  readonly kind: 'skip';
  readonly resolution: SkippedMirrorResolution;
  readonly entry: Endpoint;
  /** The reference the mirror would have been asked for (its location when the rewrite fails). */
  readonly reference: string;
}

export type PlannedSource = TriedSource | SkippedSource;

export interface CandidatePlan {
  readonly resolution: CandidateResolution;
  /**
   * The logical reference: what the signature policy is evaluated against (the physical one says where
   * the signatures are read), and what a mirror's tag is compared with at the source registry.
   */
  readonly logical: ImageReference;
  /** The `[[registry]]` whose prefix matched, null when none did. */
  readonly registry: Registry | null;
  /** Configuration order: the mirrors (tried or skipped), then the primary location. */
  readonly sources: readonly PlannedSource[];
}

export interface PullPlan {
  readonly resolution: ResolveResult;
  /** One per candidate of `resolution`, in the same order. */
  readonly candidates: readonly CandidatePlan[];
}
