// What the trace checks on the source that served the manifest, after it: the blobs CRI-O would
// download there (blob-check.ts) and, for a release payload image, its sigstore signature on that
// mirror (release-signature.ts). A failure here fails the pull at that source: CRI-O never falls back
// to the next one once it has a manifest.
import type { ManifestAnswer, RegistryClient } from '../probe/registry-client.js';
import { parseCanonicalNamed } from '../core/reference/reference.js';
import type { SourceOutcome } from '../core/registry-protocol/outcome.js';
import type { BlobChecker } from './blob-check.js';
import { hostPlatform } from './platform.js';
import { checkReleaseSignature } from './release-signature.js';
import type {
  BlobCheck,
  ReleaseSignatureCheck,
  TraceOptions,
  TraceResult,
  TraceSignature,
  TraceSource,
  TraceStep,
} from './types.js';

export interface WinnerChecks {
  readonly blobs: BlobCheck | null;
  readonly releaseSignature: ReleaseSignatureCheck | null;
  /** The checks' steps, in order (the caller sets `source`). */
  readonly steps: readonly Omit<TraceStep, 'source'>[];
}

const ignoreStep = (): void => undefined;

function round(msValue: number): number {
  return Math.round(msValue * 100) / 100;
}

export async function winnerChecks(
  checker: BlobChecker,
  winner: {
    readonly source: TraceSource;
    readonly client: RegistryClient | null;
    readonly answer: ManifestAnswer | null;
  },
  options: TraceOptions,
): Promise<WinnerChecks> {
  const bytes = winner.answer?.bytes;
  const client = winner.client;
  if (!bytes || !client || !winner.source.digest) return { blobs: null, releaseSignature: null, steps: [] };
  const blobSteps: Omit<TraceStep, 'source'>[] = [];
  const signatureSteps: Omit<TraceStep, 'source'>[] = [];
  const full = options.detail !== 'outcome';
  const start = performance.now();
  const [blobs, releaseSignature] = await Promise.all([
    checker.check({
      client,
      repoPath: parseCanonicalNamed(winner.source.reference).path,
      bytes,
      mediaType: winner.answer!.mediaType,
      platform: options.platform ?? hostPlatform(),
      cacheTtlMs: options.blobCacheTtlMs ?? 0,
      log: !full
        ? ignoreStep
        : (s) =>
            blobSteps.push({
              kind: s.kind === 'fetch' ? 'blobs' : s.kind,
              message: s.message,
              durationMs: s.durationMs,
              decisive: false,
              level: s.status === 404 ? 'warn' : 'info',
            }),
    }),
    checkReleaseSignature({
      logicalReference: winner.source.image,
      physicalReference: winner.source.reference,
      mirror: winner.source.mirror,
      manifestDigest: winner.source.digest,
      client,
      log: !full
        ? ignoreStep
        : (s) => signatureSteps.push({ ...s, kind: 'signature', decisive: false, level: 'info' }),
    }),
  ]);
  if (!full) return { blobs, releaseSignature, steps: [] };
  blobSteps.push({
    kind: 'blobs',
    message: `blobs: ${blobs.outcome}${blobs.platform ? ` (${blobs.platform})` : ''}: ${blobs.reason}`,
    durationMs: round(performance.now() - start),
    decisive: false,
    level: blobs.outcome === 'complete' ? 'ok' : blobs.outcome === 'unknown' ? 'warn' : 'fail',
  });
  if (releaseSignature !== null)
    signatureSteps.push({
      kind: 'signature',
      message: `release payload signature on the mirror: ${releaseSignature.reason}`,
      durationMs: null,
      decisive: false,
      level: releaseSignature.present === true ? 'ok' : 'warn',
    });
  return { blobs, releaseSignature, steps: [...blobSteps, ...signatureSteps] };
}

/**
 * The result of a pull that fails at the source that served the manifest (no image for the
 * platform, a missing blob): CRI-O reports that error and never tries the next source.
 */
export function failAtWinner(
  partial: Pick<TraceResult, 'image' | 'steps' | 'sources'>,
  winIndex: number,
  outcome: SourceOutcome,
  why: string,
  signature: TraceSignature | null,
  releaseSignature: ReleaseSignatureCheck | null,
  runtimeName: string,
): TraceResult {
  const sources = [...partial.sources];
  const winner = sources[winIndex]!;
  sources[winIndex] = { ...winner, outcome, reason: why };
  const reason = `${winner.reference}: ${why} (${runtimeName} does not fall back to the next source: the manifest came from here, so the pull fails here)`;
  const steps: TraceStep[] = [
    ...partial.steps,
    {
      source: winIndex,
      kind: 'outcome',
      message: `${outcome}: ${why}`,
      durationMs: null,
      decisive: true,
      level: 'fail',
    },
    {
      source: null,
      kind: 'result',
      message: `the pull fails: ${reason}`,
      durationMs: null,
      decisive: false,
      level: 'fail',
    },
  ];
  return {
    image: partial.image,
    steps,
    sources,
    result: failedResult(reason, signature, releaseSignature),
    error: null,
  };
}

/** The result of a pull that failed at the source it chose: no other source is tried. */
export function failedResult(
  reason: string,
  signature: TraceSignature | null,
  releaseSignature: ReleaseSignatureCheck | null,
): TraceResult['result'] {
  return {
    outcome: 'failed',
    source: null,
    digest: null,
    reason,
    signature,
    ...(releaseSignature !== null ? { releaseSignature } : {}),
  };
}
