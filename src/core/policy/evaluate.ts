// `PolicyContext.IsRunningImageAllowed` for one image: every requirement of the selected list must
// allow it, the first denial wins, and signatures are only fetched when a requirement needs them.
import { stringOf, type ImageReference } from '../reference/reference.js';
import { importKeys, verifyGpgSignature, type GpgKeyring } from '../signatures/gpg-verify.js';
import {
  COSIGN_SIGNATURE_TYPE,
  manifestMatchesDigest,
  parseSignaturePayload,
  SIMPLE_SIGNING_TYPE,
  SignatureRejection,
} from '../signatures/payload.js';
import {
  COSIGN_SIMPLE_SIGNING_MEDIA_TYPE,
  importSigstoreKeys,
  verifySigstoreSignature,
  type SigstoreAttachment,
} from '../signatures/sigstore-verify.js';
import { matchesSignedIdentity } from './identity-match.js';
import {
  isVerifyingRequirement,
  type IdentityMatch,
  type KeySource,
  type Requirement,
  type RequirementList,
} from './types.js';

export interface SignatureSet {
  /** Simple-signing (GPG) blobs from the lookaside or the X-Registry-Supports-Signatures API. */
  readonly simpleSigning: readonly Uint8Array[];
  readonly sigstore: readonly SigstoreAttachment[];
}

/** Thrown by `fetchSignatures` when a signature store cannot be read: the whole pull fails. */
export class SignatureFetchError extends Error {
  constructor(
    message: string,
    /** The URL or host that failed, for the finding's scope. */
    readonly where: string,
    /** `malformed`: the store answered, but with something that is not a signature. */
    readonly kind: 'unreachable' | 'malformed' = 'unreachable',
  ) {
    super(message);
  }
}

export type KeyLoad =
  | { readonly ok: true; readonly blobs: readonly Uint8Array[] }
  /** `error` is the text c/image gives (e.g. `open PATH: no such file or directory`). */
  | { readonly ok: false; readonly error: string; readonly missingPath: string | null };

export interface EvaluationInput {
  /** The reference the user asked for: policy scope and identity are checked against it. */
  readonly logical: ImageReference;
  /** The manifest actually pulled (from the mirror, when one served it). */
  readonly manifest: Uint8Array;
  readonly requirements: RequirementList;
  readonly fetchSignatures: () => Promise<SignatureSet>;
  readonly loadKeys: (source: KeySource) => Promise<KeyLoad>;
}

export type PolicyOutcome =
  'verified' | 'not-required' | 'missing' | 'invalid' | 'store-unreachable' | 'rejected';

export interface PolicyVerdict {
  readonly allowed: boolean;
  /** The selected list contains a signature requirement. */
  readonly required: boolean;
  readonly outcome: PolicyOutcome;
  /** The error text containers/image gives when it refuses the image; null when allowed. */
  readonly reason: string | null;
  /** The requirement that decided a refusal. */
  readonly requirement: Requirement | null;
  /** A keyPath that does not exist on the node, when that is why verification failed. */
  readonly missingKeyPath: string | null;
  /** Signatures of the kind the deciding requirement considers; null when none were fetched. */
  readonly signatureCount: number | null;
  /** For a verified image: the fingerprint (GPG) or "public key" (sigstore) that verified it. */
  readonly verifiedBy: string | null;
}

interface RequirementResult {
  readonly allowed: boolean;
  readonly outcome: PolicyOutcome;
  readonly reason: string | null;
  readonly missingKeyPath: string | null;
  readonly signatureCount: number | null;
  readonly verifiedBy: string | null;
}

const NO_SIGNATURE = 'A signature was required, but no signature exists';

/** A requirement that refuses the image. */
function refused(
  outcome: PolicyOutcome,
  reason: string,
  signatureCount: number | null,
  missingKeyPath: string | null = null,
): RequirementResult {
  return { allowed: false, outcome, reason, missingKeyPath, signatureCount, verifiedBy: null };
}

/** A requirement satisfied by a signature from `verifiedBy`. */
function accepted(signatureCount: number, verifiedBy: string): RequirementResult {
  return {
    allowed: true,
    outcome: 'verified',
    reason: null,
    missingKeyPath: null,
    signatureCount,
    verifiedBy,
  };
}

function summarize(
  rejections: readonly string[],
  allMissingKey: string | null,
  count: number,
): RequirementResult {
  if (rejections.length === 0) {
    return refused('missing', NO_SIGNATURE, 0);
  }
  const reason =
    rejections.length === 1
      ? rejections[0]!
      : `None of the signatures were accepted, reasons: ${rejections.join('; ')}`;
  return refused('invalid', reason, count, allMissingKey);
}

function checkPayload(
  content: Uint8Array,
  type: string,
  manifest: Uint8Array,
  logical: ImageReference,
  identity: IdentityMatch,
): string | null {
  try {
    const payload = parseSignaturePayload(content, type);
    if (!manifestMatchesDigest(manifest, payload.manifestDigest))
      return `Signature for digest ${payload.manifestDigest} does not match`;
    if (!matchesSignedIdentity(identity, logical, payload.dockerReference)) {
      return `Signature for identity "${payload.dockerReference}" is not accepted`;
    }
    return null;
  } catch (err) {
    if (err instanceof SignatureRejection) return err.message;
    throw err;
  }
}

