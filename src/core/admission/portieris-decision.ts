// What Portieris' admission controller decides for one container image (IBM/portieris 6eaaacae,
// pkg/controller/multi/controller.go getPatchesForContainers and enforcer.go): the policy choice,
// the Vulnerability Advisor scanner, the `simple` requirements turned into a containers/image policy
// (pkg/verifier/simple/policy.go), Notary `trust`, and the digest mutation. Signature verification
// needs the network: `preparePortieris` says what to verify, the shell verifies, and
// `concludePortieris` turns the outcome into the decision, with Portieris' own texts.
import { goQuote } from '../mco/go-format.js';
import { isValidRemapPrefix } from '../policy/parse-policy.js';
import type { IdentityMatch, Requirement, RequirementList } from '../policy/types.js';
import {
  parseNormalizedNamed,
  InvalidReferenceError,
  tagNameOnly,
  type ImageReference,
} from '../reference/reference.js';
import { decodeArmoredKey } from './armor.js';
import type { AdmissionObjects, SecretObject, SignedIdentitySpec, SimpleRequirementSpec } from './objects.js';
import { hasIbmRepo, nameWithTag, portierisImage, type PortierisImage } from './portieris-image.js';
import { portierisPolicyToEnforce } from './portieris-policy.js';
import { check, type AdmissionCheck, type AdmissionDecision, type AdmissionPolicyRef } from './types.js';

/** What the shell must verify for a `simple` policy, as Portieris' verifier would. */
export interface PortierisSignaturePlan {
  /** `docker.ParseReference("//" + image)`: normalised, `:latest` added to a bare name. */
  readonly reference: ImageReference;
  /** The containers/image policy Portieris builds: these requirements for every docker image. */
  readonly requirements: RequirementList;
  /** `simple.storeURL` with the store Secret's credentials; null: no lookaside configured. */
  readonly store: { readonly url: string; readonly username: string; readonly password: string } | null;
}

export type PortierisSignatureOutcome =
  /** `digest` is `sha256:…` of the manifest Portieris reads (the list itself for a manifest list). */
  | { readonly kind: 'verified'; readonly digest: string; readonly detail: string }
  /** A PolicyRequirementError: `reason` is containers/image's text. */
  | { readonly kind: 'denied'; readonly reason: string; readonly detail: string }
  /** An error Portieris would meet too (it denies with it). */
  | { readonly kind: 'error'; readonly error: string; readonly detail: string }
  /** mirrorscope could not find out (e.g. the registry is not reachable from here). */
  | { readonly kind: 'unknown'; readonly detail: string };

export interface PortierisPrepared {
  readonly image: string;
  readonly parsed: PortierisImage | null;
  readonly policy: AdmissionPolicyRef | null;
  readonly checks: readonly AdmissionCheck[];
  /** Denials already certain, in Portieris' order. */
  readonly denials: readonly string[];
  /** A check that cannot be done here (trust, Vulnerability Advisor). */
  readonly undecided: boolean;
  readonly signature: PortierisSignaturePlan | null;
  /** `mutateImage` unset or true. */
  readonly mutate: boolean;
}

const SIMPLE_LINE = 0;

function findSecret(objects: AdmissionObjects, namespace: string, name: string): SecretObject | undefined {
  return objects.secrets.find((s) => s.meta.name === name && (s.meta.namespace ?? namespace) === namespace);
}

const notFound = (name: string) => `secrets ${goQuote(name)} not found`;

