// Kubernetes label selectors (`a=b,c!=d,e,!f,g in (x,y),h notin (z)`) for choosing trace targets.
import { MirrorscopeError } from '../core/errors.js';

type Requirement = (labels: Readonly<Record<string, string>>) => boolean;

function splitTop(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(selector.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

export function parseLabelSelector(selector: string): Requirement {
  const reqs: Requirement[] = splitTop(selector).map((part) => {
    let m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(part);
    if (m !== null) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
    }
    m = /^([\w./-]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
    if (m !== null) {
      const [, key, op, list] = m as unknown as [string, string, string, string];
      const values = new Set(list.split(',').map((v) => v.trim()));
      return op === 'in'
        ? (l) => l[key] !== undefined && values.has(l[key])
        : (l) => l[key] === undefined || !values.has(l[key]);
    }
    m = /^(!?)([\w./-]+)$/.exec(part);
    if (m !== null) {
      const key = m[2]!;
      return m[1] === '!' ? (l) => !(key in l) : (l) => key in l;
    }
    throw new MirrorscopeError('usage', `invalid label selector requirement "${part}"`);
  });
  return (labels) => reqs.every((r) => r(labels));
}
