// Where a node keeps the files mirrorscope reads. Paths are the ones CRI-O uses on the node; under
// `--root DIR` they are read below DIR but still reported as node paths.
import path from 'node:path';

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

export class NodeRoot {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The real path of a node path under this root. */
  hostPath(nodePath: string): string {
    return this.root === '/' ? nodePath : path.join(this.root, nodePath);
  }

  /** Node path → text for people: the node path, plus the real path when a root is in use. */
  describe(nodePath: string): string {
    return this.root === '/' ? nodePath : `${nodePath} (${this.hostPath(nodePath)})`;
  }
}
