// The kubelet's view of a pod's pull secrets: which credentials it sends with a CRI PullImage, in
// which order (kubernetes pkg/credentialprovider/secrets/secrets.go `MakeDockerKeyring` at 09284d92,
// keyring.go `BasicDockerKeyring.Add` / `Lookup` / `urlsMatch`, config.go `DockerConfigEntry.UnmarshalJSON`).
// - Only `kubernetes.io/dockerconfigjson` (`.dockerconfigjson`, the `auths` map) and
//   `kubernetes.io/dockercfg` (`.dockercfg`, the map itself) secrets count; other types are skipped.
// - An entry's `auth` (base64 `user:password`) overrides its `username` / `password` fields.
// - A secret the kubelet cannot decode fails the whole keyring, and so the pull.
// - Keys of every secret form one index, sorted in reverse byte order; every key matching the image
//   contributes its credentials, in that order. With no match, a Docker Hub image uses `index.docker.io`.
import { Credentials } from './secret.js';

export interface PullSecretObject {
  readonly name: string;
  readonly type: string | undefined;
  /** The Secret's `data`: base64 values, as the API serves them. */
  readonly data: Readonly<Record<string, string>> | undefined;
}

export interface KeyringEntry {
  readonly secret: string;
  /** The key as the kubelet indexes it: `host[:port]` or `host[:port]/path`. */
  readonly key: string;
  readonly credentials: Credentials;
}

export type ParsedPullSecret =
  | { readonly secret: string; readonly ok: true; readonly entries: readonly KeyringEntry[] }
  /** The kubelet fails every pull of the pod with this secret (never quotes the content). */
  | { readonly secret: string; readonly ok: false; readonly problem: string };

const DOCKER_CONFIG_JSON = 'kubernetes.io/dockerconfigjson';
const DOCKERCFG = 'kubernetes.io/dockercfg';
const DEFAULT_REGISTRY_HOST = 'index.docker.io';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Go's base64 decoders: padded (StdEncoding) when the text ends with `=`, unpadded otherwise. */
function decodeBase64(text: string, padded: boolean): string | null {
  const valid = padded ? /^[A-Za-z0-9+/]*={0,2}$/ : /^[A-Za-z0-9+/]*$/;
  if (!valid.test(text)) return null;
  if (padded ? text.length % 4 !== 0 : text.length % 4 === 1) return null;
  return Buffer.from(text, 'base64').toString('utf8');
}

/** The kubelet's key for an auth-file key: a scheme is dropped, `/v1/` and `/v2/` mean the host. */
export function kubeletKey(location: string): string | null {
  let rest = location;
  const scheme = /^https?:\/\//.exec(rest);
  if (scheme !== null) rest = rest.slice(scheme[0].length);
  // url.Parse stops the path at `?` or `#`; a host with a space or control character is refused.
  rest = rest.split(/[?#]/)[0]!;
  const slash = rest.indexOf('/');
  const host = slash === -1 ? rest : rest.slice(0, slash);
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f]/.test(host)) return null;
  let path = slash === -1 ? '' : rest.slice(slash);
  if (path.startsWith('/v2/') || path.startsWith('/v1/')) path = path.slice(3);
  return path !== '' && path !== '/' ? host + path : host;
}

function entryCredentials(secret: string, key: string, value: unknown): Credentials | string {
  if (value === null) return Credentials.anonymous;
  if (!isObject(value)) return `secret ${secret}: the entry for "${key}" is not a JSON object`;
  const text = (field: string): string | null => {
    const v = value[field];
    if (v === undefined || v === null) return '';
    return typeof v === 'string' ? v : null;
  };
  const [username, password, auth] = [text('username'), text('password'), text('auth')];
  if (username === null || password === null || auth === null)
    return `secret ${secret}: a field of the entry for "${key}" is not a string`;
  if (auth === '') return new Credentials({ username, password, identityToken: '' });
  const decoded = decodeBase64(auth, auth.trim().endsWith('='));
  if (decoded === null) return `secret ${secret}: the "auth" field of "${key}" is not valid base64`;
  const colon = decoded.indexOf(':');
  if (colon === -1)
    return `secret ${secret}: the "auth" field of "${key}" has no ":" between user and password`;
  return new Credentials({
    username: decoded.slice(0, colon),
    password: decoded.slice(colon + 1),
    identityToken: '',
  });
}

/**
 * One Secret as the kubelet reads it. `null` when the kubelet skips it (another type, or the key is
 * absent or empty).
 */
