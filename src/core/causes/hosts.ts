// Host names in findings and in error texts, for grouping causes by the host they are about.

/** `host[:port]` → host; `[v6]:port` → `[v6]`. */
export function hostnameOf(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(0, hostPort.indexOf(']') + 1);
  const colon = hostPort.lastIndexOf(':');
  return colon === -1 ? hostPort : hostPort.slice(0, colon);
}

const HOST_IN_TEXT: readonly RegExp[] = [
  /pinging container registry ([\w.-]+(?::\d+)?)/,
  /lookup ([\w.-]+)(?: on |: |$)/,
  /getaddrinfo (?:ENOTFOUND|EAI_AGAIN) ([\w.-]+)/,
  /dial tcp ([\w.-]+:\d+)/,
  /https?:\/\/([\w.-]+(?::\d+)?)\//,
  /[Mm]irror ([\w.-]+(?::\d+)?) /,
];

/** The registry host an error text names, or null. Loopback addresses are a host like any other. */
export function hostInText(text: string): string | null {
  for (const pattern of HOST_IN_TEXT) {
    const m = pattern.exec(text);
    if (m !== null && m[1]!.includes('.')) return m[1]!;
  }
  return null;
}

/** A scope that names a host (`host[:port]`, no path; a dot, a port or localhost, as in a reference), or null. */
export function hostScope(scope: string | null | undefined): string | null {
  if (scope === null || scope === undefined || scope === '' || scope.includes('/')) return null;
  if (!scope.includes('.') && !scope.includes(':') && scope !== 'localhost') return null;
  return /^[\w.-]+(?::\d+)?$|^\[[\da-f:]+\](?::\d+)?$/i.test(scope) ? scope : null;
}
