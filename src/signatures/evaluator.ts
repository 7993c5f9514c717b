// The signature side of a pull: which policy list applies to the LOGICAL reference, where the
// signatures of the PHYSICAL reference are read (API extension or lookaside, then sigstore
// attachments), and containers/image's verdict. Implements the trace's SignatureEvaluator hook.
import type { CrioImageConfig } from '../core/crio/crio-config.js';
import { MirrorscopeError } from '../core/errors.js';
import type { Finding } from '../core/findings/types.js';
import { findingsForSignatureVerdict } from '../core/check/signature-result-findings.js';
import {
  evaluatePolicy,
  SignatureFetchError,
  type PolicyVerdict,
  type SignatureSet,
} from '../core/policy/evaluate.js';
import { describeRequirementList, requirementsFor } from '../core/policy/select-scope.js';
import { isVerifyingRequirement, type Policy } from '../core/policy/types.js';
import { parseNormalizedNamed, stringOf, type ImageReference } from '../core/reference/reference.js';
import {
  formatLookasideUrl,
  isLocalLookaside,
  lookasideBase,
  lookasideFor,
  LookasideUrlError,
  redactUrl,
  sigstoreAttachmentsFor,
  type RegistriesDConfig,
} from '../core/signatures/registries-d-lookup.js';
import { chooseInstance, hostPlatform, type Platform } from '../core/signatures/instance.js';
import type { NodeRoot } from '../host/node-root.js';
import { loadPolicyFile, locatePolicy, type PolicyLocation } from '../host/policy-files.js';
import { hasNamespacedPolicies, modelledVersion, type CrioVersion } from '../core/crio/versions.js';
import { loadNodeRegistriesD } from '../host/registries-d-files.js';
import type { RegistryClient } from '../probe/registry-client.js';
import type { SignatureEvaluator, TraceSignature } from '../trace/types.js';
import { createSignatureHttp, type SignatureHttp } from './http-get.js';
import { keyLoaderFor } from './key-loader.js';
import { readLookaside } from './lookaside-reader.js';
import { accessFromRegistryClient } from './probe-access.js';
import {
  readExtensionSignatures,
  readSigstoreAttachments,
  type SignatureRegistryAccess,
} from './registry-signatures.js';

export interface SignatureContext {
  readonly root: NodeRoot;
  readonly policyLocation: PolicyLocation;
  /** The parsed policy, or why containers/image refuses it. */
  readonly policy: Policy | MirrorscopeError;
  readonly registriesD: RegistriesDConfig | MirrorscopeError;
  readonly http: SignatureHttp;
  /** Per request; all the signature fetches of one image share SIGNATURE_BUDGET_REQUESTS of these. */
  readonly timeoutMs: number;
}

/**
 * Every fetch is bounded, but up to 128 lookaside signatures and 128 attachment layers, each slow
 * just short of the timeout, would hold one image's check for hours. The fetches of one image share
 * this many timeouts in all; containers/image has no such bound.
 */
const SIGNATURE_BUDGET_REQUESTS = 4;

export async function loadSignatureContext(
  root: NodeRoot,
  crio: CrioImageConfig | null,
  options: { readonly namespace?: string; readonly timeoutMs?: number; readonly namespaced?: boolean } = {},
): Promise<SignatureContext> {
  const policyLocation = await locatePolicy(root, crio, options.namespace, options.namespaced ?? true);
  const settle = async <T>(p: Promise<T>): Promise<T | MirrorscopeError> => {
    try {
      return await p;
    } catch (err) {
      if (err instanceof MirrorscopeError) return err;
      throw err;
    }
  };
  return {
    root,
    policyLocation,
    policy: await settle(loadPolicyFile(root, policyLocation)),
    registriesD: await settle(loadNodeRegistriesD(root)),
    http: createSignatureHttp({ timeoutMs: options.timeoutMs ?? 10_000 }),
    timeoutMs: options.timeoutMs ?? 10_000,
  };
}

