// What a trace or check must say about behaviour that depends on the node's CRI-O and that the
// files alone cannot settle: the per-namespace policy chosen, and credentials written just in time.
import type { Origin } from '../registries/types.js';
import type { CrioImageConfig } from './crio-config.js';
import { formatCrioVersion, hasNamespacedAuth, hasNamespacedPolicies, type CrioVersion } from './versions.js';

/** A Kubernetes namespace name (RFC 1123 label): it becomes a file name below signature_policy_dir. */
export function isNamespaceName(text: string): boolean {
  return text.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(text);
}

export interface RuntimeNote {
  readonly code: 'crio-namespaced-policy' | 'crio-namespaced-auth';
  readonly message: string;
  readonly file: string | null;
  readonly line: number | null;
}

function crioName(v: CrioVersion | null): string {
  return v === null ? 'CRI-O' : `CRI-O ${formatCrioVersion(v)}`;
}

function at(origin: Origin | null): string {
  if (origin === null) return 'CRI-O default';
  return origin.line === null ? origin.file : `${origin.file}:${origin.line}`;
}

/** Which policy file a pull of `namespace` uses, and why (`namespacePolicy`: the NS.json path when it exists). */
export function namespacedPolicyNote(
  version: CrioVersion | null,
  crio: CrioImageConfig,
  namespace: string,
  namespacePolicy: string | null,
  fallback: string,
): RuntimeNote {
  const dir = crio.signaturePolicyDir;
  if (!hasNamespacedPolicies(version))
    return {
      code: 'crio-namespaced-policy',
      message: `${crioName(version)} has no per-namespace signature policies (signature_policy_dir arrived in CRI-O 1.28): pulls in namespace ${namespace} use ${fallback}`,
      file: null,
      line: null,
    };
  if (namespacePolicy !== null)
    return {
      code: 'crio-namespaced-policy',
      message: `${crioName(version)} uses ${namespacePolicy} for pulls in namespace ${namespace}, instead of ${fallback} (signature_policy_dir = "${dir.value}", ${at(dir.origin)})`,
      file: namespacePolicy,
      line: null,
    };
  return {
    code: 'crio-namespaced-policy',
    message: `there is no ${dir.value.replace(/\/$/, '')}/${namespace}.json (signature_policy_dir, ${at(dir.origin)}): pulls in namespace ${namespace} use ${fallback}`,
    file: null,
    line: null,
  };
}

/** From CRI-O 1.34.3 a pull may carry credentials in a file that exists only while it runs. */
export function namespacedAuthNote(
  version: CrioVersion | null,
  crio: CrioImageConfig,
  namespace: string | null,
  authFile: string,
): RuntimeNote | null {
  if (version === null || !hasNamespacedAuth(version)) return null;
  const dir = crio.namespacedAuthDir.value || '/etc/crio/auth';
  const who = namespace === null ? 'a pod' : `a pod in namespace ${namespace}`;
  return {
    code: 'crio-namespaced-auth',
    message: `${crioName(version)} uses ${dir}/<namespace>-<sha256 of the image name>.json instead of ${authFile} when the kubelet's credential provider wrote one for a pull of ${who}; such files are written just before the pull and removed after, never on disk ahead, so this trace could not see those credentials and used ${authFile}`,
    file: null,
    line: null,
  };
}
