// Time limits of the HTTP servers of both ends (the collector's API and agent endpoint, the agent's
// local endpoint). Node's defaults let a client that trickles its headers hold a connection for a
// minute and more (headersTimeout 60 s, checked only every 30 s) and a TLS client that never
// finishes its handshake for 120 s.
import type { ServerOptions } from 'node:http';

export const HTTP_LIMITS = {
  /** The whole request head must arrive within this. */
  headersTimeoutMs: 10_000,
  /** The whole request (our endpoints take no bodies) must arrive within this. */
  requestTimeoutMs: 30_000,
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: 5_000,
  /** How often the two timeouts above are checked (Node's default is 30 s). */
  checkIntervalMs: 1_000,
  /** A TLS handshake must finish within this (HTTPS/WSS). */
  tlsHandshakeTimeoutMs: 10_000,
} as const;

/** Options for `http.createServer`/`https.createServer` that apply HTTP_LIMITS. */
export function httpServerOptions(): ServerOptions & { handshakeTimeout: number } {
  return {
    headersTimeout: HTTP_LIMITS.headersTimeoutMs,
    requestTimeout: HTTP_LIMITS.requestTimeoutMs,
    keepAliveTimeout: HTTP_LIMITS.keepAliveTimeoutMs,
    connectionsCheckingInterval: HTTP_LIMITS.checkIntervalMs,
    handshakeTimeout: HTTP_LIMITS.tlsHandshakeTimeoutMs,
  };
}
