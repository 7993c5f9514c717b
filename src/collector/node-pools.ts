// The pool a node belongs to, from its role labels the way the MCO assigns MachineConfigPools:
// master/control-plane first, then a custom role, then worker.
import type { V1Node } from '@kubernetes/client-node';

const ROLE_PREFIX = 'node-role.kubernetes.io/';

export function poolOf(node: V1Node): string {
  const labels = node.metadata?.labels ?? {};
  const roles = Object.keys(labels)
    .filter((k) => k.startsWith(ROLE_PREFIX))
    .map((k) => k.slice(ROLE_PREFIX.length));
  if (roles.includes('master') || roles.includes('control-plane')) return 'master';
  const custom = roles.filter((r) => r !== 'worker' && r !== '').sort();
  if (custom.length > 0) return custom[0]!;
  return 'worker';
}
