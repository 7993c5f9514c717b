// One bounded GET for signature material from lookaside stores, reusing the probe's exchange and
// redirect policy so deadlines, size caps and redirects are the same as for manifests.
import http from 'node:http';
import { RoutedHttpAgent, RoutedHttpsAgent } from '../probe/connect-to.js';
import { MAX_ERROR_BODY_BYTES } from '../core/registry-protocol/manifest-types.js';
import { exchange, timeoutError, TransportError, type HttpAnswer } from '../probe/http-request.js';
import { keepsAuthorization, MAX_REDIRECTS, REDIRECT_STATUSES } from '../probe/redirect-policy.js';

/** c/image `iolimits.MaxSignatureBodySize`. */
export const MAX_SIGNATURE_BYTES = 4 * 1024 * 1024;

/** A deadline (`performance.now()` time) shared by the signature fetches of one image. */
export interface FetchBudget {
  readonly deadline: number;
  readonly ms: number;
}

export interface SignatureHttp {
  get(url: URL, headers?: Readonly<Record<string, string>>): Promise<HttpAnswer>;
  close(): void;
}

export function createSignatureHttp(options: {
  timeoutMs: number;
  insecureTls?: boolean;
  ca?: readonly string[];
}): SignatureHttp {
  const httpAgent = new RoutedHttpAgent({ keepAlive: true, maxSockets: 8 });
  const httpsAgent = new RoutedHttpsAgent({
    keepAlive: true,
    maxSockets: 8,
    rejectUnauthorized: options.insecureTls !== true,
    ...(options.ca && options.ca.length > 0 ? { ca: [...options.ca] } : {}),
  });
  const once = (url: URL, headers: Readonly<Record<string, string>>, timeoutMs: number) =>
    exchange({
      url,
      method: 'GET',
      headers: { 'User-Agent': 'mirrorscope', ...headers },
      agent: url.protocol === 'https:' ? httpsAgent : httpAgent,
      timeoutMs,
      timeoutText: `within ${options.timeoutMs} ms`,
      maxBodyBytes: MAX_SIGNATURE_BYTES,
      maxErrorBodyBytes: MAX_ERROR_BODY_BYTES,
      overflow: 'fail',
    });
  return {
    // c/image reads lookaside signatures with its http.Client, which follows redirects (Go's policy,
    // src/probe/redirect-policy.ts); one deadline covers the chain. Credentials written into the URL
    // are sent for each URL that carries them (a relative redirect keeps them, as Go's
    // ResolveReference does); an explicit Authorization header follows Go's copy rule.
    get: async (url, headers = {}) => {
      const deadline = performance.now() + options.timeoutMs;
      let current = url;
      let currentHeaders = headers;
      for (let hop = 0; ; hop++) {
        const left = Math.floor(deadline - performance.now());
        if (left <= 0) throw timeoutError(current, 'GET', `within ${options.timeoutMs} ms`);
        const answer = await once(current, currentHeaders, left);
        const location = answer.headers.location;
        if (!REDIRECT_STATUSES.has(answer.status) || typeof location !== 'string') return answer;
        if (hop + 1 > MAX_REDIRECTS)
          throw new TransportError('TOO_MANY_REDIRECTS', `GET: stopped after ${MAX_REDIRECTS} redirects`);
        let next: URL;
        try {
          next = new URL(location, current);
        } catch {
          throw new TransportError('BAD_REDIRECT', 'GET: invalid redirect location');
        }
        if (next.protocol !== 'http:' && next.protocol !== 'https:')
          throw new TransportError('BAD_REDIRECT', `redirect to unsupported scheme ${next.protocol}`);
        if (currentHeaders.Authorization !== undefined && !keepsAuthorization(url, next)) {
          const { Authorization: _dropped, ...rest } = currentHeaders;
          currentHeaders = rest;
        }
        current = next;
      }
    },
    close: () => {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

/** Go's `Get "URL": …` wording for a request that got no answer. */
export function describeTransportFailure(url: URL, err: unknown): string {
  if (!(err instanceof TransportError)) return `Get "${url.href}": ${(err as Error).message}`;
  if (err.code === 'ECONNREFUSED')
    return `Get "${url.href}": dial tcp ${url.host}: connect: connection refused`;
  return `Get "${url.href}": ${err.message}`;
}

export const STATUS_TEXT = (status: number): string =>
  `${status} (${http.STATUS_CODES[status] ?? 'Unknown'})`;