export interface SignatureRequest {
  readonly logicalReference: string;
  readonly physicalReference: string;
  readonly manifestDigest: string;
  readonly manifestBytes: Uint8Array;
  /** The winning source's registry; null to skip the API extension and attachments. */
  readonly access: SignatureRegistryAccess | null;
  /** Whether the physical source is a mirror; by default, when it differs from the logical reference. */
  readonly mirror?: boolean;
  /** The node's platform, for choosing the instance of a manifest list (default: this machine's). */
  readonly platform?: Platform;
}

export interface SignatureReport extends TraceSignature {
  readonly logicalReference: string;
  readonly physicalReference: string;
  readonly mirror: boolean;
  readonly policy: { readonly file: string; readonly scope: string; readonly line: number | null };
  /** Where the signatures were looked for. */
  readonly store: {
    readonly kind: 'lookaside' | 'extension' | 'none';
    readonly url: string | null;
    readonly scope: string;
    readonly file: string | null;
    readonly line: number | null;
    readonly local: boolean;
    readonly sigstoreAttachments: boolean;
  } | null;
  readonly signatureCount: number | null;
  readonly verifiedBy: string | null;
  readonly explanation: readonly string[];
  readonly findings: readonly Finding[];
}

function configFailure(
  req: SignatureRequest,
  err: MirrorscopeError,
  mirror: boolean,
  file: string,
): SignatureReport {
  const finding: Finding = {
    id: file.endsWith('.json') ? 'policy-invalid' : 'config-invalid',
    severity: 'error',
    message: err.message,
    file: err.location?.file ?? file,
    line: err.location?.line ?? null,
    scope: null,
    fix: 'Correct the file at the line named; CRI-O fails every pull until it loads.',
  };
  return failedReport(req, mirror, file, {
    required: true,
    outcome: 'invalid',
    reason: err.upstream ?? err.message,
    explanation: [`${file} cannot be loaded, so containers/image refuses every image: ${err.message}`],
    findings: [finding],
  });
}

/** The pull fails before any signature is looked at (e.g. the list has no instance for this platform). */
function pullFailure(
  req: SignatureRequest,
  mirror: boolean,
  file: string,
  required: boolean,
  reason: string,
): SignatureReport {
  return failedReport(req, mirror, file, {
    required,
    outcome: 'store-unreachable',
    reason,
    explanation: [reason],
    findings: [],
  });
}

/** A verdict reached before any signature was read: no store, no count, no signer. */
function failedReport(
  req: SignatureRequest,
  mirror: boolean,
  file: string,
  verdict: Pick<SignatureReport, 'required' | 'outcome' | 'reason' | 'explanation' | 'findings'>,
): SignatureReport {
  return {
    ...verdict,
    logicalReference: req.logicalReference,
    physicalReference: req.physicalReference,
    mirror,
    policy: { file, scope: '', line: null },
    store: null,
    signatureCount: null,
    verifiedBy: null,
  };
}

/** CRI-O and podman drop the tag of a `name:tag@digest` reference before c/image sees it. */
function parseOrThrow(s: string): ImageReference {
  const ref = parseNormalizedNamed(s);
  return ref.tag !== undefined && ref.digest !== undefined ? { ...ref, tag: undefined } : ref;
}

