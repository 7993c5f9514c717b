// The MachineConfigPool a node belongs to. With the pools known, the MCO's rule: the pools whose
// nodeSelector matches; master wins; otherwise a custom pool wins over worker; a node matched by two
// custom pools belongs to none (the MCO refuses to manage it). Without pools (plain Kubernetes, or
// before the pool informer has listed), the role labels give the same answer for the usual set-up.
import type { V1LabelSelector, V1Node } from '@kubernetes/client-node';

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

/** metav1.LabelSelector semantics; an empty selector matches everything, a null one nothing. */
export function matchesSelector(
  selector: V1LabelSelector | undefined | null,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (selector === undefined || selector === null) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const value = labels[e.key];
    const values = e.values ?? [];
    const ok =
      e.operator === 'In'
        ? value !== undefined && values.includes(value)
        : e.operator === 'NotIn'
          ? value === undefined || !values.includes(value)
          : e.operator === 'Exists'
            ? value !== undefined
            : e.operator === 'DoesNotExist'
              ? value === undefined
              : false;
    if (!ok) return false;
  }
  return true;
}

export interface PoolSelector {
  readonly name: string;
  readonly nodeSelector: V1LabelSelector | null;
}

/** The MCO's `GetPoolsForNode`, reduced to the one pool that manages the node (null: none). */
export function poolForNode(
  labels: Readonly<Record<string, string>>,
  pools: readonly PoolSelector[],
): string | null {
  const matching = pools.filter((p) => matchesSelector(p.nodeSelector, labels)).map((p) => p.name);
  if (matching.includes('master')) return 'master';
  const custom = matching.filter((p) => p !== 'worker');
  if (custom.length === 1) return custom[0]!;
  if (custom.length > 1) return null;
  return matching.includes('worker') ? 'worker' : null;
}