async function evaluateSignedBy(
  req: Extract<Requirement, { type: 'signedBy' }>,
  input: EvaluationInput,
  signatures: SignatureSet,
): Promise<RequirementResult> {
  const rejections: string[] = [];
  let keyring: GpgKeyring | null = null;
  let keyError: { error: string; missingPath: string | null } | null = null;
  for (const blob of signatures.simpleSigning) {
    if (req.keyType !== 'GPGKeys') {
      rejections.push(`Unimplemented "keyType" value "${req.keyType}"`);
      continue;
    }
    if (keyring === null && keyError === null) {
      const load = await input.loadKeys(req.keys);
      if (load.ok) keyring = await importKeys(load.blobs);
      else keyError = { error: load.error, missingPath: load.missingPath };
    }
    if (keyError !== null) {
      rejections.push(keyError.error);
      continue;
    }
    if (keyring!.fingerprints.length === 0) {
      rejections.push('No public keys imported');
      continue;
    }
    const verified = await verifyGpgSignature(blob, keyring!);
    if (!verified.ok) {
      rejections.push(verified.reason);
      continue;
    }
    const problem = checkPayload(
      verified.content,
      SIMPLE_SIGNING_TYPE,
      input.manifest,
      input.logical,
      req.signedIdentity,
    );
    if (problem === null) {
      return accepted(signatures.simpleSigning.length, verified.keyFingerprint);
    }
    rejections.push(problem);
  }
  return summarize(rejections, keyError?.missingPath ?? null, signatures.simpleSigning.length);
}

async function evaluateSigstoreSigned(
  req: Extract<Requirement, { type: 'sigstoreSigned' }>,
  input: EvaluationInput,
  signatures: SignatureSet,
): Promise<RequirementResult> {
  const relevant = signatures.sigstore.filter((a) => a.mediaType === COSIGN_SIMPLE_SIGNING_MEDIA_TYPE);
  if (relevant.length === 0) {
    const others = signatures.simpleSigning.length;
    const nonSignatures = signatures.sigstore.length;
    const reason =
      others === 0 && nonSignatures === 0
        ? NO_SIGNATURE
        : `${NO_SIGNATURE} (${others} non-sigstore signatures, ${nonSignatures} sigstore non-signature attachments)`;
    return refused('missing', reason, 0);
  }
  if (req.keys === null) {
    const reason = `mirrorscope cannot verify ${req.certificateBased} sigstore signatures (certificates and Rekor are not implemented)`;
    return refused('invalid', reason, relevant.length);
  }
  // The keys are loaded when the policy context is built, before any signature is looked at.
  const load = await input.loadKeys(req.keys);
  if (!load.ok) return refused('invalid', load.error, relevant.length, load.missingPath);
  const imported = importSigstoreKeys(load.blobs);
  if (imported.error !== null) return refused('invalid', imported.error, relevant.length);
  const rejections: string[] = [];
  for (const attachment of relevant) {
    const cryptoProblem = verifySigstoreSignature(attachment, imported.keys);
    const problem =
      cryptoProblem ??
      checkPayload(
        attachment.payload,
        COSIGN_SIGNATURE_TYPE,
        input.manifest,
        input.logical,
        req.signedIdentity,
      );
    if (problem === null) {
      return accepted(relevant.length, 'public key');
    }
    rejections.push(problem);
  }
  return summarize(rejections, null, relevant.length);
}

/** `transports.ImageName` for the docker transport. */
export function dockerImageName(ref: ImageReference): string {
  return `docker://${stringOf(ref)}`;
}

export async function evaluatePolicy(input: EvaluationInput): Promise<PolicyVerdict> {
  const required = input.requirements.requirements.some(isVerifyingRequirement);
  let signatures: SignatureSet | null = null;
  let verifiedBy: string | null = null;
  let signatureCount: number | null = null;
  for (const req of input.requirements.requirements) {
    let result: RequirementResult;
    switch (req.type) {
      case 'insecureAcceptAnything':
        continue;
      case 'reject':
        result = refused(
          'rejected',
          `Running image ${dockerImageName(input.logical)} is rejected by policy.`,
          signatureCount,
        );
        break;
      case 'signedBaseLayer':
        result = refused('invalid', 'signedBaseLayer not implemented yet!', signatureCount);
        break;
      case 'signedBy':
      case 'sigstoreSigned':
        if (signatures === null) {
          try {
            signatures = await input.fetchSignatures();
          } catch (err) {
            if (!(err instanceof SignatureFetchError)) throw err;
            result = refused(err.kind === 'malformed' ? 'invalid' : 'store-unreachable', err.message, null);
            break;
          }
        }
        result =
          req.type === 'signedBy'
            ? await evaluateSignedBy(req, input, signatures)
            : await evaluateSigstoreSigned(req, input, signatures);
        break;
    }
    if (!result.allowed) return { ...result, required, requirement: req };
    verifiedBy = result.verifiedBy;
    signatureCount = result.signatureCount;
  }
  return {
    allowed: true,
    required,
    outcome: required ? 'verified' : 'not-required',
    reason: null,
    requirement: null,
    missingKeyPath: null,
    signatureCount,
    verifiedBy,
  };
}