export async function evaluateSignatures(
  ctx: SignatureContext,
  req: SignatureRequest,
): Promise<SignatureReport> {
  const logical = parseOrThrow(req.logicalReference);
  const physical = parseOrThrow(req.physicalReference);
  const mirror = req.mirror ?? stringOf(logical) !== stringOf(physical);
  if (ctx.policy instanceof MirrorscopeError)
    return configFailure(req, ctx.policy, mirror, ctx.policyLocation.path);
  if (ctx.registriesD instanceof MirrorscopeError)
    return configFailure(req, ctx.registriesD, mirror, '/etc/containers/registries.d');
  const policy = ctx.policy;
  const registriesD = ctx.registriesD;
  const list = requirementsFor(policy, logical);
  const scopeText = describeRequirementList(list);
  const instance = await resolveInstance(req, physical);
  if ('failure' in instance) {
    return pullFailure(
      req,
      mirror,
      policy.file,
      list.requirements.some(isVerifyingRequirement),
      instance.failure,
    );
  }
  const { manifestDigest, manifestBytes } = instance;
  const explanation: string[] = [
    `policy: ${policy.file}:${list.line} ${scopeText} applies to ${stringOf(logical)} (the requested, logical reference)`,
  ];
  if (instance.note !== null) explanation.push(instance.note);

  const choice = lookasideFor(registriesD, physical);
  const attachments = sigstoreAttachmentsFor(registriesD, physical);
  const storeScope = choice.scope ?? 'built-in default';
  const state: { lookasideUrl: string | null; storeKind: 'lookaside' | 'extension' | 'none' } = {
    lookasideUrl: null,
    storeKind: 'none',
  };
  const fetchSignatures = async (): Promise<SignatureSet> => {
    const budget = {
      deadline: performance.now() + SIGNATURE_BUDGET_REQUESTS * ctx.timeoutMs,
      ms: SIGNATURE_BUDGET_REQUESTS * ctx.timeoutMs,
    };
    let simpleSigning: Uint8Array[];
    const repoPath = physical.path;
    if (req.access !== null && (await req.access.supportsSignatureExtension())) {
      state.storeKind = 'extension';
      explanation.push(
        `${req.access.host} announces X-Registry-Supports-Signatures: signatures come from its API, not the lookaside`,
      );
      simpleSigning = await readExtensionSignatures(req.access, repoPath, manifestDigest);
    } else {
      state.storeKind = 'lookaside';
      let base;
      try {
        base = lookasideBase(choice.topLevel, physical);
      } catch (err) {
        if (err instanceof LookasideUrlError) {
          const shown = redactUrl(choice.topLevel);
          throw new SignatureFetchError(err.message.replaceAll(choice.topLevel, shown), shown);
        }
        throw err;
      }
      const lookasideUrl = redactUrl(formatLookasideUrl(base));
      state.lookasideUrl = lookasideUrl;
      explanation.push(
        `signatures of ${stringOf(physical)} (the reference actually pulled) are read from ${lookasideUrl} (registries.d ${
          choice.scope === null
            ? 'built-in default'
            : `scope ${choice.scope} at ${choice.origin?.file}:${choice.origin?.line}`
        })`,
      );
      simpleSigning = (await readLookaside(base, manifestDigest, ctx.root, ctx.http, budget)).blobs;
    }
    let sigstore: SignatureSet['sigstore'] = [];
    if (attachments.value && req.access !== null) {
      explanation.push(
        `use-sigstore-attachments is on for ${attachments.scope}: reading ${manifestDigest.replace(':', '-')}.sig`,
      );
      sigstore = await readSigstoreAttachments(req.access, repoPath, manifestDigest, budget);
    }
    return { simpleSigning, sigstore };
  };

  const verdict: PolicyVerdict = await evaluatePolicy({
    logical,
    manifest: manifestBytes,
    requirements: list,
    fetchSignatures,
    loadKeys: keyLoaderFor(ctx.root),
  });
  const { storeKind, lookasideUrl } = state;
  if (mirror && verdict.required) {
    explanation.push(
      `identity is checked against ${stringOf(logical)}, not the mirror reference ${stringOf(physical)}; a refusal here fails the pull (no fallback to another source)`,
    );
  }
  const store =
    lookasideUrl ??
    (storeKind === 'extension'
      ? `${req.access?.host ?? ''} signature API`
      : formatLookasideUrlSafe(choice.topLevel, physical));
  const local = storeKind !== 'extension' && isLocalLookaside(choice.topLevel);
  const findings = findingsForSignatureVerdict({
    logicalReference: stringOf(logical),
    physicalReference: stringOf(physical),
    mirror,
    verdict,
    policyFile: policy.file,
    policyLine: list.line,
    policyScope: list.isDefault ? 'default' : list.scope,
    store,
    storeIsLocal: local,
    storeOrigin: choice.origin,
    storeScope: choice.scope ?? physical.domain,
  });
  const reason =
    verdict.reason ??
    (verdict.outcome === 'verified'
      ? `verified${verdict.verifiedBy ? ` (signed by ${verdict.verifiedBy})` : ''} for ${stringOf(logical)}`
      : `${scopeText} does not require a signature`);
  return {
    required: verdict.required,
    outcome: verdict.outcome,
    reason,
    logicalReference: stringOf(logical),
    physicalReference: stringOf(physical),
    mirror,
    policy: { file: policy.file, scope: scopeText, line: list.line },
    store: verdict.required
      ? {
          kind: storeKind,
          url: storeKind === 'extension' ? null : store,
          scope: storeScope,
          file: choice.origin?.file ?? null,
          line: choice.origin?.line ?? null,
          local,
          sigstoreAttachments: attachments.value,
        }
      : null,
    signatureCount: verdict.signatureCount,
    verifiedBy: verdict.verifiedBy,
    explanation,
    findings,
  };
}