export function parsePullSecret(secret: PullSecretObject): ParsedPullSecret | null {
  const field =
    secret.type === DOCKER_CONFIG_JSON
      ? '.dockerconfigjson'
      : secret.type === DOCKERCFG
        ? '.dockercfg'
        : null;
  const raw = field === null ? undefined : secret.data?.[field];
  if (raw === undefined || raw === '') return null;
  const fail = (problem: string): ParsedPullSecret => ({ secret: secret.name, ok: false, problem });
  const text = decodeBase64(raw, true);
  if (text === null) return fail(`secret ${secret.name}: data["${field}"] is not valid base64`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // Never the parser's message: it quotes the text, which holds the passwords.
    return fail(`secret ${secret.name}: data["${field}"] is not valid JSON`);
  }
  const map = field === '.dockerconfigjson' ? (isObject(doc) ? doc.auths : undefined) : doc;
  if (!isObject(doc)) return fail(`secret ${secret.name}: data["${field}"] is not a JSON object`);
  if (map !== undefined && map !== null && !isObject(map))
    return fail(`secret ${secret.name}: "auths" is not a JSON object`);
  const entries: KeyringEntry[] = [];
  for (const [location, value] of Object.entries(map ?? {})) {
    const credentials = entryCredentials(secret.name, location, value);
    if (typeof credentials === 'string') return fail(credentials);
    const key = kubeletKey(location);
    if (key !== null) entries.push({ secret: secret.name, key, credentials });
  }
  return { secret: secret.name, ok: true, entries };
}

const compiled = new Map<string, RegExp | null>();

/** Go's `filepath.Match` for one host label (`*`, `?`, `[…]`); a malformed pattern matches nothing. */
function labelMatches(pattern: string, label: string): boolean {
  if (!/[*?[\\]/.test(pattern)) return pattern === label;
  let re = compiled.get(pattern);
  if (re === undefined) {
    re = labelPattern(pattern);
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re !== null && re.test(label);
}

function labelPattern(pattern: string): RegExp | null {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) return null;
      let body = pattern.slice(i + 1, end);
      if (body.startsWith('^')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]!}`;
    else re += c.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  try {
    return new RegExp(`${re}$`);
  } catch {
    return null;
  }
}

function splitHostPort(hostPort: string): { labels: string[]; port: string } {
  const m = /^(.*):(\d*)$/.exec(hostPort);
  const host = m !== null && !m[1]!.includes(':') ? m[1]! : hostPort;
  return { labels: host.split('.'), port: m !== null && !m[1]!.includes(':') ? m[2]! : '' };
}

/**
 * `urlsMatch`: same port, same number of host labels, each label a glob match, and the key's path a
 * plain string prefix of the image's path (no `/` boundary: `host/team` matches `host/teamx/app`).
 */
export function kubeletKeyMatches(key: string, imageName: string): boolean {
  const split = (s: string) => {
    const slash = s.indexOf('/');
    return slash === -1 ? { host: s, path: '' } : { host: s.slice(0, slash), path: s.slice(slash) };
  };
  const k = split(key);
  const t = split(imageName);
  const kh = splitHostPort(k.host);
  const th = splitHostPort(t.host);
  if (kh.port !== th.port || kh.labels.length !== th.labels.length) return false;
  if (!t.path.startsWith(k.path)) return false;
  return kh.labels.every((l, i) => labelMatches(l, th.labels[i]!));
}

/** `isDefaultRegistryMatch`. */
function isDockerHubName(imageName: string): boolean {
  const parts = imageName.split('/');
  if (parts[0] === '') return false;
  if (parts.length === 1) return true;
  if (parts[0] === 'docker.io' || parts[0] === 'index.docker.io') return true;
  return !/[.:]/.test(parts[0]!);
}

/** Every entry of the secrets' keyring that the kubelet sends for `imageName` (a normalized `Name()`), in order. */
export function kubeletCredentialsFor(
  secrets: readonly { readonly entries: readonly KeyringEntry[] }[],
  imageName: string,
): KeyringEntry[] {
  const byKey = new Map<string, KeyringEntry[]>();
  for (const s of secrets)
    for (const e of s.entries) {
      const list = byKey.get(e.key);
      if (list === undefined) byKey.set(e.key, [e]);
      else list.push(e);
    }
  const index = [...byKey.keys()].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  const out = index.filter((k) => kubeletKeyMatches(k, imageName)).flatMap((k) => byKey.get(k)!);
  if (out.length > 0) return out;
  return isDockerHubName(imageName) ? (byKey.get(DEFAULT_REGISTRY_HOST) ?? []) : [];
}

/** The keys (never the credentials) of a keyring that match `name`: what a report may show. */
export function matchingKeys(keys: readonly string[], name: string): string[] {
  return keys.filter((k) => kubeletKeyMatches(k, name));
}
