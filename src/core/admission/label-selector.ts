// metav1.LabelSelectorAsSelector and Selector.Matches (k8s.io/apimachinery): matchLabels and
// matchExpressions all hold; an empty selector matches everything. Invalid selectors are errors,
// as they are for Gatekeeper's match (it then fails the request instead of guessing).
import type { LabelSelector } from './objects.js';

export type SelectorResult =
  { readonly ok: true; readonly matches: boolean } | { readonly ok: false; readonly error: string };

export function selectorMatches(
  selector: LabelSelector,
  labels: ReadonlyMap<string, string>,
): SelectorResult {
  for (const [key, value] of selector.matchLabels) {
    if (labels.get(key) !== value) return { ok: true, matches: false };
  }
  let matches = true;
  for (const e of selector.matchExpressions) {
    const values = e.values ?? [];
    const has = labels.has(e.key);
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0)
          return {
            ok: false,
            error: `values: Invalid value: for 'in', 'notin' operators, values set can't be empty`,
          };
        if (
          e.operator === 'In'
            ? !(has && values.includes(labels.get(e.key)!))
            : has && values.includes(labels.get(e.key)!)
        )
          matches = false;
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0)
          return {
            ok: false,
            error: `values: Invalid value: values set must be empty for exists and does not exist`,
          };
        if (e.operator === 'Exists' ? !has : has) matches = false;
        break;
      default:
        return { ok: false, error: `"${e.operator}" is not a valid label selector operator` };
    }
  }
  return { ok: true, matches };
}

export function isEmptySelector(selector: LabelSelector): boolean {
  return selector.matchLabels.size === 0 && selector.matchExpressions.length === 0;
}

export function describeSelector(selector: LabelSelector): string {
  const parts = [...selector.matchLabels].map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions) {
    const vs = (e.values ?? []).join(',');
    parts.push(
      e.operator === 'Exists'
        ? e.key
        : e.operator === 'DoesNotExist'
          ? `!${e.key}`
          : `${e.key} ${e.operator.toLowerCase()} (${vs})`,
    );
  }
  return parts.length === 0 ? '(everything)' : parts.join(', ');
}
