// Which cause kind each finding id belongs to. One entry per catalogue id (a test holds every id of
// the finding catalogue to exactly one entry). A network, TLS or unclassified pull finding names its
// kind more precisely from its error text: "no such host" is a DNS failure, whatever the id says.
import type { FindingId } from '../findings/catalogue.js';
import type { CauseKind } from './kinds.js';

export const FINDING_CAUSE_KINDS: Readonly<Record<string, CauseKind>> = {
  // admission (Portieris, Gatekeeper): the pod is refused before any pull
  'admission-no-policy': 'admission-no-policy',
  'admission-signature-missing': 'admission-signature-missing',
  'admission-repo-not-allowed': 'admission-repo-not-allowed',
  // registries.conf and friends
  'config-invalid': 'config-invalid',
  'policy-invalid': 'config-invalid',
  'mirror-config-render-failed': 'config-invalid',
  'machine-config-unreadable': 'config-invalid',
  'config-unknown-key': 'config-typo',
  'config-key-in-mirror-table': 'config-typo',
  'config-toml-1.1-syntax': 'config-surprise',
  'config-v1-format': 'config-surprise',
  'config-duplicate-prefix': 'config-surprise',
  'config-drop-in-replaces-registry': 'config-surprise',
  'short-name-mode-ignored': 'config-surprise',
  'icsp-deprecated': 'config-surprise',
  'mirror-order-surprise': 'config-surprise',
  'crio-insecure-registries': 'config-surprise',
  // what depends on the runtime version
  'crio-insecure-registries-deprecated': 'runtime-version-skew',
  'crio-insecure-registries-ignored': 'runtime-version-skew',
  'policy-unsupported-by-runtime': 'runtime-version-skew',
  'runtime-version-skew': 'runtime-version-skew',
  'short-name-ambiguous': 'short-name-ambiguous',
  // the cluster
  'agent-silent': 'agent-not-reporting',
  'agent-missing': 'agent-not-reporting',
  'agent-limit-exceeded': 'agent-not-reporting',
  'node-config-drift': 'config-drift',
  'mirror-config-drift': 'config-drift',
  'mirror-config-not-generated': 'rollout-lag',
  'mirror-config-not-rolled-out': 'rollout-lag',
  'pool-paused': 'rollout-lag',
  // a host, as nodes see it
  'mirror-unreachable': 'host-unreachable',
  'mirror-unreachable-from-nodes': 'host-unreachable',
  'pull-unreachable': 'host-unreachable',
  'mirror-tls-untrusted': 'tls-ca-missing',
  'mirror-tls-failing': 'tls-ca-missing',
  'pull-tls-untrusted': 'tls-ca-missing',
  'mirror-http-not-insecure': 'http-not-insecure',
  'pull-http-to-https': 'http-not-insecure',
  'mirror-auth-missing': 'credentials-missing',
  'mirror-auth-rejected': 'credentials-rejected',
  'mirror-auth-failing': 'credentials-rejected',
  'pull-unauthorized': 'credentials-rejected',
  'mirror-credentials-only-in-pod-secret': 'credentials-only-in-pod-secret',
  'pod-pull-secret-unreadable': 'pod-pull-secret-unreadable',
  'mirror-auth-key-mismatch': 'auth-key-host-mismatch',
  'auth-key-host-mismatch': 'auth-key-host-mismatch',
  'pull-rate-limited': 'rate-limited',
  // what a mirror holds
  'mirror-manifest-missing': 'mirror-lacks-image',
  'mirror-digest-mismatch': 'mirror-lacks-image',
  'pull-manifest-unknown': 'mirror-lacks-image',
  'mirror-stale-tag': 'stale-mirror',
  'mirror-blob-missing': 'mirror-lacks-blob',
  'pull-blob-missing': 'mirror-lacks-blob',
  // which sources are tried
  'tag-pull-bypasses-mirrors': 'tag-pull-skips-digest-only-mirrors',
  'mirror-shadowed': 'mirror-shadowed',
  'source-blocked-no-working-mirror': 'source-blocked-no-mirror',
  'pull-blocked': 'source-blocked-no-mirror',
  // signatures
  'signature-storage-local-only': 'signature-storage-local-only',
  'signature-missing': 'signature-missing',
  'mirror-signature-missing': 'signature-missing',
  'pull-signature-missing': 'signature-missing',
  'release-signature-missing-on-mirror': 'signature-missing',
  'signature-invalid': 'signature-invalid',
  'pull-signature-rejected': 'signature-invalid',
  'signature-store-unreachable': 'signature-store-unreachable',
  'signature-key-missing': 'signature-key-missing',
  'policy-rejects': 'policy-rejects',
  // a failed pull as such
  'image-pull-fails': 'pull-failure',
  'pull-failed': 'pull-failure',
} satisfies Record<FindingId, CauseKind>;

