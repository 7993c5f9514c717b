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
