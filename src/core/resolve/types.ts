// The answer of `mirrorscope resolve`: what CRI-O would try, in order, for an image, and why.
import type { ErrorBody, ErrorCode } from '../errors.js';
import type { Origin, PullFromMirror, ShortNameMode } from '../registries/types.js';
import type { CandidateVia } from '../shortnames/short-names.js';
import type { SkipReason } from '../registries/pull-sources.js';

export interface Located {
  readonly file: string;
  readonly line: number | null;
}

/** The codes a resolution fails with (the README's "Error codes"). */
export type ResolveErrorCode = Extract<
  ErrorCode,
  'config-invalid' | 'invalid-reference' | 'short-name-error' | 'rewrite-invalid'
>;

export interface ResolveError extends ErrorBody {
  readonly code: ResolveErrorCode;
  /** The error text containers/image gives for the same condition. */
  readonly upstream?: string;
  readonly file?: string;
  readonly line?: number | null;
}

export interface SourceResolution {
  /** The rewritten (physical) reference pulled from this source. */
  readonly reference: string;
  readonly mirror: boolean;
  /** TLS verification skipped and plain HTTP allowed. */
  readonly insecure: boolean;
  readonly blocked: boolean;
  /** `location` of the `[[registry]]` or `[[registry.mirror]]` entry. */
  readonly location: string;
  /** The host actually contacted (`docker.io` is reached as `registry-1.docker.io`). */
  readonly host: string;
  readonly pullFromMirror: PullFromMirror | null;
  /** Where the entry behind this source is defined; null for a name no `[[registry]]` matches. */
  readonly origin: Located | null;
  /** The `[[registry]]` that blocks this physical reference. */
  readonly blockedBy: (Located & { readonly prefix: string }) | null;
  readonly insecureOrigin: Located | null;
  readonly explanation: string;
}

export interface SkippedMirrorResolution {
  readonly location: string;
  readonly reason: SkipReason;
  readonly origin: Located;
  readonly cause: Located | null;
  readonly explanation: string;
}

export interface MatchedRegistry {
  readonly prefix: string;
  readonly location: string;
  readonly file: string;
  readonly line: number | null;
}

export interface CandidateResolution {
  /** The logical reference CRI-O asks for (after short-name resolution and normalisation). */
  readonly image: string;
  readonly via: CandidateVia;
  readonly registry: MatchedRegistry | null;
  /** In the exact order CRI-O tries them; empty when the pull fails before any attempt. */
  readonly sources: readonly SourceResolution[];
  readonly skippedMirrors: readonly SkippedMirrorResolution[];
  readonly error: ResolveError | null;
  readonly explanation: readonly string[];
}

export interface ResolveResult {
  readonly input: string;
  readonly shortName: {
    readonly isShort: boolean;
    readonly mode: ShortNameMode;
    readonly description: string;
  } | null;
  readonly candidates: readonly CandidateResolution[];
  readonly error: ResolveError | null;
  readonly explanation: readonly string[];
}

export function located(origin: Origin | null): Located | null {
  return origin === null ? null : { file: origin.file, line: origin.line };
}

export function where(origin: Origin | Located | null): string {
  if (origin === null) return 'built-in default';
  return origin.line === null ? origin.file : `${origin.file}:${origin.line}`;
}

/**
 * One line that is equal for two results exactly when they pull from the same sources in the same
 * order (or fail the same way): what nodes compare to find that they resolve an image differently.
 */
export function resolutionSummary(result: ResolveResult): string {
  if (result.error !== null && result.candidates.length === 0) return `fails: ${result.error.message}`;
  return result.candidates
    .map((c) => {
      if (c.error !== null) return `${c.image} fails: ${c.error.message}`;
      const sources = c.sources.map(
        (s) => `${s.reference}${s.blocked ? ' (blocked)' : ''}${s.insecure ? ' (insecure)' : ''}`,
      );
      // Pulled straight from where it is named: the source says it all.
      if (c.sources.length === 1 && c.sources[0]!.reference === c.image) return sources[0]!;
      return `${c.image} via ${sources.join(', ')}`;
    })
    .join(' | then ');
}