/** For a manifest list, the instance CRI-O pulls on this platform: its manifest and digest are what is verified. */
async function resolveInstance(
  req: SignatureRequest,
  physical: ImageReference,
): Promise<{ manifestDigest: string; manifestBytes: Uint8Array; note: string | null } | { failure: string }> {
  const choice = chooseInstance(req.manifestBytes, req.platform ?? hostPlatform());
  if (choice.kind === 'not-a-list' || req.access === null) {
    return { manifestDigest: req.manifestDigest, manifestBytes: req.manifestBytes, note: null };
  }
  if (choice.kind === 'error') return { failure: choice.message };
  const answer = await req.access.manifest(physical.path, choice.digest);
  if (answer.status !== 200 || answer.bytes === null) {
    return {
      failure: `reading manifest ${choice.digest} in ${req.access.host}/${physical.path}: status ${answer.status}`,
    };
  }
  const p = choice.platform;
  return {
    manifestDigest: choice.digest,
    manifestBytes: answer.bytes,
    note: `${req.manifestDigest} is a manifest list: CRI-O pulls the ${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''} instance ${choice.digest}, and only that instance's signature is verified`,
  };
}

function formatLookasideUrlSafe(topLevel: string, physical: ImageReference): string {
  try {
    return redactUrl(formatLookasideUrl(lookasideBase(topLevel, physical)));
  } catch {
    return redactUrl(topLevel);
  }
}

/** The hook `trace` calls for the source that served the manifest. */
export function createSignatureEvaluator(ctx: SignatureContext): SignatureEvaluator {
  return async (input) => {
    const access = accessFromRegistryClient(input.client as RegistryClient);
    return evaluateSignatures(ctx, {
      logicalReference: input.logicalReference,
      physicalReference: input.physicalReference,
      mirror: input.mirror,
      manifestDigest: input.manifestDigest,
      manifestBytes: input.manifestBytes,
      access,
    });
  };
}

export function closeSignatureContext(ctx: SignatureContext): void {
  ctx.http.close();
}

/** For `mirrorscope trace`: the evaluator of a node root (CRI-O's policy choice when runtime is crio). */
export async function loadNodeSignatureEvaluator(
  rootDir: string | NodeRoot,
  runtime: 'crio' | 'podman',
  options: {
    readonly timeoutMs?: number;
    readonly crioVersion?: CrioVersion | null;
    readonly namespace?: string;
  } = {},
): Promise<{ evaluator: SignatureEvaluator; close(): void }> {
  const [{ NodeRoot }, { loadCrioConfigFor }] = await Promise.all([
    import('../host/node-root.js'),
    import('../host/crio-files.js'),
  ]);
  const root = typeof rootDir === 'string' ? new NodeRoot(rootDir) : rootDir;
  const version = options.crioVersion ?? null;
  const crio = runtime === 'crio' ? await loadCrioConfigFor(root, version) : null;
  const ctx = await loadSignatureContext(root, crio, {
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    namespaced: hasNamespacedPolicies(modelledVersion(version)),
  });
  return { evaluator: createSignatureEvaluator(ctx), close: () => closeSignatureContext(ctx) };
}
