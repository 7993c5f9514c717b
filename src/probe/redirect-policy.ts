// What happens to a request on a redirect. containers/image (docker/docker_client.go, v5.23.1
// a3bfb869 through v5.36.1 dc805b9e) follows redirects with Go's default http.Client policy
// (net/http client.go `redirectBehavior`, `shouldCopyHeaderOnRedirect`), so this module models Go:
//   - at most 10 redirects;
//   - 301/302/303 turn a POST into a GET without its body (and without Content-Type);
//   - 307/308 re-send the body only when Go can replay it; c/image's token POST sets `Body` directly
//     (no `GetBody`), so Go does not follow and the 3xx itself is the answer;
//   - `Authorization` is kept only while the target's host name is the first request's host name or
//     a subdomain of it, compared without the port; once dropped it stays dropped (Go ≥ 1.22.11/1.23.5).
// One deliberate difference: Go keeps `Authorization` on a redirect to another port of the same host,
// or from https to plain http. When that header carries credentials mirrorscope does not send it; it
// stops and says that it cannot tell what CRI-O would get there (`withhold`).

export const MAX_REDIRECTS = 10;

export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Go's `isDomainOrSubdomain` on host names (no port, lower case). */
export function isDomainOrSubdomain(sub: string, parent: string): boolean {
  const s = sub.toLowerCase();
  const p = parent.toLowerCase();
  if (s === p) return true;
  // An IPv6 literal (or zone) is never a subdomain of anything.
  if (/[:%]/.test(s)) return false;
  return s.endsWith(`.${p}`);
}

/** Node's URL.hostname keeps IPv6 brackets; Go's Hostname() does not. */
function hostName(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

function effectivePort(url: URL): string {
  return url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80';
}

/** What the Authorization header of the request holds: nothing, something public (empty Basic, an anonymous token), or credentials. */
export type AuthorizationKind = 'none' | 'public' | 'secret';

export type RedirectDecision =
  | {
      readonly kind: 'follow';
      readonly method: 'GET' | 'HEAD' | 'POST';
      /** False when the body is dropped (POST turned into GET). */
      readonly keepBody: boolean;
      /** Drop Authorization from here on. */
      readonly dropAuthorization: boolean;
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
  /** What the Authorization header still carries (after earlier drops). */
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
  if (input.authorization === 'none') return { kind: 'follow', method, keepBody, dropAuthorization: false };
  if (!isDomainOrSubdomain(hostName(next), hostName(first)))
    return { kind: 'follow', method, keepBody, dropAuthorization: true };
  if (input.authorization === 'secret') {
    const target = `${next.protocol}//${next.host}`;
    if (first.protocol === 'https:' && next.protocol === 'http:')
      return {
        kind: 'withhold',
        reason: `redirected from https to plain http (${target}): containers/image would send the credentials there unencrypted; mirrorscope does not, so it cannot tell what CRI-O gets`,
      };
    if (effectivePort(next) !== effectivePort(first))
      return {
        kind: 'withhold',
        reason: `redirected to another port (${target}): containers/image would send the credentials there (Go compares host names only); mirrorscope does not, so it cannot tell what CRI-O gets`,
      };
  }
  return { kind: 'follow', method, keepBody, dropAuthorization: false };
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
