// Scope helpers of openshift/runtime-utils `pkg/registries` and the MCO's source/mirror patterns
// (`helpers.go` sourceRegex / mirrorRegex, identical to the IDMS/ITMS CRD validation).

// The MCO's patterns run in Go's RE2, which is linear; a backtracking engine is exponential on them
// (a path component `[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)+` splits a run of letters in 2^n ways
// through the empty `[-]*`, and a 1 KB mirror hung `render`). These are the same languages written
// without ambiguity: a label is `x` or `x…x`, and a separator inside a component is never empty
// (an empty one only joins two runs of [a-z0-9] into one).
const LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const MIRROR = `^((?:${LABEL})(?:\\.(?:${LABEL}))*(?::[0-9]+)?)(?:/${COMPONENT})*$`;
const WILDCARD_SOURCE = `^\\*(?:\\.(?:${LABEL}))+$`;

export const MIRROR_PATTERN = new RegExp(MIRROR);
export const SOURCE_PATTERN = new RegExp(`${WILDCARD_SOURCE}|${MIRROR}`);

/** `ScopeIsNestedInsideScope(sub, super)`. Note `quay.io:443` is not nested in `quay.io`. */
export function scopeIsNestedInsideScope(subScope: string, superScope: string): boolean {
  if (subScope === superScope) return true;
  if (
    subScope.length > superScope.length &&
    subScope.startsWith(superScope) &&
    subScope[superScope.length] === '/'
  )
    return true;
  if (!superScope.startsWith('*.')) return false;
  const suffix = superScope.slice(1);
  if (subScope.includes(':')) {
    const host = subScope.split(':')[0]!;
    return host.endsWith(suffix) && !host.includes('/');
  }
  return subScope.split('/')[0]!.endsWith(suffix);
}

/** `IsValidRegistriesConfScope`: non-empty; a `*` only as a leading `*.` of a plain host. */
export function isValidRegistriesConfScope(scope: string): boolean {
  if (scope === '') return false;
  if (!scope.includes('*')) return true;
  return scope.startsWith('*.') && !/[/@:*]/.test(scope.slice(2));
}
