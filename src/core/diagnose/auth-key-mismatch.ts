// "The mirror is in the pull secret" — but under a key containers/image never looks up for it.
// c/image matches the repository path hierarchy and then host[:port] exactly, so `mirror.example.com`
// does not serve `mirror.example.com:5000`, and `mirror.example.com:5000/team-a` does not serve
// `mirror.example.com:5000/team-b/app`. Called only when the lookup found nothing.

function hostOfKey(key: string): string {
  let k = key;
  for (const scheme of ['https://', 'http://']) if (k.startsWith(scheme)) k = k.slice(scheme.length);
  return k.split('/')[0]!;
}

function hostnameOf(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(0, hostPort.indexOf(']') + 1);
  const colon = hostPort.lastIndexOf(':');
  return colon === -1 ? hostPort : hostPort.slice(0, colon);
}

/**
 * The first pull-secret key that names the same machine as `repositoryName` (`host[:port]/path`) but
 * that the lookup skipped; null when there is none. Only key names are compared, never credentials.
 */
export function mismatchedAuthKey(repositoryName: string, keys: readonly string[]): string | null {
  const host = repositoryName.split('/')[0]!;
  const hostname = hostnameOf(host);
  const sameMachine = keys.filter((key) => hostnameOf(hostOfKey(key)) === hostname);
  // The likeliest intent first: the exact host with another path, then the host without its port.
  return (
    sameMachine.find((key) => hostOfKey(key) === host) ??
    sameMachine.find((key) => hostOfKey(key) === hostname) ??
    sameMachine[0] ??
    null
  );
}

function normalizeKey(key: string): string {
  let k = key;
  for (const scheme of ['https://', 'http://']) if (k.startsWith(scheme)) k = k.slice(scheme.length);
  return k.replace(/\/+$/, '');
}

/** Whether some image pulled through `location` (host[:port]/path) can find credentials under `key`. */
function keyServes(key: string, location: string): boolean {
  return key === location || location.startsWith(`${key}/`) || key.startsWith(`${location}/`);
}

export interface AuthKeyMismatch {
  /** The mirror (or registry) location as configured. */
  readonly location: string;
  readonly key: string;
  /** `file:line` of its [[registry]] or [[registry.mirror]] table. */
  readonly origin: { readonly file: string; readonly line: number | null };
}

/**
 * Found from the files alone, before any pull fails: a mirror location that no pull-secret key can
 * match (keys match exactly or by repository-path prefix, ports included) while a key names the same
 * machine — `nexus.corp.example` in the pull secret, the mirror at `nexus.corp.example:8443`.
 */
export function unmatchedAuthKeys(
  endpoints: readonly { readonly location: string; readonly origin: AuthKeyMismatch['origin'] }[],
  keys: readonly string[],
): AuthKeyMismatch[] {
  const normalized = keys.map(normalizeKey);
  const out: AuthKeyMismatch[] = [];
  const seen = new Set<string>();
  for (const e of endpoints) {
    const location = e.location.replace(/\/+$/, '');
    if (location === '' || seen.has(location)) continue;
    seen.add(location);
    if (normalized.some((k) => keyServes(k, location))) continue;
    const key = mismatchedAuthKey(location, normalized);
    if (key !== null) out.push({ location, key, origin: e.origin });
  }
  return out;
}
