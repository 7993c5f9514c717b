import { stat } from 'node:fs/promises';
import type { CrioImageConfig } from '../core/crio/crio-config.js';
import { MirrorscopeError } from '../core/errors.js';
import { Resolver } from '../core/resolve/resolver.js';
import { loadNodeCrioConfig } from './crio-files.js';
import { NodeRoot } from './node-root.js';
import { loadNodeRegistries, type LoadedRegistries } from './registries-files.js';

/** Whose pull to simulate: CRI-O (kubelet pulls) or podman/skopeo on the node. */
export type Runtime = 'crio' | 'podman';

export interface LoadedResolver {
  readonly root: NodeRoot;
  readonly runtime: Runtime;
  readonly loaded: LoadedRegistries;
  /** null when simulating podman, which does not read crio.conf. */
  readonly crio: CrioImageConfig | null;
  readonly resolver: Resolver;
}

export function parseRuntime(value: unknown): Runtime {
  if (value === undefined) return 'crio';
  if (value === 'crio' || value === 'podman') return value;
  throw new MirrorscopeError('usage', `--runtime must be "crio" or "podman", got "${String(value)}"`);
}

/**
 * A root with no `etc/containers` is almost always a typo or a missing mount: CRI-O would start from
 * an empty configuration there, and every answer would look plausible and be wrong. It is an error
 * unless the caller says it is intended (`--allow-empty-root`).
 */
export async function requireContainersDir(rootDir: string, allowEmptyRoot: boolean): Promise<void> {
  if (allowEmptyRoot) return;
  const root = new NodeRoot(rootDir);
  const dir = root.hostPath('/etc/containers');
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir)
    throw new MirrorscopeError(
      'input-invalid',
      `${root.root === '/' ? '/' : `--root ${rootDir}`}: ${dir} is not a directory, so this is not a node root ` +
        '(CRI-O would start from an empty configuration there); pass --allow-empty-root if that is intended',
    );
}

export async function loadResolver(rootDir: string, runtime: Runtime = 'crio'): Promise<LoadedResolver> {
  const root = new NodeRoot(rootDir);
  const loaded = await loadNodeRegistries(root);
  const crio = runtime === 'crio' ? await loadNodeCrioConfig(root) : null;
  const resolver = new Resolver(loaded.config, {
    ...loaded.resolverOptions,
    ...(crio
      ? { shortNameModeOverride: { mode: crio.shortNameMode.value, origin: crio.shortNameMode.origin } }
      : {}),
  });
  return { root, runtime, loaded, crio, resolver };
}
