import { stat } from 'node:fs/promises';
import type { CrioImageConfig } from '../core/crio/crio-config.js';
import { isNamespaceName } from '../core/crio/runtime-notes.js';
import {
  formatCrioVersion,
  IMPLICIT_INSECURE_CIDR,
  insecureRegistriesRule,
  modelledVersion,
  parseCrioVersion,
  shortNameRule,
  type CrioVersion,
  type RuntimeChoice,
} from '../core/crio/versions.js';
import { MirrorscopeError } from '../core/errors.js';
import { Resolver } from '../core/resolve/resolver.js';
import { loadCrioConfigFor } from './crio-files.js';
import { NodeRoot } from './node-root.js';
import { loadNodeRegistries, type LoadedRegistries } from './registries-files.js';

/** Whose pull to simulate: CRI-O (kubelet pulls) or podman/skopeo on the node. */
export type Runtime = RuntimeChoice['runtime'];
export type { RuntimeChoice };

export interface LoadedResolver {
  readonly root: NodeRoot;
  readonly runtime: Runtime;
  /** The CRI-O version whose rules were applied (null: unknown, the newest rules). */
  readonly crioVersion: CrioVersion | null;
  readonly loaded: LoadedRegistries;
  /** null when simulating podman, which does not read crio.conf. */
  readonly crio: CrioImageConfig | null;
  readonly resolver: Resolver;
}

/** The puller, as messages name it. */
export function runtimeName(runtime: Runtime): string {
  return runtime === 'podman' ? 'podman' : 'CRI-O';
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

/** `--runtime` and `--crio-version` together (a CRI-O version makes no sense for podman). */
export function parseRuntimeChoice(runtimeFlag: unknown, versionFlag: unknown): RuntimeChoice {
  const runtime = parseRuntime(runtimeFlag);
  if (versionFlag === undefined) return { runtime, version: null };
  if (runtime === 'podman')
    throw new MirrorscopeError('usage', '--crio-version applies to --runtime crio only');
  return { runtime, version: parseCrioVersion(String(versionFlag)) };
}

/** `--namespace NS`: a Kubernetes namespace name (it becomes a file name below signature_policy_dir). */
export function parseNamespace(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const ns = String(value);
  if (!isNamespaceName(ns))
    throw new MirrorscopeError(
      'usage',
      `--namespace needs a Kubernetes namespace name (RFC 1123 label), got "${ns}"`,
    );
  return ns;
}

/** What CRI-O of this version makes of insecure_registries: the list plus 127.0.0.0/8, or nothing. */
function effectiveInsecureRegistries(
  crio: CrioImageConfig,
  version: CrioVersion | null,
): CrioImageConfig['insecureRegistries'] {
  if (insecureRegistriesRule(version) === 'ignored') return [];
  return [...crio.insecureRegistries, { value: IMPLICIT_INSECURE_CIDR, origin: null }];
}

/** `rootDir`: a directory, or a NodeRoot (e.g. a node with proposed files overlaid). */
export async function loadResolver(
  rootDir: string | NodeRoot,
  runtime: Runtime = 'crio',
  version: CrioVersion | null = null,
): Promise<LoadedResolver> {
  const root = typeof rootDir === 'string' ? new NodeRoot(rootDir) : rootDir;
  const loaded = await loadNodeRegistries(root);
  const crio = runtime === 'crio' ? await loadCrioConfigFor(root, version) : null;
  const modelled = modelledVersion(version);
  const forced = crio !== null && shortNameRule(modelled) === 'forced-disabled';
  const resolver = new Resolver(loaded.config, {
    ...loaded.resolverOptions,
    runtimeName: runtimeName(runtime),
    ...(crio
      ? {
          shortNameModeOverride: forced
            ? { mode: 'disabled', origin: null, forcedBy: `CRI-O ${formatCrioVersion(version!)}` }
            : { mode: crio.shortNameMode.value, origin: crio.shortNameMode.origin },
          insecureRegistries: effectiveInsecureRegistries(crio, modelled),
        }
      : {}),
  });
  return { root, runtime, crioVersion: version, loaded, crio, resolver };
}
