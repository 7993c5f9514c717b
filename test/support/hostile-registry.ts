// A scriptable hostile "registry" on 127.0.0.1 for the prober's bounds and credential rules: plain or
// TLS (the test CA), one handler per request, every request recorded with its headers and body. Also
// a silent TCP listener (accepts, never speaks) for handshake timeouts. `stop()` closes everything.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { TestTls } from './test-ca.js';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  readonly body: string;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

export interface HostileServer {
  /** `127.0.0.1:PORT` */
  readonly host: string;
  readonly port: number;
  readonly origin: string;
  readonly seen: SeenRequest[];
  stop(): Promise<void>;
}

const MAX_RECORDED_BODY = 64 * 1024;

export async function startHostileServer(handler: Handler, tls?: TestTls): Promise<HostileServer> {
  const seen: SeenRequest[] = [];
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      if (body.length < MAX_RECORDED_BODY) body += chunk.toString('utf8');
    });
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body,
      });
      handler(req, res, body);
    });
  };
  const server = tls
    ? https.createServer({ key: tls.key, cert: tls.cert }, listener)
    : http.createServer(listener);
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
  return {
    host: `127.0.0.1:${port}`,
    port,
    origin: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    seen,
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A small OCI manifest, and a handler that serves it. */
export const MANIFEST = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}';

export const serveManifest: Handler = (_req, res) =>
  res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }).end(MANIFEST);

/**
 * A registry whose Bearer realm is its own `/token` (service "svc"): `/v2/` challenges, `/token…` goes
 * to `token`, everything else to `rest`.
 */
export function ownRealmRegistry(token: Handler, rest: Handler): Handler {
  return (req, res, body) => {
    if (req.url === '/v2/') {
      res
        .writeHead(401, {
          'WWW-Authenticate': `Bearer realm="http://127.0.0.1:${req.socket.localPort}/token",service="svc"`,
        })
        .end();
    } else if (req.url!.startsWith('/token')) token(req, res, body);
    else rest(req, res, body);
  };
}

/** Accepts connections and never writes a byte (a TLS handshake or an HTTP answer that never comes). */
export async function startSilentListener(): Promise<{ host: string; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
  return {
    host: `127.0.0.1:${port}`,
    stop: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Streams `bytes` of filler at most; stops when the client goes away. */
export function streamFiller(res: http.ServerResponse, bytes: number): void {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let sent = 0;
  let closed = false;
  res.on('close', () => (closed = true));
  const pump = () => {
    while (!closed && sent < bytes) {
      sent += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!closed) res.end();
  };
  pump();
}

/** Writes one byte every `everyMs` until the client goes away: a body that never finishes. */
export function dripForever(res: http.ServerResponse, everyMs: number): void {
  const timer = setInterval(() => res.write(' '), everyMs);
  res.on('close', () => clearInterval(timer));
}