/** Kinds whose findings say more precisely what went wrong in their error text. */
const REFINED: ReadonlySet<CauseKind> = new Set([
  'host-unreachable',
  'tls-ca-missing',
  'pull-failure',
  'signature-missing',
]);

/** Error texts, Go's (containers/image, kubelet events) and Node's (our probes), per precise kind. */
const TEXT_KINDS: readonly (readonly [RegExp, CauseKind])[] = [
  [/no such host|ENOTFOUND|EAI_AGAIN|server misbehaving|name resolution|does not resolve/i, 'dns-failure'],
  [/connection refused|ECONNREFUSED/i, 'connection-refused'],
  [/time(d)? ?out|ETIMEDOUT|deadline exceeded|no complete answer/i, 'timeout'],
  [
    /expired|not yet valid|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ALTNAME|is valid for|not valid for/i,
    'tls-certificate-invalid',
  ],
  [
    /unknown authority|self[- ]signed|UNABLE_TO_(GET|VERIFY)|unable to get local issuer|CA .*is missing|not trust/i,
    'tls-ca-missing',
  ],
  [/server gave HTTP response to HTTPS client/, 'http-not-insecure'],
  [/toomanyrequests|429 Too Many Requests/i, 'rate-limited'],
  [/A signature was required, but no signature exists/, 'signature-missing'],
  [/is rejected by policy/, 'policy-rejects'],
  [/unauthorized|authentication required|access to the resource is denied/i, 'credentials-rejected'],
  [/manifest unknown|MANIFEST_UNKNOWN|name unknown/i, 'mirror-lacks-image'],
  [/is blocked/, 'source-blocked-no-mirror'],
  [
    /dial tcp|ECONNRESET|EHOSTUNREACH|ENETUNREACH|network is unreachable|connection reset|proxyconnect/i,
    'host-unreachable',
  ],
];

/** The kind an error text names, or null when it names none (`upTo`: of the first patterns only). */
export function kindOfErrorText(text: string, upTo = TEXT_KINDS.length): CauseKind | null {
  for (let i = 0; i < upTo; i++) if (TEXT_KINDS[i]![0].test(text)) return TEXT_KINDS[i]![1];
  return null;
}

const NETWORK: ReadonlySet<CauseKind> = new Set([
  'dns-failure',
  'connection-refused',
  'timeout',
  'host-unreachable',
]);
const TLS: ReadonlySet<CauseKind> = new Set(['tls-ca-missing', 'tls-certificate-invalid']);

/**
 * How many of the patterns can make a finding of `base` (of `family`) more precise: the first one
 * that matches decides, and past the last of the family's other kinds every answer is `base` again
 * (a network finding whose text says "manifest unknown" stays a network finding). 100,000 findings
 * of a large cluster try three patterns rather than a dozen.
 */
function patternsFor(base: CauseKind, family: ReadonlySet<CauseKind>): number {
  let upTo = 0;
  TEXT_KINDS.forEach(([, kind], i) => {
    if (family.has(kind) && kind !== base) upTo = i + 1;
  });
  return upTo;
}

const NETWORK_PATTERNS = patternsFor('host-unreachable', NETWORK);
const TLS_PATTERNS = patternsFor('tls-ca-missing', TLS);

/** The cause kind of one finding: its id's kind, made precise by its message where the id allows. */
export function causeKindOf(finding: { readonly id: string; readonly message: string }): CauseKind {
  const base = FINDING_CAUSE_KINDS[finding.id] ?? 'unclassified';
  if (!REFINED.has(base)) return base;
  // A signature missing from a file:// store is missing because the store is local.
  if (base === 'signature-missing')
    return /looked in file:\/\//.test(finding.message) ? 'signature-storage-local-only' : base;
  const precise = kindOfErrorText(
    finding.message,
    base === 'host-unreachable'
      ? NETWORK_PATTERNS
      : base === 'tls-ca-missing'
        ? TLS_PATTERNS
        : TEXT_KINDS.length,
  );
  if (precise === null) return base;
  // A network finding stays a network kind, a TLS finding a TLS kind; a failed pull may be anything.
  if (base === 'host-unreachable') return NETWORK.has(precise) ? precise : base;
  if (base === 'tls-ca-missing') return TLS.has(precise) ? precise : base;
  return precise;
}

/** Kinds about one host that explain each other's findings (a DNS failure and "unreachable from nodes"). */
export function kindFamily(kind: CauseKind): string {
  if (NETWORK.has(kind)) return 'network';
  if (TLS.has(kind)) return 'tls';
  if (
    kind === 'credentials-missing' ||
    kind === 'credentials-rejected' ||
    kind === 'credentials-only-in-pod-secret' ||
    kind === 'auth-key-host-mismatch'
  )
    return 'credentials';
  return kind;
}
