// A reverse proxy on 127.0.0.1 in front of a lab registry that records every request it passes on
// ("HEAD /v2/p/app/blobs/sha256:…"), so a test counts what a client really sent. The record is made
// when the request arrives: once the client has its answer, the count is final. With `tls`, the proxy
// is the TLS endpoint (certificate and key files), so a node's certs.d decides whether it is trusted.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  /** `127.0.0.1:PORT` */
  readonly host: string;
  /** Every request passed on, as `METHOD /path`, in arrival order. */
  readonly requests: string[];
  /** The requests whose line matches `pattern`, e.g. / \/blobs\//. */
  count(pattern: RegExp): number;
  stop(): Promise<void>;
}

export async function startCountingProxy(
  target: { readonly host: string },
  tls?: { readonly certFile: string; readonly keyFile: string },
): Promise<CountingProxy> {
  const requests: string[] = [];
  const [hostname, port] = target.host.split(':') as [string, string];
  const forward = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    requests.push(`${req.method} ${req.url}`);
    const upstream = http.request(
      { hostname, port: Number(port), method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
  const server = tls
    ? https.createServer({ cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) }, forward)
    : http.createServer(forward);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    count: (pattern) => requests.filter((r) => pattern.test(r)).length,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