/** `policySignedIdentity`: Portieris' names for the containers/image identity rules. */
function signedIdentity(spec: SignedIdentitySpec): IdentityMatch | string {
  switch (spec.type) {
    case '':
      return { type: 'matchRepoDigestOrExact' };
    case 'matchExact':
      return { type: 'matchExact' };
    case 'matchRepository':
      return { type: 'matchRepository' };
    case 'matchExactReference':
      try {
        const ref = parseNormalizedNamed(spec.dockerReference);
        if (ref.tag === undefined && ref.digest === undefined)
          return `dockerReference ${spec.dockerReference} contains neither a tag nor digest`;
      } catch (err) {
        if (!(err instanceof InvalidReferenceError)) throw err;
        return `Invalid format of dockerReference ${spec.dockerReference}: ${err.message}`;
      }
      return { type: 'exactReference', dockerReference: spec.dockerReference };
    case 'matchExactRepository':
      try {
        parseNormalizedNamed(spec.dockerRepository);
      } catch (err) {
        if (!(err instanceof InvalidReferenceError)) throw err;
        return `Invalid format of dockerRepository ${spec.dockerRepository}: ${err.message}`;
      }
      return { type: 'exactRepository', dockerRepository: spec.dockerRepository };
    case 'remapIdentity':
      if (!isValidRemapPrefix(spec.prefix)) return `prefix ${goQuote(spec.prefix)} is not valid`;
      if (!isValidRemapPrefix(spec.signedPrefix)) return `prefix ${goQuote(spec.signedPrefix)} is not valid`;
      return { type: 'remapIdentity', prefix: spec.prefix, signedPrefix: spec.signedPrefix };
    default:
      return `invalid SignedIdentity Type: ${spec.type}`;
  }
}

/** `TransformPolicies`: each requirement in order; the first problem is the error Portieris returns. */
function transformRequirements(
  objects: AdmissionObjects,
  namespace: string,
  specs: readonly SimpleRequirementSpec[],
  checks: AdmissionCheck[],
): Requirement[] | string {
  const out: Requirement[] = [];
  for (const spec of specs) {
    const line = spec.line ?? SIMPLE_LINE;
    switch (spec.type) {
      case 'insecureAcceptAnything':
        out.push({ type: 'insecureAcceptAnything', line });
        break;
      case 'reject':
        out.push({ type: 'reject', line });
        break;
      case 'signedBy': {
        if (spec.keySecret === '') return 'KeySecret missing in signedBy requirement';
        const secretNamespace = spec.keySecretNamespace !== '' ? spec.keySecretNamespace : namespace;
        const secret = findSecret(objects, secretNamespace, spec.keySecret);
        if (secret === undefined) return notFound(spec.keySecret);
        const key = secret.data.get('key');
        if (key === undefined)
          return `secret ${goQuote(spec.keySecret)} in ${goQuote(secretNamespace)} does not contain a "key" attribute`;
        const decoded = decodeArmoredKey(key);
        if (!decoded.ok) return decoded.error;
        const identity = signedIdentity(spec.signedIdentity);
        if (typeof identity === 'string') return identity;
        checks.push(
          check(
            'simple-key',
            'info',
            `signedBy: key from Secret ${secretNamespace}/${spec.keySecret} (key "key"), identity rule ${identity.type}`,
          ),
        );
        out.push({
          type: 'signedBy',
          keyType: 'GPGKeys',
          keys: { kind: 'keyData', data: decoded.data, line },
          signedIdentity: identity,
          line,
        });
        break;
      }
      default:
        return `simple policy invalid Type: ${spec.type}`;
    }
  }
  return out;
}

function policyRef(kind: string, name: string, namespace: string | null): AdmissionPolicyRef {
  return { kind, name, namespace };
}

export interface PortierisPrepareOptions {
  /**
   * false: the Secrets are not known (the collector reads none), so `simple` requirements are left
   * undecided instead of failing on a key Secret that only seems to be missing.
   */
  readonly secretsKnown: boolean;
}

