// The catalogue of cause kinds: the smallest thing a person would fix. Every finding id maps to one
// kind (./finding-kinds.ts); a cause groups the findings one fix makes go away. docs/causes.md is
// generated from this file.

/** How the subject of a cause is named, which decides what findings share one cause. */
export type CauseSubject =
  /** A host name without the port: a name that does not resolve fails on every port. */
  | 'hostname'
  /** `host[:port]` as contacted. */
  | 'host'
  /** A registry or policy scope (`registry.example.com/team`). */
  | 'scope'
  /** The line of a file the finding points at (else its scope): one line to change. */
  | 'location'
  /** The finding's own key: the same problem in the same place (a line of a file, a node). */
  | 'finding';

export interface CauseKindDefinition {
  /** What one cause of this kind is, in one line. */
  readonly title: string;
  /** The headline of one cause, with its subject (host, scope or file) filled in. */
  readonly headline: (subject: string) => string;
  /** Why it breaks pulls: what containers/image does about it. */
  readonly explanation: string;
  /** The usual fix; each cause carries the concrete fix of its findings. */
  readonly fix: string;
  readonly subject: CauseSubject;
}

const kind = (d: CauseKindDefinition): CauseKindDefinition => d;

export const CAUSE_KINDS = {
  'dns-failure': kind({
    title: 'A registry or mirror host name does not resolve from the node.',
    headline: (h) => `${h} does not resolve (DNS)`,
    explanation:
      'Every mirror on the host, every source that falls through to it and every image that then has no source left fails for this one reason.',
    fix: 'Create the DNS record for the host (or correct the host name in the mirror configuration), then trace an affected image again.',
    subject: 'hostname',
  }),
  'connection-refused': kind({
    title: 'The host resolves, but nothing accepts connections on the port the node uses.',
    headline: (h) => `${h} refuses connections`,
    explanation:
      'The registry is down or listens on another port; containers/image moves on to the next source and fails the pull when none is left.',
    fix: 'Start the registry or correct the port in the mirror configuration; check firewalls between the nodes and the host.',
    subject: 'host',
  }),
  timeout: kind({
    title: 'Connections to the host time out (a firewall dropping packets, a proxy, or a host that is down).',
    headline: (h) => `${h} does not answer (timeout)`,
    explanation:
      'Each timeout costs the pull its full wait before the next source is tried; when every source times out the pull fails.',
    fix: 'Open the network path from the nodes to the host (firewall, proxy, noProxy), or remove the mirror.',
    subject: 'host',
  }),
  'host-unreachable': kind({
    title: 'The host cannot be reached for another network reason (reset, no route, proxy error).',
    headline: (h) => `${h} is unreachable`,
    explanation:
      'containers/image treats the source as failed and tries the next one; findings that say why (DNS, refused, timeout) are grouped under those kinds instead.',
    fix: 'Check the network path from the nodes to the host, and the host itself.',
    subject: 'host',
  }),
  'tls-ca-missing': kind({
    title: "The node does not trust the CA that signed the host's certificate.",
    headline: (h) => `The CA of ${h} is missing on the node`,
    explanation:
      'containers/image verifies the certificate with /etc/docker/certs.d/HOST[:PORT]/*.crt and the system bundle; without the CA the source fails with "x509: certificate signed by unknown authority".',
    fix: 'Add the CA to image.config.openshift.io/cluster additionalTrustedCA (key host..port), which writes /etc/docker/certs.d/HOST:PORT/ca.crt on every node.',
    subject: 'host',
  }),
  'tls-certificate-invalid': kind({
    title: "The host's certificate is invalid for it (expired, not yet valid, or issued for another name).",
    headline: (h) => `The certificate of ${h} is invalid`,
    explanation: 'No CA configuration helps: the certificate itself must be replaced.',
    fix: 'Issue a certificate for the exact host name the nodes use, with a valid date range.',
    subject: 'host',
  }),
  'http-not-insecure': kind({
    title: 'The host speaks plain HTTP but is not declared insecure.',
    headline: (h) => `${h} speaks plain HTTP but is not insecure`,
    explanation:
      'containers/image refuses it ("server gave HTTP response to HTTPS client") and moves on to the next source.',
    fix: 'Serve the registry over TLS, or list it in image.config.openshift.io/cluster insecureRegistries (insecure = true).',
    subject: 'host',
  }),
  'credentials-missing': kind({
    title: 'The host requires authentication and the pull secret has no credentials for it.',
    headline: (h) => `No credentials for ${h}`,
    explanation:
      "containers/image looks the credentials up by the repository path and then host[:port] exactly; mirrors get only their own entry, never the source's.",
    fix: 'Add the host exactly as contacted (host:port) to the cluster pull secret (openshift-config/pull-secret).',
    subject: 'host',
  }),
  'credentials-rejected': kind({
    title: 'The host refuses the credentials the node sends (401/403).',
    headline: (h) => `${h} rejects the node's credentials`,
    explanation: 'The entry exists but the account is wrong, expired or lacks pull access to the repository.',
    fix: 'Update the credentials for the host in the cluster pull secret, or grant that account pull access.',
    subject: 'host',
  }),
  'credentials-only-in-pod-secret': kind({
    title:
      "The mirror's credentials are in pods' pull secrets only, and CRI-O never sends those to a mirror on another registry.",
    headline: (h) => `${h}: credentials only in pod pull secrets`,
    explanation:
      "The kubelet passes the pod's pull-secret credentials with the pull; containers/image uses them only for sources on the requested image's registry and gives every other mirror the node's auth file, which has nothing for this one.",
    fix: "Add the mirror's credentials to the node's auth file (on OpenShift the cluster pull secret openshift-config/pull-secret).",
    subject: 'host',
  }),
  'pod-pull-secret-unreadable': kind({
    title:
      "A pod's pull secret could not be read, so whether it holds a mirror's credentials cannot be told.",
    headline: (s) => `Cannot read pull secret ${s}`,
    explanation:
      "The kubelet sends a pod's pull-secret credentials only to the requested image's registry; whether a mirror depends on them is known only from the secret's keys.",
    fix: 'Grant the collector `get` on the secrets pods name (the pod-pull-secrets component), or check the secret by hand.',
    subject: 'scope',
  }),
  'auth-key-host-mismatch': kind({
    title:
      "A pull-secret key names the mirror's machine but can never match it (another port, or another path).",
    headline: (h) => `The pull-secret key for ${h} does not match it`,
    explanation:
      'Keys match exactly or by repository-path prefix, ports included: "nexus.example" does not serve "nexus.example:8443", so no credentials are sent and the mirror answers 401.',
    fix: 'Add a pull-secret entry whose key is the mirror exactly as contacted (host:port, or a parent path of the repository).',
    subject: 'host',
  }),
  'rate-limited': kind({
    title: 'A registry rate-limits the nodes (often the upstream behind a mirror that lacks the image).',
    headline: (h) => `${h} rate-limits the nodes`,
    explanation: 'Pulls fall back to the upstream registry, which answers 429 once the quota is spent.',
    fix: 'Make the mirror serve the images so pulls stop falling back to the upstream registry.',
    subject: 'host',
  }),
  'mirror-lacks-image': kind({
    title: 'A mirror does not have images (or digests) the nodes pull through it.',
    headline: (h) => `${h} lacks images the nodes pull`,
    explanation:
      'The mirror answers "manifest unknown"; containers/image moves on to the next source, which may be blocked, slow or rate-limited.',
    fix: 'Mirror the images with their digests preserved (oc-mirror, or skopeo copy --all --preserve-digests) to the path the rewrite rule produces.',
    subject: 'host',
  }),
  'mirror-lacks-blob': kind({
    title: 'A mirror serves the manifest of an image but not all of its blobs: a partial mirror.',
    headline: (h) => `${h} serves manifests whose blobs it lacks`,
    explanation:
      'containers/image chooses the first source whose manifest it reads; a blob missing afterwards fails the pull, and CRI-O never tries the next mirror or the source (containers/podman#20374).',
    fix: 'Mirror the images again completely (oc-mirror, or skopeo copy --all) and find what removed the blobs (registry garbage collection, an interrupted copy, a storage quota).',
    subject: 'host',
  }),
  'stale-mirror': kind({
    title: 'A mirror serves tags whose source has moved on: the nodes run old builds.',
    headline: (h) => `${h} serves stale tags`,
    explanation: 'A tag pull that a mirror answers is never compared with the source by CRI-O.',
    fix: 'Re-sync the tags to the mirror, or pin the images by digest.',
    subject: 'host',
  }),
  'tag-pull-skips-digest-only-mirrors': kind({
    title:
      'Images are pulled by tag while their mirrors are digest-only (ICSP/IDMS): CRI-O goes straight to the source.',
    headline: (s) => `Tag pulls of ${s} skip its digest-only mirrors`,
    explanation:
      'mirror-by-digest-only (or pull-from-mirror = "digest-only") makes containers/image skip the mirror for any reference without a digest: "my ICSP is ignored".',
    fix: 'Pin the images by digest, or add an ImageTagMirrorSet so tags are pulled from the mirror.',
    subject: 'scope',
  }),
  'mirror-shadowed': kind({
    title: 'A more specific [[registry]] entry without mirrors hides the mirrors of a broader one.',
    headline: (s) => `[[registry]] "${s}" hides broader mirrors`,
    explanation:
      "containers/image uses only the longest matching prefix, so the broader entry's mirrors are never tried.",
    fix: 'Repeat the mirrors in the more specific entry, or remove it.',
    subject: 'scope',
  }),
  'source-blocked-no-mirror': kind({
    title: 'The source registry is blocked and no mirror serves the image.',
    headline: (s) => `${s} is blocked and no mirror serves the images`,
    explanation:
      'With NeverContactSource (blocked = true) the mirrors are the only way; when none serves the image, the pull fails.',
    fix: 'Mirror the images (and fix what makes the mirrors fail), or allow contacting the source.',
    subject: 'scope',
  }),
  'signature-storage-local-only': kind({
    title: 'The policy requires signatures that the node reads from a local file:// store only.',
    headline: (s) => `Signatures are read from a local store only (${s})`,
    explanation:
      'registries.d points the scope at a file:// lookaside (or only sets lookaside-staging), so a node verifies only images signed on itself; every other signed pull fails.',
    fix: 'Set `lookaside:` for the registry in registries.d to the http(s) URL where the signatures are published.',
    subject: 'location',
  }),
  'signature-missing': kind({
    title: 'The policy requires a signature and the signature store has none for the image.',
    headline: (s) => `No signature for ${s}`,
    explanation:
      'containers/image fails with "A signature was required, but no signature exists"; a mirror\'s scope is looked up on its own, with no fallback to the source.',
    fix: "Publish the signatures at the http(s) lookaside the node reads (or sign the images), including the mirrors' lookasides.",
    subject: 'scope',
  }),
  'signature-invalid': kind({
    title: 'A signature exists but is refused (wrong key, identity or digest).',
    headline: (s) => `Signatures for ${s} are refused`,
    explanation: 'The signature does not verify against the keys or the identity the policy requires.',
    fix: 'Re-sign for the reference users pull with a key the policy trusts, or adjust signedIdentity (e.g. remapIdentity for mirrors).',
    subject: 'scope',
  }),
  'signature-store-unreachable': kind({
    title: 'The signature store (lookaside) cannot be read.',
    headline: (s) => `The signature store for ${s} cannot be read`,
    explanation:
      'Any answer other than 200 or 404 fails the pull; containers/image does not treat it as "no signature".',
    fix: 'Make the lookaside URL reachable from the nodes.',
    subject: 'scope',
  }),
  'signature-key-missing': kind({
    title: 'A policy key file does not exist on the node.',
    headline: (s) => `The signing key for ${s} is missing on the node`,
    explanation: 'No signature can be accepted without the key; every signed pull in the scope fails.',
    fix: 'Install the public key at the path the policy names (e.g. with a MachineConfig), or embed it as keyData.',
    subject: 'scope',
  }),
  'policy-rejects': kind({
    title: 'A `reject` requirement applies to the images.',
    headline: (s) => `The policy rejects ${s}`,
    explanation: 'containers/image refuses the image before any signature is read.',
    fix: 'Add a more specific transports.docker scope with the requirement you want (e.g. signedBy).',
    subject: 'scope',
  }),
  'config-invalid': kind({
    title: 'A configuration file or object is rejected, so every pull (or rollout) that reads it fails.',
    headline: (f) => `${f} is rejected`,
    explanation:
      'containers/image refuses the whole file, not one entry; the MCO refuses the whole set of objects.',
    fix: 'Correct the file at the line named; `mirrorscope check` shows the same error until it loads.',
    subject: 'finding',
  }),
  'config-typo': kind({
    title: 'A key is misspelled or misplaced, so the setting it was meant to be is silently not applied.',
    headline: (f) => `A setting in ${f} is not applied`,
    explanation:
      'containers/image ignores keys it does not know, and a registry-level key written after a [[registry.mirror]] table belongs to the mirror (containers/podman#14306).',
    fix: 'Rename the key to the setting you meant, or move it above the first [[registry.mirror]] table of its [[registry]].',
    subject: 'finding',
  }),
  'config-surprise': kind({
    title: 'The configuration loads but does something other than it reads like (or is deprecated).',
    headline: (f) => `${f} does not do what it reads like`,
    explanation:
      'Duplicate prefixes, drop-ins replacing entries, merged mirror orders and ignored settings change which sources are tried.',
    fix: "Follow the finding's fix; `mirrorscope resolve IMAGE` shows the order CRI-O uses.",
    subject: 'finding',
  }),
  'config-drift': kind({
    title: 'A node runs registry files other than the ones the cluster renders for it.',
    headline: (f) => `Registry files drifted: ${f}`,
    explanation:
      'A hand edit or a later MachineConfig overrides the generated files; the node pulls with a configuration nobody declared.',
    fix: 'Express the change as mirror objects, remove the override, and restore hand-edited files.',
    subject: 'finding',
  }),
  'rollout-lag': kind({
    title: 'A change of the mirror configuration has not reached every node yet.',
    headline: (f) => `Mirror configuration not rolled out: ${f}`,
    explanation:
      'Nodes keep pulling with the old mirror configuration until their pool updates (or is unpaused).',
    fix: 'Watch the MachineConfigPool (`oc get mcp`); fix the reason of a Degraded node or unpause the pool.',
    subject: 'finding',
  }),
  'short-name-ambiguous': kind({
    title:
      'A short image name resolves differently (or not at all) depending on the runtime and its version.',
    headline: (f) => `Short name ${f} is ambiguous`,
    explanation:
      'CRI-O and podman apply short-name aliases and unqualified-search-registries with different modes.',
    fix: 'Use fully qualified image names, or add a short-name alias.',
    subject: 'finding',
  }),
  'runtime-version-skew': kind({
    title: 'The answer depends on the CRI-O/containers-image version, and the nodes run different ones.',
    headline: (f) => `Runtime version skew: ${f}`,
    explanation: 'Configuration features and error behaviour changed between containers/image versions.',
    fix: 'Update the nodes to one runtime version, or write the configuration for the oldest one.',
    subject: 'finding',
  }),
  'agent-not-reporting': kind({
    title:
      'A node has no mirrorscope agent reporting (or one whose reports the collector had to cut), so its pulls are not simulated in full.',
    headline: (f) => `No agent reports: ${f}`,
    explanation: 'What the report says about the node may be missing or out of date.',
    fix: 'Check the mirrorscope-agent DaemonSet pod on the node (tolerations, logs, network path to the collector).',
    subject: 'finding',
  }),
  'pull-failure': kind({
    title: 'A pull fails for a reason mirrorscope cannot attribute to one of the kinds above.',
    headline: (f) => `${f} cannot be pulled`,
    explanation:
      'The error text is kept as evidence; a trace shows every source CRI-O tries and what each answers.',
    fix: "Run `mirrorscope trace IMAGE` on the node and read each source's outcome.",
    subject: 'finding',
  }),
  'admission-no-policy': kind({
    title:
      "Portieris refuses an image no repository of the namespace's ImagePolicies (or, without any, of the ClusterImagePolicies) matches, as the pod spec writes it.",
    headline: (s) => `Portieris has no policy that admits the image (${s})`,
    explanation:
      'The pod is refused at admission, so no pull is ever tried; Portieris matches the name in the pod spec, never the mirror CRI-O would pull from.',
    fix: "Add a repository pattern for the image as written in the pod spec to the namespace's ImagePolicy, or to a ClusterImagePolicy when the namespace has none.",
    subject: 'scope',
  }),
  'admission-signature-missing': kind({
    title: 'Portieris requires a simple signature for the image and finds none.',
    headline: (s) => `Portieris finds no signature (${s})`,
    explanation:
      "Portieris reads signatures from the registry named in the pod spec or the policy's storeURL, never from a mirror; without one the pod is refused before any pull.",
    fix: "Sign the image and publish the signature where the policy's storeURL points (or the registry's signature API).",
    subject: 'scope',
  }),
  'admission-repo-not-allowed': kind({
    title: 'A Gatekeeper repository constraint refuses the image as written in the pod spec.',
    headline: (s) => `Gatekeeper constraint ${s} refuses the image's repository`,
    explanation:
      'The allow-list is a prefix match on the name in the pod spec; the mirror CRI-O pulls from is never seen, so mirroring into the allowed registry only helps when the pod spec names the mirror.',
    fix: 'Name an allowed registry in the pod spec (the mirror itself, when mirroring is the point), or add its prefix, ending in "/", to the constraint\'s parameters.repos.',
    subject: 'scope',
  }),
  unclassified: kind({
    title: 'A finding id this version of mirrorscope does not know (an agent newer than the collector).',
    headline: (f) => `Unknown finding: ${f}`,
    explanation: 'The finding is shown as the agent sent it.',
    fix: "Update the collector to the agents' version.",
    subject: 'finding',
  }),
} as const satisfies Record<string, CauseKindDefinition>;

export type CauseKind = keyof typeof CAUSE_KINDS;

export function causeKindDefinition(kind: CauseKind): CauseKindDefinition {
  return CAUSE_KINDS[kind];
}

export function isCauseKind(value: string): value is CauseKind {
  return Object.hasOwn(CAUSE_KINDS, value);
}
