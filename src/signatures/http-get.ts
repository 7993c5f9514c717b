// One bounded GET for signature material (lookaside, API extension, attachment blobs), reusing the
// probe's exchange so deadlines and size caps are the same as for manifests.
import http from 'node:http';
import https from 'node:https';
import { MAX_ERROR_BODY_BYTES } from '../core/registry-protocol/manifest-types.js';
import { exchange, TransportError, type HttpAnswer } from '../probe/http-request.js';

/** c/image `iolimits.MaxSignatureBodySize`. */
export const MAX_SIGNATURE_BYTES = 4 * 1024 * 1024;

export interface SignatureHttp {
  get(url: URL, headers?: Readonly<Record<string, string>>): Promise<HttpAnswer>;
  close(): void;
}

export function createSignatureHttp(options: {
  timeoutMs: number;
  insecureTls?: boolean;
  ca?: readonly string[];
}): SignatureHttp {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const httpsAgent = new https.Agent({
    keepAlive: true,
    maxSockets: 8,
    rejectUnauthorized: options.insecureTls !== true,
    ...(options.ca && options.ca.length > 0 ? { ca: [...options.ca] } : {}),
  });
  return {
    get: (url, headers = {}) =>
      exchange({
        url,
        method: 'GET',
        headers: { 'User-Agent': 'mirrorscope', ...headers },
        agent: url.protocol === 'https:' ? httpsAgent : httpAgent,
        timeoutMs: options.timeoutMs,
        maxBodyBytes: MAX_SIGNATURE_BYTES,
        maxErrorBodyBytes: MAX_ERROR_BODY_BYTES,
        overflow: 'fail',
      }),
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
