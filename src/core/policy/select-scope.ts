// `requirementsForImageRef`: exactly one requirement list applies to the LOGICAL reference: the
// identity, then each namespace, then the transport's "" scope, then `default`. No merging.
import { policyScopeSearchOrder } from '../reference/policy-scopes.js';
import type { ImageReference } from '../reference/reference.js';
import type { Policy, RequirementList } from './types.js';

export function requirementsFor(
  policy: Policy,
  logical: ImageReference,
  transport = 'docker',
): RequirementList {
  const scopes = policy.transports.get(transport);
  if (scopes !== undefined) {
    for (const scope of [...policyScopeSearchOrder(logical), '']) {
      const list = scopes.get(scope);
      if (list !== undefined) return list;
    }
  }
  return policy.default;
}

/** How the selected list is named in messages: `default` or `transports.docker["scope"]`. */
export function describeRequirementList(list: RequirementList, transport = 'docker'): string {
  return list.isDefault ? 'default' : `transports.${transport}["${list.scope}"]`;
}
