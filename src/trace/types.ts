// The answer of `mirrorscope trace`: what CRI-O would do on the wire for one image, source by source.
import type { RuntimeNote } from '../core/crio/runtime-notes.js';
import type { RuntimeJson, VersionNote } from '../core/crio/versions.js';
import type { Platform } from '../core/registry-protocol/manifest-blobs.js';
import type { SourceOutcome } from '../core/registry-protocol/outcome.js';
import type { ResolveError } from '../core/resolve/types.js';
import type { RegistryClient } from '../probe/registry-client.js';

export type { SourceOutcome };

export type TraceStepKind =
  | 'resolve'
  | 'source'
  | 'credentials'
  | 'tls'
  | 'ping'
  | 'auth'
  | 'redirect'
  | 'manifest'
  | 'fetch'
  | 'outcome'
  | 'stale-check'
  | 'blobs'
  | 'signature'
  | 'result';

export interface TraceStep {
  /** Index into `sources`, null for steps about the whole pull. */
  readonly source: number | null;
  readonly kind: TraceStepKind;
  readonly message: string;
  readonly durationMs: number | null;
  /** The line that decides the pull (the winning answer, or the error CRI-O reports). */
  readonly decisive: boolean;
  readonly level: 'info' | 'ok' | 'warn' | 'fail';
}

export interface StaleCheck {
  /** The primary (source registry) reference compared with. */
  readonly reference: string;
  readonly checked: boolean;
  readonly sourceDigest: string | null;
  /** null when the source registry could not say. */
  readonly stale: boolean | null;
  readonly reason: string;
}

export interface TraceSource {
  /** The physical reference pulled from this source. */
  readonly reference: string;
  /** The logical reference this source serves (a short name can have several candidates). */
  readonly image: string;
  readonly mirror: boolean;
  /** host[:port] contacted. */
  readonly host: string;
  readonly insecure: boolean;
  readonly outcome: SourceOutcome;
  readonly reason: string;
  /** HTTP status of the decisive manifest answer, null when none came. */
  readonly status: number | null;
  readonly digest: string | null;
  readonly mediaType: string | null;
  /** Where credentials were found; never the credentials. */
  readonly credentials: { readonly file: string; readonly key: string } | null;
  readonly certsDir: string | null;
  readonly durationMs: number;
  /** Where this source is configured (file:line), null for a built-in default. */
  readonly configuredAt: string | null;
  /** False for sources CRI-O would not reach (after the winner), probed only because of --all. */
  readonly reachedByCrio: boolean;
  readonly stale: StaleCheck | null;
  /** The blob check of the winning source (null for the others, and when it was not reached). */
  readonly blobs: BlobCheck | null;
}

export interface MissingBlob {
  readonly digest: string;
  /** 'manifest': the index is there but the platform's image manifest is not. */
  readonly role: 'config' | 'layer' | 'manifest';
  /** 1-based layer number, null otherwise. */
  readonly layer: number | null;
  readonly status: number | null;
}

export interface BlobCheck {
  /** 'no-platform': the index has no image for the node's platform (the pull fails too). */
  readonly outcome: 'complete' | 'missing' | 'unknown' | 'no-platform';
  /** `os/arch[/variant]` the instance was chosen for; null for a single-image manifest. */
  readonly platform: string | null;
  /** The chosen instance's manifest digest; null for a single-image manifest. */
  readonly instance: string | null;
  /** Blobs whose presence is known (answered 2xx or 404). */
  readonly checked: number;
  /** In manifest order: config first, then the layers. */
  readonly missing: readonly MissingBlob[];
  readonly reason: string;
}

export type TraceSignatureOutcome =
  'verified' | 'missing' | 'invalid' | 'not-required' | 'store-unreachable' | 'rejected';

export interface TraceSignature {
  readonly required: boolean;
  readonly outcome: TraceSignatureOutcome;
  readonly reason: string;
  readonly [detail: string]: unknown;
}

export interface SignatureEvaluatorInput {
  /** What the policy is evaluated against (the logical reference). */
  readonly logicalReference: string;
  /** Where the manifest (and so the signatures) came from. */
  readonly physicalReference: string;
  /** The winning source is a `[[registry.mirror]]` (a rewritten primary location is not a mirror). */
  readonly mirror: boolean;
  readonly manifestDigest: string;
  readonly manifestBytes: Uint8Array;
  /** The authenticated client of the winning source (for the signature extension / sigstore). */
  readonly client: RegistryClient;
}

export type SignatureEvaluator = (input: SignatureEvaluatorInput) => Promise<TraceSignature>;

export interface TraceSummary {
  readonly outcome: 'pulled' | 'failed';
  /** `reference` of the source that serves the pull; null when it fails. */
  readonly source: string | null;
  readonly digest: string | null;
  readonly reason: string;
  /** null when no signature evaluator was given (or nothing was found to evaluate). */
  readonly signature: TraceSignature | null;
  /** For a release payload image pulled from a mirror: whether the mirror has its sigstore signature. */
  readonly releaseSignature?: ReleaseSignatureCheck;
}

export interface ReleaseSignatureCheck {
  /** The payload repository (logical). */
  readonly repository: string;
  /** `mirror/repo:sha256-<hex>.sig`. */
  readonly attachment: string;
  /** null: the mirror's answer does not tell. */
  readonly present: boolean | null;
  readonly reason: string;
}

export interface TraceResult {
  readonly image: string;
  readonly steps: readonly TraceStep[];
  readonly sources: readonly TraceSource[];
  readonly result: TraceSummary;
  /** Set when the pull fails before any source is tried (invalid reference, short-name error, …). */
  readonly error: ResolveError | null;
  /** The runtime simulated (CRI-O and its version, or podman). */
  readonly runtime?: RuntimeJson;
  /** What depends on the CRI-O version, or on files that exist only during a pull. */
  readonly notes?: readonly (VersionNote | RuntimeNote)[];
}

export interface TraceOptions {
  /** Also probe every source CRI-O would not reach. */
  readonly all?: boolean;
  /** Per network step. */
  readonly timeoutMs?: number;
  readonly signatureEvaluator?: SignatureEvaluator;
  /** The platform an index instance is chosen for (default: this machine, i.e. the agent's node). */
  readonly platform?: Platform;
  /** How long a blob's answer is reused by later traces of the same repository (default 0: not). */
  readonly blobCacheTtlMs?: number;
  /**
   * 'outcome': only what decides the pull (sources, result, error), without the steps and notes that
   * explain it to a reader. Scans read nothing else, and a trace's steps, alive until it ends, are
   * most of what it allocates. Default 'full'.
   */
  readonly detail?: 'full' | 'outcome';
}

/** Which signature answers make CRI-O refuse the image it fetched (it never falls back to another source). */
export function signatureFailsPull(sig: TraceSignature): boolean {
  if (sig.outcome === 'verified' || sig.outcome === 'not-required') return false;
  return sig.required || sig.outcome === 'rejected';
}
