// A constraint's `spec.match` against a Pod, as Gatekeeper's pkg/mutation/match/match.go Matches does
// it (open-policy-agent/gatekeeper dd8507eb): kinds, scope, namespaces, excludedNamespaces (both with
// pkg/wildcard prefix/suffix `*`), labelSelector on the pod, namespaceSelector on its Namespace,
// name, source. What the pod's labels or Namespace object would decide, when they are not known
// here, is left undecided rather than guessed.
import type { ConstraintMatch, NamespaceObject } from './objects.js';
import { describeSelector, isEmptySelector, selectorMatches } from './label-selector.js';

export interface PodFacts {
  readonly namespace: string;
  /** null: the pod's labels are not known (an image given on the command line). */
  readonly labels: ReadonlyMap<string, string> | null;
  /** null: the pod's name is not known. */
  readonly name: string | null;
  readonly namespaceObject: NamespaceObject | null;
}

export type MatchResult =
  | { readonly matches: true; readonly detail: string }
  | { readonly matches: false; readonly detail: string }
  | { readonly matches: null; readonly detail: string };

/** `pkg/wildcard.Wildcard.Matches`. */
export function gatekeeperWildcard(pattern: string, candidate: string): boolean {
  const leading = pattern.startsWith('*');
  const trailing = pattern.endsWith('*');
  if (leading && trailing) return candidate.includes(pattern.slice(1, -1));
  if (leading) return candidate.endsWith(pattern.slice(1));
  if (trailing) return candidate.startsWith(pattern.slice(0, -1));
  return pattern === candidate;
}

function kindsMatch(match: ConstraintMatch): boolean {
  if (match.kinds.length === 0) return true;
  return match.kinds.some(
    (k) =>
      (k.kinds.length === 0 || k.kinds.includes('*') || k.kinds.includes('Pod')) &&
      (k.apiGroups.length === 0 || k.apiGroups.includes('*') || k.apiGroups.includes('')),
  );
}

export function matchPod(match: ConstraintMatch, pod: PodFacts): MatchResult {
  if (!kindsMatch(match)) return { matches: false, detail: 'match.kinds does not include Pod (group "")' };
  if (match.scope === 'Cluster')
    return { matches: false, detail: 'match.scope is Cluster; a Pod is namespaced' };
  if (match.namespaces.length > 0 && !match.namespaces.some((n) => gatekeeperWildcard(n, pod.namespace)))
    return {
      matches: false,
      detail: `namespace ${pod.namespace} is not in match.namespaces [${match.namespaces.join(', ')}]`,
    };
  const excludedBy = match.excludedNamespaces.find((n) => gatekeeperWildcard(n, pod.namespace));
  if (excludedBy !== undefined)
    return {
      matches: false,
      detail: `namespace ${pod.namespace} is excluded by match.excludedNamespaces entry ${excludedBy}`,
    };
  const undecided: string[] = [];
  if (match.labelSelector !== null && !isEmptySelector(match.labelSelector)) {
    if (pod.labels === null)
      undecided.push(
        `match.labelSelector (${describeSelector(match.labelSelector)}) depends on the pod's labels`,
      );
    else {
      const r = selectorMatches(match.labelSelector, pod.labels);
      if (!r.ok) return { matches: null, detail: `match.labelSelector is invalid: ${r.error}` };
      if (!r.matches)
        return {
          matches: false,
          detail: `the pod's labels do not satisfy match.labelSelector (${describeSelector(match.labelSelector)})`,
        };
    }
  }
  if (match.namespaceSelector !== null) {
    if (pod.namespaceObject === null)
      undecided.push(
        `match.namespaceSelector (${describeSelector(match.namespaceSelector)}) needs the Namespace object ${pod.namespace}`,
      );
    else {
      const r = selectorMatches(match.namespaceSelector, pod.namespaceObject.meta.labels);
      if (!r.ok) return { matches: null, detail: `match.namespaceSelector is invalid: ${r.error}` };
      if (!r.matches)
        return {
          matches: false,
          detail: `Namespace ${pod.namespace}'s labels do not satisfy match.namespaceSelector (${describeSelector(match.namespaceSelector)})`,
        };
    }
  }
  if (match.name !== '') {
    if (pod.name === null) undecided.push(`match.name ${match.name} depends on the pod's name`);
    else if (!gatekeeperWildcard(match.name, pod.name))
      return { matches: false, detail: `the pod's name does not match match.name ${match.name}` };
  }
  if (match.source === 'Generated')
    return {
      matches: false,
      detail: 'match.source is Generated: only pods expanded from workloads by an ExpansionTemplate',
    };
  if (match.source !== '' && match.source !== 'All' && match.source !== 'Original')
    return { matches: null, detail: `match.source ${match.source} is invalid (Gatekeeper fails the match)` };
  if (undecided.length > 0) return { matches: null, detail: undecided.join('; ') };
  return { matches: true, detail: describeMatch(match, pod) };
}

function describeMatch(match: ConstraintMatch, pod: PodFacts): string {
  const parts = [`applies to a Pod in namespace ${pod.namespace}`];
  if (match.kinds.length === 0) parts.push('match.kinds is empty (every kind)');
  if (match.namespaces.length === 0 && match.excludedNamespaces.length === 0)
    parts.push('no namespace restriction');
  return parts.join('; ');
}
