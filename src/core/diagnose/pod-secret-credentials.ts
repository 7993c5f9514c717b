// `mirror-credentials-only-in-pod-secret`: a pod's pull secrets hold credentials for a mirror its
// image resolves to on its node, the node's auth file holds none, and containers/image never sends
// the kubelet's credentials to that mirror (another domain than the requested image's). The pod's
// secrets are what the kubelet reads: `pod.spec.imagePullSecrets` (kubelet getPullSecretsForPod; the
// ServiceAccount's imagePullSecrets reach it only through the admission plugin, which copies them
// into a pod that names none at creation). Key names only: no credential value comes here.
import type { SourceCredentialStatus } from '../credentials/source-credentials.js';
import { matchingKeys } from '../credentials/kubelet-keyring.js';
import type { NodeFinding } from '../findings/types.js';
import { nameOf, parseCanonicalNamed } from '../reference/reference.js';

/** What the collector knows of one Secret: its keys, or why it cannot tell. */
export type SecretKeys =
  | { readonly state: 'keys'; readonly keys: readonly string[] }
  /** The kubelet skips a secret that does not exist (or is not a pull-secret type). */
  | { readonly state: 'absent' }
  | { readonly state: 'unreadable'; readonly reason: string };

export interface PodPulls {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly images: readonly string[];
  /** `spec.imagePullSecrets[].name`, in order (empty names skipped, as the kubelet does). */
  readonly pullSecrets: readonly string[];
}

export interface NodeImageSources {
  readonly image: string;
  readonly pullable: boolean;
  readonly source: string | null;
  readonly sources?: readonly SourceCredentialStatus[];
}

export interface PodSecretFinding extends Pick<
  NodeFinding<'mirror-credentials-only-in-pod-secret' | 'pod-pull-secret-unreadable'>,
  'id' | 'key' | 'message' | 'fix' | 'image' | 'host'
> {
  readonly scope: string;
  readonly nodes: readonly string[];
}

export interface PodSecretInput {
  readonly pods: readonly PodPulls[];
  /** Per node, the agent's image statuses. */
  readonly images: (node: string) => readonly NodeImageSources[] | undefined;
  /** What the node's agent last saw of a host (`unauthorized`, `found`, …), when it probed it. */
  readonly hostOutcome?: (node: string, host: string) => string | undefined;
  /** `namespace/name` → what is known; undefined: not read yet. */
  readonly secret: (namespace: string, name: string) => SecretKeys | undefined;
  /** true on OpenShift (the fix names the cluster pull secret), false elsewhere, null unknown. */
  readonly openshift: boolean | null;
}

const MAX_PODS_NAMED = 3;

/** A source CRI-O reaches with the node's auth file only, which has nothing for it. */
function nodeOnly(s: SourceCredentialStatus): boolean {
  return !s.kubeletCredentials && s.nodeAuth === 'none';
}

/** The sources CRI-O would get to: up to and including the one that serves the pull. */
function reached(status: NodeImageSources): readonly SourceCredentialStatus[] {
  const sources = status.sources ?? [];
  if (!status.pullable || status.source === null) return sources;
  let winner: string;
  try {
    winner = nameOf(parseCanonicalNamed(status.source));
  } catch {
    return sources;
  }
  const at = sources.findIndex((s) => s.reference === winner);
  // The serving source got what it needed (the node's credentials, or none): nothing to report there.
  return at === -1 ? sources : sources.slice(0, at);
}

function fixFor(openshift: boolean | null, keys: readonly string[], reference: string): string {
  const entry = `an entry for ${keys.length === 1 ? `"${keys[0]}"` : reference}`;
  const openshiftFix = `run \`oc set data secret/pull-secret -n openshift-config --from-file=.dockerconfigjson=FILE\` with FILE the current pull secret plus ${entry} (the MCO writes it to every node)`;
  const nodeFix = `add ${entry} to CRI-O's global_auth_file (the node pull secret /var/lib/kubelet/config.json) on every node`;
  if (openshift === true) return `Run${openshiftFix.slice(3)}.`;
  if (openshift === false) return `Add${nodeFix.slice(3)}.`;
  return `On OpenShift, ${openshiftFix}; elsewhere, ${nodeFix}.`;
}

const REFUSED = new Set(['unauthorized', 'denied']);

/** What the mirror does without credentials, as far as the agents' probes say. */
function answered(outcomes: ReadonlySet<string>): string {
  const seen = [...outcomes].sort();
  if (seen.length > 0 && seen.every((o) => REFUSED.has(o)))
    return `it answers ${seen.join(' or ')} (the agents' probes)`;
  if (seen.length === 0) return 'it is asked without credentials (the agents have not probed it)';
  return `it is asked without credentials (the agents' probes saw ${seen.join(', ')})`;
}

function podList(pods: readonly string[]): string {
  const named = pods.slice(0, MAX_PODS_NAMED).join(', ');
  return pods.length > MAX_PODS_NAMED ? `${named} and ${pods.length - MAX_PODS_NAMED} more` : named;
}

interface Acc {
  readonly image: string;
  readonly source: SourceCredentialStatus;
  readonly namespace: string;
  readonly secrets: Map<string, Set<string>>;
  readonly pods: Set<string>;
  readonly nodes: Set<string>;
  /** What the agents' probes of the host answered (with the node's credentials). */
  readonly outcomes: Set<string>;
}

