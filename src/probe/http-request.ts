// One bounded HTTP(S) exchange: a deadline for the whole exchange (connect, headers, body), caps on
// header and body sizes. Every failure is a `TransportError` with a code the outcome classifier knows.
import http from 'node:http';
import https from 'node:https';

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface HttpExchange {
  readonly url: URL;
  readonly method: 'GET' | 'HEAD' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly agent: http.Agent | https.Agent;
  readonly timeoutMs: number;
  /** How the deadline is described in a timeout error (`within N ms`); defaults to `timeoutMs`. */
  readonly timeoutText?: string;
  readonly maxBodyBytes: number;
  /**
   * 'truncate' keeps the first maxBodyBytes; 'fail' rejects a 2xx answer beyond it (manifests, tokens).
   * Any other answer is truncated: an error body is only read for its error codes, as c/image does.
   */
  readonly overflow: 'truncate' | 'fail';
  /** The cap for a non-2xx body (default: maxBodyBytes). */
  readonly maxErrorBodyBytes?: number;
  /** Skip reading the body at all (ping): the socket is reused only if the body was small. */
  readonly discardBody?: boolean;
}

export interface HttpAnswer {
  readonly url: URL;
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Each `WWW-Authenticate` line separately (Node joins repeated headers). */
  readonly wwwAuthenticate: readonly string[];
  readonly body: Buffer;
  readonly truncated: boolean;
}

export const MAX_HEADER_BYTES = 64 * 1024;

function headerLines(raw: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) out.push(raw[i + 1]!);
  return out;
}

function transportError(err: unknown): TransportError {
  if (err instanceof TransportError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = e.code ?? 'ERROR';
  if (code === 'HPE_HEADER_OVERFLOW')
    return new TransportError(code, `response headers larger than ${MAX_HEADER_BYTES} bytes`);
  if (code === 'EPROTO' && /wrong version number|packet length too long|http request/i.test(e.message)) {
    return new TransportError('TLS_PLAIN_HTTP', 'http: server gave HTTP response to HTTPS client');
  }
  if (code === 'ECONNRESET' && /socket hang up/i.test(e.message))
    return new TransportError(code, 'connection closed by the registry before answering (socket hang up)');
  return new TransportError(code, e.message);
}

/** The deadline passed before a complete answer; `within` says which deadline (`within N ms`). */
export function timeoutError(url: URL, method: string, within: string): TransportError {
  return new TransportError(
    'TIMEOUT',
    `no complete answer from ${url.host} ${within} (${method} ${url.pathname})`,
  );
}

/** An error on the response stream: the headers came, the rest did not. */
function dropped(): TransportError {
  return new TransportError('CONNECTION_DROPPED', 'the registry closed the connection mid-answer');
}

/**
 * Go's Transport sends a replayable request (GET, HEAD) again when a reused keep-alive connection
 * fails before any answer: the registry closed it while idle, which says nothing about the
 * registry (net/http persistConn.shouldRetryRequest). Without this, a mirror that closes idle
 * connections would read as unreachable. A fresh connection's failure is the answer.
 */
const REPLAYABLE: ReadonlySet<string> = new Set(['GET', 'HEAD']);
const STALE_CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
/** A pool holds at most this many idle connections per host (maxSockets): each retry drops one. */
const MAX_STALE_RETRIES = 8;

/** The request died on a reused connection before its answer began, and may be sent again. */
class StaleConnection extends Error {}

export async function exchange(x: HttpExchange): Promise<HttpAnswer> {
  const deadline = performance.now() + x.timeoutMs;
  for (let retries = 0; ; retries++) {
    try {
      return await exchangeOnce(x, deadline, retries < MAX_STALE_RETRIES);
    } catch (err) {
      if (!(err instanceof StaleConnection)) throw err;
    }
  }
}

function exchangeOnce(x: HttpExchange, deadline: number, mayRetry: boolean): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const lib = x.url.protocol === 'https:' ? https : http;
    let settled = false;
    const finish = (err: unknown, answer?: HttpAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err instanceof StaleConnection) reject(err);
      else if (err !== null) reject(transportError(err));
      else resolve(answer!);
    };
    const req = lib.request(x.url, {
      method: x.method,
      headers: {
        ...x.headers,
        ...(x.body !== undefined ? { 'Content-Length': String(Buffer.byteLength(x.body)) } : {}),
      },
      agent: x.agent,
      maxHeaderSize: MAX_HEADER_BYTES,
    });
    const timer = setTimeout(
      () => {
        const err = timeoutError(x.url, x.method, x.timeoutText ?? `within ${x.timeoutMs} ms`);
        finish(err);
        req.destroy(err);
      },
      Math.max(0, deadline - performance.now()),
    );
    let answered = false;
    req.on('error', (err: NodeJS.ErrnoException) => {
      const stale =
        mayRetry &&
        !answered &&
        req.reusedSocket &&
        REPLAYABLE.has(x.method) &&
        STALE_CONNECTION_CODES.has(err.code ?? '');
      finish(stale ? new StaleConnection() : err);
    });
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const done = () =>
        finish(null, {
          url: x.url,
          status: res.statusCode ?? 0,
          headers: res.headers,
          wwwAuthenticate: headerLines(res.rawHeaders, 'www-authenticate'),
          body: Buffer.concat(chunks),
          truncated,
        });
      if (x.method === 'HEAD') {
        res.resume();
        res.on('end', done);
        res.on('error', () => finish(dropped()));
        return;
      }
      const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
      const cap = ok ? x.maxBodyBytes : Math.min(x.maxBodyBytes, x.maxErrorBodyBytes ?? x.maxBodyBytes);
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > cap) {
          if (x.overflow === 'fail' && ok) {
            const err = new TransportError(
              'BODY_TOO_LARGE',
              `the answer to ${x.method} ${x.url.pathname} is larger than ${x.maxBodyBytes} bytes`,
            );
            finish(err);
            res.destroy(err);
            return;
          }
          truncated = true;
          // Do not read the rest of a huge body: answer with what we have and drop the connection.
          done();
          res.destroy();
          return;
        }
        if (!x.discardBody) chunks.push(chunk);
      });
      res.on('end', done);
      res.on('error', () => finish(dropped()));
      res.on('close', () => {
        // A connection closed mid-answer (after 'end' this is a no-op: the exchange is settled).
        if (!res.complete) finish(dropped());
      });
    });
    if (x.body !== undefined) req.write(x.body);
    req.end();
  });
}