export function preparePortieris(
  image: string,
  namespace: string,
  objects: AdmissionObjects,
  options: PortierisPrepareOptions = { secretsKnown: true },
): PortierisPrepared {
  const checks: AdmissionCheck[] = [];
  const denials: string[] = [];
  const base = { image, signature: null, mutate: false, undecided: false } as const;
  if (image.trim() === '') {
    checks.push(check('image', 'pass', 'a blank image is let through (Portieris issue 227)'));
    return { ...base, parsed: null, policy: null, checks, denials };
  }
  const parsed = portierisImage(image);
  if (!parsed.ok) {
    checks.push(check('image', 'fail', `not a valid image reference: ${parsed.error}`));
    return {
      ...base,
      parsed: null,
      policy: null,
      checks,
      denials: [`Deny ${goQuote(image)}, invalid image name`],
    };
  }
  const img = parsed.image;
  const choice = portierisPolicyToEnforce(objects.portierisPolicies, namespace, image);
  if (!choice.ok) {
    checks.push(
      check(
        'policy-choice',
        'fail',
        choice.searched === null
          ? 'no ImagePolicy in the namespace and no ClusterImagePolicy at all'
          : `${choice.candidates} ${choice.searched}${choice.candidates === 1 ? '' : 's'} searched, no repository name matches ${goQuote(image)} (the image as written in the pod spec)`,
      ),
    );
    return { ...base, parsed: img, policy: null, checks, denials: [choice.denial] };
  }
  const { object, repository, exact } = choice.match;
  const policy = policyRef(
    object.kind,
    object.meta.name,
    object.kind === 'ImagePolicy' ? (object.meta.namespace ?? namespace) : null,
  );
  checks.push(
    check(
      'policy-choice',
      'pass',
      `${object.kind} ${policy.namespace === null ? '' : `${policy.namespace}/`}${object.meta.name}, repository ${goQuote(repository.name)} (${exact ? 'exact match' : `best wildcard match, quality ${choice.match.quality}`}) for ${goQuote(image)} as written in the pod spec${choice.searched === 'ClusterImagePolicy' ? `; the namespace ${namespace} has no ImagePolicy, so ClusterImagePolicies apply` : '; ImagePolicies exist in the namespace, so ClusterImagePolicies are not consulted'}`,
    ),
  );
  const p = repository.policy;
  let undecided = false;

  if (p.vulnerability.iccrvaEnabled === true) {
    if (!hasIbmRepo(img)) {
      const reason = `Cannot use Vulnerability Advisor for IBM Cloud Container Registry with image ${goQuote(image)}`;
      checks.push(
        check(
          'vulnerability',
          'fail',
          `vulnerability.ICCRVA is enabled but ${img.hostname} is not IBM Cloud Container Registry`,
        ),
      );
      denials.push(reason);
    } else {
      undecided = true;
      checks.push(
        check(
          'vulnerability',
          'unknown',
          "not checked: IBM Cloud Vulnerability Advisor is a cloud service that needs the pod's IBM Cloud credentials; mirrorscope does not call it",
        ),
      );
    }
  }

  let signature: PortierisSignaturePlan | null = null;
  if (p.simple.requirements.length > 0 && !options.secretsKnown) {
    undecided = true;
    checks.push(
      check(
        'simple',
        'unknown',
        `not checked: ${p.simple.requirements.length} simple requirement${p.simple.requirements.length === 1 ? '' : 's'} (${p.simple.requirements.map((r) => r.type || '(no type)').join(', ')}) need the key Secrets, which are not read here; \`mirrorscope admission\` with the Secret verifies the signatures`,
      ),
    );
  } else if (p.simple.requirements.length > 0) {
    const prepared = prepareSimple(objects, namespace, image, p.simple, checks);
    if (typeof prepared === 'string') {
      checks.push(check('simple', 'fail', `Portieris fails while preparing the simple policy: ${prepared}`));
      return { ...base, parsed: img, policy, checks, denials: [...denials, prepared], undecided };
    }
    signature = prepared;
  }

  if (p.trust.enabled === true) {
    undecided = true;
    checks.push(
      check(
        'trust',
        'unknown',
        `not checked: trust is Docker Content Trust (Notary v1) — signed TUF metadata for ${img.name} on ${p.trust.trustServer || "the registry's default trust server"}${p.trust.signerSecrets.length > 0 ? `, signers ${p.trust.signerSecrets.join(', ')}` : ''}; mirrorscope has no Notary client`,
      ),
    );
  }
  return {
    image,
    parsed: img,
    policy,
    checks,
    denials,
    undecided,
    signature,
    mutate: p.mutateImage !== false,
  };
}