export function podSecretFindings(input: PodSecretInput): PodSecretFinding[] {
  const found = new Map<string, Acc>();
  const unreadable = new Map<
    string,
    { reason: string; pods: Set<string>; nodes: Set<string>; hosts: Set<string> }
  >();
  const byNode = new Map<string, ReadonlyMap<string, NodeImageSources> | undefined>();
  const statusesOf = (node: string): ReadonlyMap<string, NodeImageSources> | undefined => {
    if (!byNode.has(node)) {
      const list = input.images(node);
      byNode.set(node, list === undefined ? undefined : new Map(list.map((s) => [s.image, s])));
    }
    return byNode.get(node);
  };
  // Secrets are shared by many pods (a namespace's ServiceAccount secret), sources by many images.
  const matched = new Map<readonly string[], Map<string, string[]>>();
  const matchesOf = (keys: readonly string[], reference: string): string[] => {
    let byReference = matched.get(keys);
    if (byReference === undefined) matched.set(keys, (byReference = new Map()));
    let found = byReference.get(reference);
    if (found === undefined) byReference.set(reference, (found = matchingKeys(keys, reference)));
    return found;
  };
  for (const pod of input.pods) {
    if (pod.pullSecrets.length === 0) continue;
    const statuses = statusesOf(pod.node);
    if (statuses === undefined) continue;
    const podName = `${pod.namespace}/${pod.name}`;
    for (const image of new Set(pod.images)) {
      const status = statuses.get(image);
      if (status === undefined) continue;
      const candidates = reached(status).filter(nodeOnly);
      if (candidates.length === 0) continue;
      for (const secretName of pod.pullSecrets) {
        const known = input.secret(pod.namespace, secretName);
        if (known === undefined || known.state === 'absent') continue;
        if (known.state === 'unreadable') {
          const id = `${pod.namespace}/${secretName}`;
          let u = unreadable.get(id);
          if (u === undefined) {
            u = { reason: known.reason, pods: new Set(), nodes: new Set(), hosts: new Set() };
            unreadable.set(id, u);
          }
          u.pods.add(podName);
          u.nodes.add(pod.node);
          for (const c of candidates) u.hosts.add(c.host);
          continue;
        }
        for (const source of candidates) {
          const keys = matchesOf(known.keys, source.reference);
          if (keys.length === 0) continue;
          const id = `${source.reference}\u0000${image}\u0000${pod.namespace}`;
          let acc = found.get(id);
          if (acc === undefined) {
            acc = {
              image,
              source,
              namespace: pod.namespace,
              secrets: new Map(),
              pods: new Set(),
              nodes: new Set(),
              outcomes: new Set(),
            };
            found.set(id, acc);
          }
          let secretKeys = acc.secrets.get(secretName);
          if (secretKeys === undefined) acc.secrets.set(secretName, (secretKeys = new Set()));
          for (const k of keys) secretKeys.add(k);
          acc.pods.add(podName);
          acc.nodes.add(pod.node);
          const outcome = input.hostOutcome?.(pod.node, source.host);
          if (outcome !== undefined) acc.outcomes.add(outcome);
        }
      }
    }
  }
  const out: PodSecretFinding[] = [];
  for (const acc of found.values()) {
    const { source, image, namespace } = acc;
    const secrets = [...acc.secrets.entries()]
      .map(([name, keys]) => `${namespace}/${name} (${[...keys].map((k) => `"${k}"`).join(', ')})`)
      .join(', ');
    const keys = [...new Set([...acc.secrets.values()].flatMap((k) => [...k]))];
    const requested = parseCanonicalNamed(image).domain;
    const pods = [...acc.pods].sort();
    out.push({
      id: 'mirror-credentials-only-in-pod-secret',
      key: `mirror-credentials-only-in-pod-secret:${source.reference}:${namespace}:${image}`,
      message: `Pod${pods.length > 1 ? 's' : ''} ${podList(pods)} pull ${image} through ${source.mirror ? 'mirror' : 'location'} ${source.reference}, whose credentials are only in pull secret ${secrets}: CRI-O passes the kubelet's credentials to containers/image, which uses them only for sources on ${requested}, so ${source.host} gets the node's auth file${source.detail ? ` (${source.detail})` : ''}, which has no credentials for it: ${answered(acc.outcomes)}.`,
      fix: fixFor(input.openshift, keys, source.reference),
      scope: source.reference,
      image,
      host: source.host,
      nodes: [...acc.nodes].sort(),
    });
  }
  for (const [secret, u] of unreadable) {
    const pods = [...u.pods].sort();
    out.push({
      id: 'pod-pull-secret-unreadable',
      key: `pod-pull-secret-unreadable:${secret}`,
      message: `Cannot tell whether pull secret ${secret} of ${podList(pods)} holds credentials for ${[...u.hosts].sort().join(', ')} (reached with the node's credentials only): ${u.reason}.`,
      fix: 'Grant the collector `get` on this secret (the pod-pull-secrets component of the deployment), or check its keys by hand.',
      scope: secret,
      image: null,
      host: null,
      nodes: [...u.nodes].sort(),
    });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
