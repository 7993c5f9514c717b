// Where a node keeps the files mirrorscope reads. Paths are the ones CRI-O uses on the node; under
// `--root DIR` they are read below DIR (as if DIR were the node's `/`, see ./node-fs.js) but still
// reported as node paths.
import path from 'node:path';
import { MirrorscopeError } from '../core/errors.js';
import { listDirectory, readResolved, resolveNodePath, type NodeDirEntry, type Resolved } from './node-fs.js';

export const NODE_PATHS = {
  registriesConf: '/etc/containers/registries.conf',
  registriesConfD: '/etc/containers/registries.conf.d',
  machineAliases: '/var/cache/containers/short-name-aliases.conf',
  registriesD: '/etc/containers/registries.d',
  policyJson: '/etc/containers/policy.json',
  containersCertsD: '/etc/containers/certs.d',
  dockerCertsD: '/etc/docker/certs.d',
  crioConf: '/etc/crio/crio.conf',
  crioConfD: '/etc/crio/crio.conf.d',
  kubeletPullSecret: '/var/lib/kubelet/config.json',
} as const;

/** A node root: `/` (this machine is the node) or a directory holding a node's files. */
export class NodeRoot {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** Where a node path lies below the root, symlinks NOT followed: for messages and watches, never for reading. */
  hostPath(nodePath: string): string {
    return this.root === '/' ? nodePath : path.join(this.root, nodePath);
  }

  /** Node path → text for people: the node path, plus the real path when a root is in use. */
  describe(nodePath: string): string {
    return this.root === '/' ? nodePath : `${nodePath} (${this.hostPath(nodePath)})`;
  }

  /** What a node path is, resolved inside the root with chroot semantics. */
  resolve(nodePath: string): Promise<Resolved> {
    return resolveNodePath(this.root, nodePath);
  }

  /** Whether a directory is there; false when it is missing or cannot be looked at (permission). */
  async isDirectory(nodePath: string): Promise<boolean> {
    try {
      return (await this.resolve(nodePath)).kind === 'directory';
    } catch (err) {
      if (err instanceof MirrorscopeError) return false;
      throw err;
    }
  }

  /** The bytes of the regular file at a node path; null when it does not exist (see readResolved for the errors). */
  async readFile(nodePath: string): Promise<Buffer | null> {
    const found = await this.resolve(nodePath);
    return found.kind === 'missing' ? null : readResolved(nodePath, found, this.root !== '/');
  }

  /** The entries (sorted by name) of the directory at a node path; null when there is no directory. */
  async readDir(nodeDir: string): Promise<NodeDirEntry[] | null> {
    const found = await this.resolve(nodeDir);
    return found.kind === 'directory' ? listDirectory(nodeDir, found.real) : null;
  }
}
