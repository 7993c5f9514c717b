// Portieris' `GetPolicyToEnforce` and `FindImagePolicy`/`FindClusterImagePolicy` (IBM/portieris
// 6eaaacae, pkg/policy/policy.go and pkg/apis/portieris.cloud.ibm.com/v1/types.go): when the pod's
// namespace has any ImagePolicy only those count, otherwise the ClusterImagePolicies; an exact
// (wildcard-free) repository name wins at once, otherwise the longest pattern (not counting `*`).
import { goQuote } from '../mco/go-format.js';
import type { PortierisPolicyObject, PortierisRepository } from './objects.js';
import { portierisCompareImageRef } from './portieris-wildcard.js';

export interface PortierisPolicyMatch {
  readonly object: PortierisPolicyObject;
  readonly repository: PortierisRepository;
  readonly exact: boolean;
  /** `len(name) - count("*")`, or len(image) for an exact match. */
  readonly quality: number;
}

export type PortierisPolicyChoice =
  | {
      readonly ok: true;
      readonly match: PortierisPolicyMatch;
      /** Which list was searched, and how many objects it held. */
      readonly searched: 'ImagePolicy' | 'ClusterImagePolicy';
      readonly candidates: number;
    }
  | {
      readonly ok: false;
      /** Portieris' denial, verbatim ("polices" included). */
      readonly denial: string;
      readonly searched: 'ImagePolicy' | 'ClusterImagePolicy' | null;
      readonly candidates: number;
    };

/** The API server lists objects in key order (namespace, then name): ties go to the first one listed. */
function listOrder(a: PortierisPolicyObject, b: PortierisPolicyObject): number {
  const ka = `${a.meta.namespace ?? ''}/${a.meta.name}`;
  const kb = `${b.meta.namespace ?? ''}/${b.meta.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** `FindImagePolicy`: `image` is the container's image string as written. */
export function findPortierisPolicy(
  objects: readonly PortierisPolicyObject[],
  image: string,
): PortierisPolicyMatch | null {
  let best: PortierisPolicyMatch | null = null;
  for (const object of [...objects].sort(listOrder)) {
    for (const repository of object.repositories) {
      const name = repository.name;
      const hasWildcard = name.includes('*');
      if (!hasWildcard && name === image) return { object, repository, exact: true, quality: image.length };
      if (!portierisCompareImageRef(name, image)) continue;
      const quality = name.length - (name.match(/\*/g)?.length ?? 0);
      if (quality > (best?.quality ?? -1)) best = { object, repository, exact: false, quality };
    }
  }
  return best;
}

/**
 * `GetPolicyToEnforce(namespace, image)`. An ImagePolicy read from a file without a namespace counts
 * as one in `namespace` (where `kubectl apply -n` would create it).
 */
export function portierisPolicyToEnforce(
  policies: readonly PortierisPolicyObject[],
  namespace: string,
  image: string,
): PortierisPolicyChoice {
  const local = policies.filter(
    (p) => p.kind === 'ImagePolicy' && (p.meta.namespace ?? namespace) === namespace,
  );
  if (local.length === 0) {
    const cluster = policies.filter((p) => p.kind === 'ClusterImagePolicy');
    if (cluster.length === 0) {
      return {
        ok: false,
        denial: `Deny ${goQuote(image)}, no image policies or cluster polices`,
        searched: null,
        candidates: 0,
      };
    }
    const match = findPortierisPolicy(cluster, image);
    if (match === null) {
      return {
        ok: false,
        denial: `Deny ${goQuote(image)}, no matching repositories in ClusterImagePolicy and no ImagePolicies in the ${goQuote(namespace)} namespace`,
        searched: 'ClusterImagePolicy',
        candidates: cluster.length,
      };
    }
    return { ok: true, match, searched: 'ClusterImagePolicy', candidates: cluster.length };
  }
  const match = findPortierisPolicy(local, image);
  if (match === null) {
    return {
      ok: false,
      denial: `Deny ${goQuote(image)}, no matching repositories in the ImagePolicies`,
      searched: 'ImagePolicy',
      candidates: local.length,
    };
  }
  return { ok: true, match, searched: 'ImagePolicy', candidates: local.length };
}