function prepareSimple(
  objects: AdmissionObjects,
  namespace: string,
  image: string,
  simple: {
    readonly requirements: readonly SimpleRequirementSpec[];
    readonly storeURL: string;
    readonly storeSecret: string;
  },
  checks: AdmissionCheck[],
): PortierisSignaturePlan | string {
  const requirements = transformRequirements(objects, namespace, simple.requirements, checks);
  if (typeof requirements === 'string') return requirements;
  // GetBasicCredentials reads the store Secret from the POD's namespace.
  let username = '';
  let password = '';
  if (simple.storeSecret !== '') {
    const secret = findSecret(objects, namespace, simple.storeSecret);
    if (secret === undefined) return notFound(simple.storeSecret);
    const u = secret.data.get('username');
    if (u === undefined) return `secret: ${simple.storeSecret}, does not contain username`;
    const pw = secret.data.get('password');
    if (pw === undefined) return `secret: ${simple.storeSecret}, does not contain password`;
    username = new TextDecoder().decode(u);
    password = new TextDecoder().decode(pw);
  }
  let store: PortierisSignaturePlan['store'] = null;
  if (simple.storeURL !== '') {
    if (!simple.storeURL.startsWith('http://') && !simple.storeURL.startsWith('https://'))
      return `expecting https:// or http:// URL, got: ${simple.storeURL}`;
    store = { url: simple.storeURL, username, password };
  }
  let reference: ImageReference;
  try {
    const ref = parseNormalizedNamed(image);
    if (ref.tag !== undefined && ref.digest !== undefined)
      return 'simple: Docker references with both a tag and digest are currently not supported';
    reference = tagNameOnly(ref);
  } catch (err) {
    if (!(err instanceof InvalidReferenceError)) throw err;
    return `simple: ${err.message}`;
  }
  checks.push(
    check(
      'simple-store',
      'info',
      store === null
        ? "no simple.storeURL: Portieris reads signatures only through the registry's signature API (X-Registry-Supports-Signatures), else from /var/lib/containers/sigstore inside its own container, which holds none"
        : `signatures are read from the lookaside ${store.url}${simple.storeSecret === '' ? '' : ` with the credentials of Secret ${namespace}/${simple.storeSecret}`}, unless the registry serves them through its signature API`,
    ),
  );
  return {
    reference,
    requirements: { scope: '', isDefault: false, line: SIMPLE_LINE, requirements },
    store,
  };
}

/** The decision, once the signature outcome (when a `simple` policy asked for one) is known. */
export function concludePortieris(
  prep: PortierisPrepared,
  outcome: PortierisSignatureOutcome | null,
): AdmissionDecision {
  const checks = [...prep.checks];
  const denials = [...prep.denials];
  let undecided = prep.undecided;
  let digest: string | null = null;
  if (prep.signature !== null) {
    const o = outcome ?? { kind: 'unknown', detail: 'signatures were not checked' };
    switch (o.kind) {
      case 'verified':
        digest = o.digest;
        checks.push(check('simple', 'pass', o.detail));
        break;
      case 'denied':
        checks.push(check('simple', 'fail', o.detail));
        denials.push(`simple: policy denied the request: ${o.reason}`);
        break;
      case 'error':
        checks.push(check('simple', 'fail', o.detail));
        denials.push(`simple: ${o.error}`);
        break;
      case 'unknown':
        undecided = true;
        checks.push(check('simple', 'unknown', o.detail));
        break;
    }
  }
  if (digest !== null && prep.parsed !== null && denials.length === 0) {
    const hex = digest.replace(/^sha256:/, '');
    checks.push(
      prep.mutate
        ? check(
            'mutate-image',
            'info',
            `the pod's image is rewritten to ${prep.parsed.name}@sha256:${hex} (mutateImage unset or true)`,
          )
        : check(
            'mutate-image',
            'info',
            `mutateImage: false: the image stays ${prep.image} (verified digest sha256:${hex})`,
          ),
    );
  }
  const allowed = denials.length > 0 ? false : undecided ? null : true;
  if (allowed === false)
    checks.push(
      check(
        'where-denied',
        'info',
        'Portieris checks the top-level object (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob, …) when it is created or updated, and admits pods and ReplicaSets owned by those unchecked: the denial shows where the workload is applied, not as a FailedCreate event',
      ),
    );
  const key = prep.parsed === null ? prep.image : nameWithTag(prep.parsed);
  const message =
    denials.length > 0
      ? denials.join('\n')
      : allowed === null
        ? `cannot tell: ${checks
            .filter((c) => c.outcome === 'unknown')
            .map((c) => c.kind)
            .join(', ')} not checked here`
        : `Allow for images: [${digest !== null && prep.parsed !== null ? `${prep.parsed.name}:${digest.replace(/^sha256:/, '')}` : key}]`;
  return { controller: 'portieris', policy: prep.policy, allowed, message, checks };
}
