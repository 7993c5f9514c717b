// The part of a MachineConfig mirrorscope compares: the container registry files it writes (decoded
// from the Ignition `storage.files` data URLs) and the role it is for. Everything else in it —
// including the pull secret a rendered config carries — is dropped unread.
import { createHash } from 'node:crypto';
import { DataUrlError, decodeDataUrl } from './data-url.js';

export const ROLE_LABEL = 'machineconfiguration.openshift.io/role';

/**
 * Node paths that make up the pull configuration and that the agent reports digests of (a test checks
 * that the agent walks each of them).
 */
export const COMPARED_PATH_PREFIXES: readonly string[] = [
  '/etc/containers/registries.conf',
  '/etc/containers/registries.conf.d/',
  '/etc/containers/registries.d/',
  '/etc/containers/policy.json',
  '/etc/containers/certs.d/',
  '/etc/docker/certs.d/',
  '/etc/crio/policies/',
];

export function isComparedPath(path: string): boolean {
  return COMPARED_PATH_PREFIXES.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p));
}

export interface MachineConfigFile {
  readonly path: string;
  readonly text: string;
  readonly sha256: string;
}

export interface MachineConfigView {
  readonly name: string;
  /** The `machineconfiguration.openshift.io/role` label (null: none, e.g. a rendered config). */
  readonly role: string | null;
  /** Compared files by node path. */
  readonly files: ReadonlyMap<string, MachineConfigFile>;
  /** Files that could not be decoded, with why. */
  readonly problems: readonly string[];
}

type Json = Record<string, unknown>;

function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

/** `spec.config` is Ignition JSON (an object from the API; a string in some hand-written objects). */
function ignitionOf(spec: Json | undefined): Json | undefined {
  const config = spec?.['config'];
  if (typeof config !== 'string') return asObject(config);
  try {
    return asObject(JSON.parse(config));
  } catch {
    return undefined;
  }
}

export function readMachineConfig(object: unknown): MachineConfigView {
  const root = asObject(object);
  const metadata = asObject(root?.['metadata']);
  const name = typeof metadata?.['name'] === 'string' ? metadata['name'] : '(unnamed)';
  const role = asObject(metadata?.['labels'])?.[ROLE_LABEL];
  const files = new Map<string, MachineConfigFile>();
  const problems: string[] = [];
  const ignition = ignitionOf(asObject(root?.['spec']));
  const list = asObject(ignition?.['storage'])?.['files'];
  for (const entry of Array.isArray(list) ? list : []) {
    const file = asObject(entry);
    const path = file?.['path'];
    if (typeof path !== 'string' || !isComparedPath(path)) continue;
    const contents = asObject(file!['contents']);
    const source = contents?.['source'];
    const compression = typeof contents?.['compression'] === 'string' ? contents['compression'] : '';
    try {
      const bytes = typeof source === 'string' ? decodeDataUrl(source, compression) : Buffer.alloc(0);
      files.set(path, {
        path,
        text: bytes.toString('utf8'),
        sha256: createHash('sha256').update(bytes).digest('hex'),
      });
    } catch (err) {
      if (!(err instanceof DataUrlError)) throw err;
      problems.push(`${path}: ${err.message}`);
    }
  }
  return { name, role: typeof role === 'string' ? role : null, files, problems };
}
