// Finds and reads the policy.json CRI-O would use on a node: `<signature_policy_dir>/<namespace>.json`
// when it exists for the pod's namespace, else crio.conf's `signature_policy`, else the system default.
import path from 'node:path';
import type { CrioImageConfig } from '../core/crio/crio-config.js';
import { configError, MirrorscopeError } from '../core/errors.js';
import { parsePolicy } from '../core/policy/parse-policy.js';
import type { Policy } from '../core/policy/types.js';
import type { Origin } from '../core/registries/types.js';
import { NODE_PATHS, type NodeRoot } from './node-root.js';
import { readNodeText } from './read-text.js';

export interface PolicyLocation {
  readonly path: string;
  /** Why this file: the crio.conf line that names it, or null for the built-in default path. */
  readonly chosenBy: Origin | null;
  readonly reason: 'namespace' | 'signature_policy' | 'default';
}

/** CRI-O's choice of policy file; `namespace` is the pod's namespace when known. */
export async function locatePolicy(
  root: NodeRoot,
  crio: CrioImageConfig | null,
  namespace?: string,
  /** false for a CRI-O before 1.28, which has no signature_policy_dir. */
  namespaced = true,
): Promise<PolicyLocation> {
  if (crio !== null && namespaced && namespace !== undefined && namespace !== '') {
    const candidate = path.posix.join(crio.signaturePolicyDir.value, `${namespace}.json`);
    // CRI-O stats the file: whatever exists there is chosen (and a bad one then fails to load, as
    // does one whose directory cannot be searched: the load names the error).
    const found = await root.resolve(candidate).catch((err: unknown) => {
      if (err instanceof MirrorscopeError) return { kind: 'unreadable' as const };
      throw err;
    });
    if (found.kind !== 'missing') {
      return { path: candidate, chosenBy: crio.signaturePolicyDir.origin, reason: 'namespace' };
    }
  }
  if (crio !== null && crio.signaturePolicy.value !== '') {
    return {
      path: crio.signaturePolicy.value,
      chosenBy: crio.signaturePolicy.origin,
      reason: 'signature_policy',
    };
  }
  return { path: NODE_PATHS.policyJson, chosenBy: null, reason: 'default' };
}

/** Reads and parses the policy; a missing file is the error containers/image gives (it has no built-in policy). */
export async function loadPolicyFile(root: NodeRoot, location: PolicyLocation): Promise<Policy> {
  const text = await readNodeText(root, location.path);
  if (text === null) {
    const upstream =
      location.reason === 'default'
        ? `no policy.json file found at any of the following: "/root/.config/containers/policy.json", "${location.path}"`
        : `open ${location.path}: no such file or directory`;
    throw configError(
      'the signature policy file does not exist',
      location.chosenBy ?? { file: location.path, line: null },
      upstream,
    );
  }
  return parsePolicy({ path: location.path, text });
}

/** The node path of every per-namespace policy below signature_policy_dir, for static checks. */
export async function namespacedPolicyPaths(root: NodeRoot, crio: CrioImageConfig | null): Promise<string[]> {
  if (crio === null) return [];
  const dir = crio.signaturePolicyDir.value;
  const entries = await root.readDir(dir);
  return (entries ?? [])
    .filter((e) => !e.isDirectory && e.name.endsWith('.json'))
    .map((e) => path.posix.join(dir, e.name));
}
