// `WWW-Authenticate` parsing as containers/image does it: one challenge per header line, the scheme
// lower-cased, parameters `key=token` or `key="quoted"`, parsing stops at the first malformed part.
export interface AuthChallenge {
  /** Lower-case: `basic`, `bearer`, … */
  readonly scheme: string;
  /** Lower-case keys: realm, service, scope, error. */
  readonly params: Readonly<Record<string, string>>;
}

const SEPARATORS = ' \t"(),/:;<=>?@[]\\{}';

function isTokenChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code > 31 && code < 127 && !SEPARATORS.includes(c);
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function token(s: string, i: number): [string, number] {
  let j = i;
  while (j < s.length && isTokenChar(s[j]!)) j++;
  return [s.slice(i, j), j];
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && isSpace(s[i])) i++;
  return i;
}

function tokenOrQuoted(s: string, i: number): [string, number] {
  if (s[i] !== '"') return token(s, i);
  let value = '';
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j]!;
    if (c === '"') return [value, j + 1];
    if (c === '\\' && j + 1 < s.length) {
      value += s[++j];
      continue;
    }
    value += c;
  }
  return ['', s.length];
}

/** Parses one header value; null when it has no scheme. */
export function parseChallenge(header: string): AuthChallenge | null {
  const [scheme, afterScheme] = token(header, 0);
  if (scheme === '') return null;
  const params: Record<string, string> = {};
  let rest = ',' + header.slice(skipSpace(header, afterScheme));
  while (rest.startsWith(',')) {
    const [key, afterKey] = token(rest, skipSpace(rest, 1));
    if (key === '' || rest[afterKey] !== '=') break;
    const [value, afterValue] = tokenOrQuoted(rest, afterKey + 1);
    if (value === '') break;
    params[key.toLowerCase()] = value;
    rest = rest.slice(skipSpace(rest, afterValue));
  }
  return { scheme: scheme.toLowerCase(), params };
}

export function parseChallenges(headerValues: readonly string[]): AuthChallenge[] {
  return headerValues.map(parseChallenge).filter((c): c is AuthChallenge => c !== null);
}

/** The scope c/image asks a token for when pulling `path`. */
export function pullScope(path: string): string {
  return `repository:${path}:pull`;
}

/** For people: `Bearer realm="…", service="…"` without anything secret (challenges carry none). */
export function describeChallenge(c: AuthChallenge): string {
  const parts = Object.entries(c.params).map(([k, v]) => `${k}="${v}"`);
  return parts.length === 0 ? c.scheme : `${c.scheme} ${parts.join(', ')}`;
}
