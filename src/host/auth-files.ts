// Reads the auth files CRI-O searches on a node and hands them to the pure credentials core.
import { parseAuthFile } from '../core/credentials/auth-file.js';
import type { AuthFileSlot } from '../core/credentials/lookup.js';
import type { CrioImageConfig } from '../core/crio/crio-config.js';
import { NODE_PATHS, type NodeRoot } from './node-root.js';
import { readLocalText, readNodeText } from './read-text.js';

export interface AuthFileChoice {
  /** Node path (or the --authfile path as given). */
  readonly path: string;
  /** Why this file: for the trace's first line. */
  readonly why: string;
  /** True for a path outside the node root (--authfile). */
  readonly external: boolean;
  /** `.dockercfg` format. */
  readonly legacy?: boolean;
}

/**
 * CRI-O sets `AuthFilePath = global_auth_file`, which makes containers/image search ONLY that file.
 * Without it, OpenShift nodes keep the pull secret at /var/lib/kubelet/config.json (which the kubelet
 * hands to CRI-O per pull); `--authfile` overrides both.
 */
export function chooseAuthFile(
  crio: CrioImageConfig | null,
  authfileFlag: string | undefined,
): AuthFileChoice {
  if (authfileFlag !== undefined) return { path: authfileFlag, why: '--authfile', external: true };
  const global = crio?.globalAuthFile;
  if (global && global.value !== '') {
    const at = global.origin
      ? ` (${global.origin.file}${global.origin.line !== null ? `:${global.origin.line}` : ''})`
      : '';
    return { path: global.value, why: `CRI-O global_auth_file${at}`, external: false };
  }
  return {
    path: NODE_PATHS.kubeletPullSecret,
    why: 'node pull secret (OpenShift default; global_auth_file is not set)',
    external: false,
  };
}

/**
 * podman/skopeo run as root on the node with no --authfile: containers/image's default list
 * (`getAuthFilePaths` for uid 0, XDG_RUNTIME_DIR unset as under `oc debug` + chroot), in order.
 */
const PODMAN_ROOT_AUTH_FILES: readonly AuthFileChoice[] = [
  { path: '/run/containers/0/auth.json', why: 'podman default auth file', external: false },
  { path: '/root/.config/containers/auth.json', why: 'podman default auth file', external: false },
  { path: '/root/.docker/config.json', why: 'Docker config (podman default list)', external: false },
  {
    path: '/root/.dockercfg',
    why: 'legacy Docker config (podman default list)',
    external: false,
    legacy: true,
  },
];

/** Every auth file searched, in order: CRI-O (and --authfile) search exactly one. */
export function chooseAuthFiles(
  runtime: 'crio' | 'podman',
  crio: CrioImageConfig | null,
  authfileFlag: string | undefined,
): AuthFileChoice[] {
  if (runtime === 'podman' && authfileFlag === undefined) return [...PODMAN_ROOT_AUTH_FILES];
  return [chooseAuthFile(crio, authfileFlag)];
}

export async function readAuthFileSlot(root: NodeRoot, choice: AuthFileChoice): Promise<AuthFileSlot> {
  const text = choice.external ? await readLocalText(choice.path) : await readNodeText(root, choice.path);
  if (text === null) return { path: choice.path, file: null };
  return {
    path: choice.path,
    file: parseAuthFile({ path: choice.path, text }, { legacy: choice.legacy === true }),
  };
}
