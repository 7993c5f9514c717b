// Loads, from a node root, everything `mirrorscope check` looks at, keeping each load error as a
// value (a broken file is a finding, not a crash).
import type { Loaded, LoadedPolicy, StaticCheckInput } from '../core/check/static-check.js';
import { policyKeyPaths } from '../core/check/static-check.js';
import { MirrorscopeError } from '../core/errors.js';
import { hasNamespacedPolicies, modelledVersion, type CrioVersion } from '../core/crio/versions.js';
import { loadCrioConfigFor } from '../host/crio-files.js';
import type { NodeRoot } from '../host/node-root.js';
import { loadPolicyFile, locatePolicy, namespacedPolicyPaths } from '../host/policy-files.js';
import { loadNodeRegistriesD } from '../host/registries-d-files.js';
import { loadNodeRegistries } from '../host/registries-files.js';

async function settle<T>(p: Promise<T>): Promise<Loaded<T>> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    if (err instanceof MirrorscopeError) return { ok: false, error: err };
    throw err;
  }
}

export interface CheckOptions {
  /** The node's CRI-O; null or absent: unknown. */
  readonly crioVersion?: CrioVersion | null;
  /** Check as for a pod of this namespace: its `signature_policy_dir/<ns>.json` is the policy. */
  readonly namespace?: string;
}

export async function loadCheckInput(
  root: NodeRoot,
  runtime: 'crio' | 'podman',
  options: CheckOptions = {},
): Promise<StaticCheckInput> {
  const version = modelledVersion(options.crioVersion ?? null);
  const registries = await settle(loadNodeRegistries(root).then((l) => l.config));
  const crio = runtime === 'crio' ? await settle(loadCrioConfigFor(root, options.crioVersion ?? null)) : null;
  const crioValue = crio?.ok === true ? crio.value : null;
  const registriesD = await settle(loadNodeRegistriesD(root));
  const namespaced = hasNamespacedPolicies(version);
  const location = await locatePolicy(root, crioValue, options.namespace, namespaced);
  const policies: LoadedPolicy[] = [
    { path: location.path, role: 'main', policy: await settle(loadPolicyFile(root, location)) },
  ];
  // Each file on its own: an unreadable one (or an unreadable directory) is a finding, not the end.
  // A CRI-O before 1.28 never reads signature_policy_dir.
  const dir = crioValue?.signaturePolicyDir;
  const paths = namespaced
    ? await settle(namespacedPolicyPaths(root, crioValue))
    : ({ ok: true, value: [] } as const);
  if (!paths.ok) policies.push({ path: dir!.value, role: 'namespace', policy: paths });
  for (const p of paths.ok ? paths.value.filter((v) => v !== location.path) : []) {
    const at = { path: p, chosenBy: dir?.origin ?? null, reason: 'namespace' } as const;
    policies.push({ path: p, role: 'namespace', policy: await settle(loadPolicyFile(root, at)) });
  }
  const keyFiles = new Map<string, boolean>();
  for (const entry of policies) {
    if (!entry.policy.ok) continue;
    for (const p of policyKeyPaths(entry.policy.value)) {
      if (keyFiles.has(p)) continue;
      keyFiles.set(
        p,
        await root.resolve(p).then(
          (found) => found.kind === 'file',
          () => false,
        ),
      );
    }
  }
  return { registries, crio, registriesD, policies, keyFiles, crioVersion: options.crioVersion ?? null };
}
