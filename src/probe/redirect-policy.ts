// What happens to a request on a redirect. containers/image (docker/docker_client.go, v5.23.1
// a3bfb869 through v5.36.1 dc805b9e) follows redirects with Go's default http.Client policy
// (net/http client.go `redirectBehavior`, `makeHeadersCopier`, `shouldCopyHeaderOnRedirect`):
//   - at most 10 redirects;
//   - 301/302/303 turn a POST into a GET without its body (and without Content-Type);
//   - 307/308 re-send the body only when Go can replay it; c/image's token POST sets `Body` directly
//     (no `GetBody`), so Go does not follow and the 3xx itself is the answer;
//   - each hop copies the FIRST request's headers, `Authorization` only while the targets are that
//     request's host:port (default port by scheme) or subdomains of it on the same port; once dropped
//     it stays dropped. The host:port comparison is Go 1.19's `canonicalAddr`, as built into Debian's
//     skopeo 1.9 (c/image 5.23), checked by test/differential/credentials-skopeo.test.ts; newer Go
//     compares host names only (so another port of the same host would keep the header there). The
//     comparison with the first request, sticky, is Go's since 1.22.11/1.23.5 (CVE-2024-45336): Go 1.19
//     compared each hop with the previous one, which could carry the header on to a subdomain of an
//     unrelated host. mirrorscope never sends it further than the newest or the oldest rule would.
// One deliberate difference: Go keeps `Authorization` from https to plain http on the same host and
// port. When that header carries credentials mirrorscope does not follow; it stops and says it cannot
// tell what CRI-O would get there (`withhold`).

export const MAX_REDIRECTS = 10;

export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Go's `isDomainOrSubdomain` (Go 1.19: on `host:port` strings). */
function isDomainOrSubdomain(sub: string, parent: string): boolean {
  const s = sub.toLowerCase();
  const p = parent.toLowerCase();
  return s === p || s.endsWith(`.${p}`);
}

/** Node's URL.hostname keeps IPv6 brackets; Go's Hostname() does not. */
function hostName(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

/** Go's `canonicalAddr`: host:port with the scheme's default port. */
function canonicalAddr(url: URL): string {
  return `${url.hostname}:${url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80'}`;
}

/** Whether Go copies the first request's `Authorization` to a hop to `next`. */
export function keepsAuthorization(first: URL, next: URL): boolean {
  return isDomainOrSubdomain(canonicalAddr(next), canonicalAddr(first));
}

/** What the Authorization header of the request holds: nothing, something public (empty Basic, an anonymous token), or credentials. */
export type AuthorizationKind = 'none' | 'public' | 'secret';

export type RedirectDecision =
  | {
      readonly kind: 'follow';
      readonly method: 'GET' | 'HEAD' | 'POST';
      /** False when the body is dropped (POST turned into GET). */
      readonly keepBody: boolean;
      /** Whether this hop carries the first request's Authorization. */
      readonly authorization: boolean;
    }
  /** Go does not follow: the redirect answer is the answer. */
  | { readonly kind: 'stop' }
  /** mirrorscope will not send the credentials where Go would; the reason says so. */
  | { readonly kind: 'withhold'; readonly reason: string };

export function redirectDecision(input: {
  readonly status: number;
  readonly method: 'GET' | 'HEAD' | 'POST';
  readonly hasBody: boolean;
  readonly first: URL;
  readonly next: URL;
  /** What the first request's Authorization header carries. */
  readonly authorization: AuthorizationKind;
}): RedirectDecision {
  const { status, first, next } = input;
  let method = input.method;
  let keepBody = input.hasBody;
  if (status === 307 || status === 308) {
    if (input.hasBody) return { kind: 'stop' };
  } else if (method === 'POST') {
    method = 'GET';
    keepBody = false;
  }
  const authorization = input.authorization !== 'none' && keepsAuthorization(first, next);
  if (
    authorization &&
    input.authorization === 'secret' &&
    first.protocol === 'https:' &&
    next.protocol === 'http:'
  )
    return {
      kind: 'withhold',
      reason: `redirected from https to plain http (${next.protocol}//${next.host}): containers/image would send the credentials there unencrypted; mirrorscope does not, so it cannot tell what CRI-O gets`,
    };
  return { kind: 'follow', method, keepBody, authorization };
}

/**
 * Whether credentials may go to a token realm. containers/image sends them to any realm the registry
 * names (docker.io's is auth.docker.io, on another host). mirrorscope does the same over https, and
 * over plain http only to the registry's own host name when the registry itself is plain http (where a
 * Basic challenge would carry them the same way). Otherwise: the reason it withholds them.
 */
export function realmWithholdReason(
  realm: URL,
  registry: { scheme: 'https' | 'http'; host: string },
): string | null {
  if (realm.protocol === 'https:') return null;
  const registryHost = new URL(`${registry.scheme}://${registry.host}/`);
  if (registry.scheme === 'http' && hostName(realm) === hostName(registryHost)) return null;
  return `the token realm ${realm.protocol}//${realm.host}${realm.pathname} is plain http: containers/image would send the credentials for ${registry.host} there unencrypted; mirrorscope does not, so it cannot tell what CRI-O gets`;
}
