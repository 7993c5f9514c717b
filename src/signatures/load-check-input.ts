// Loads, from a node root, everything `mirrorscope check` looks at, keeping each load error as a
// value (a broken file is a finding, not a crash).
import type { Loaded, LoadedPolicy, StaticCheckInput } from '../core/check/static-check.js';
import { policyKeyPaths } from '../core/check/static-check.js';
import { MirrorscopeError } from '../core/errors.js';
import { loadNodeCrioConfig } from '../host/crio-files.js';
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

export async function loadCheckInput(root: NodeRoot, runtime: 'crio' | 'podman'): Promise<StaticCheckInput> {
  const registries = await settle(loadNodeRegistries(root).then((l) => l.config));
  const crio = runtime === 'crio' ? await settle(loadNodeCrioConfig(root)) : null;
  const crioValue = crio?.ok === true ? crio.value : null;
  const registriesD = await settle(loadNodeRegistriesD(root));
  const location = await locatePolicy(root, crioValue);
  const policies: LoadedPolicy[] = [
    { path: location.path, role: 'main', policy: await settle(loadPolicyFile(root, location)) },
  ];
  // Each file on its own: an unreadable one (or an unreadable directory) is a finding, not the end.
  const dir = crioValue?.signaturePolicyDir;
  const paths = await settle(namespacedPolicyPaths(root, crioValue));
  if (!paths.ok) policies.push({ path: dir!.value, role: 'namespace', policy: paths });
  for (const p of paths.ok ? paths.value : []) {
    const location = { path: p, chosenBy: dir?.origin ?? null, reason: 'namespace' } as const;
    policies.push({ path: p, role: 'namespace', policy: await settle(loadPolicyFile(root, location)) });
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
  return { registries, crio, registriesD, policies, keyFiles };
}
