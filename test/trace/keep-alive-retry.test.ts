// A registry that closes idle keep-alive connections: Go's Transport sends a GET/HEAD again on a
// fresh connection when a reused one fails before any answer (net/http, transport.go
// persistConn.shouldRetryRequest), so CRI-O never sees that failure. A request on a
// fresh connection, and a POST, are not sent again.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { exchange, TransportError, type HttpExchange } from '../../src/probe/http-request.js';

interface Lab {
  readonly url: string;
  readonly agent: http.Agent;
  /** Requests seen, as `<connection number> <method>`. */
  readonly seen: string[];
  close(): Promise<void>;
}

const open: Lab[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((lab) => lab.close()));
});

/**
 * A server whose n-th request on a connection is answered only when `answers(connection, n)`;
 * otherwise it drops the connection without a byte, as a server closing an idle connection does.
 */
async function lab(answers: (connection: number, n: number) => boolean): Promise<Lab> {
  const seen: string[] = [];
  const perSocket = new WeakMap<Socket, { id: number; n: number }>();
  let connections = 0;
  const server = http.createServer((req, res) => {
    const state = perSocket.get(req.socket)!;
    state.n++;
    seen.push(`${state.id} ${req.method}`);
    req.resume();
    if (!answers(state.id, state.n)) {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
  });
  server.on('connection', (socket) => perSocket.set(socket, { id: ++connections, n: 0 }));
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const l: Lab = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/`,
    agent,
    seen,
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  open.push(l);
  return l;
}

function request(l: Lab, method: HttpExchange['method'], body?: string): Promise<{ status: number }> {
  return exchange({
    url: new URL(l.url),
    method,
    headers: {},
    agent: l.agent,
    timeoutMs: 5_000,
    maxBodyBytes: 1024,
    overflow: 'truncate',
    ...(body === undefined ? {} : { body }),
  });
}

describe('a keep-alive connection the registry closed', () => {
  it('a GET on it is sent again on a fresh connection, and the answer is the fresh one', async () => {
    const l = await lab((connection, n) => !(connection === 1 && n === 2));
    expect((await request(l, 'GET')).status).toBe(200);
    expect((await request(l, 'GET')).status).toBe(200);
    expect(l.seen).toEqual(['1 GET', '1 GET', '2 GET']);
  });

  it('so is a HEAD', async () => {
    const l = await lab((connection, n) => !(connection === 1 && n === 2));
    await request(l, 'GET');
    expect((await request(l, 'HEAD')).status).toBe(200);
    expect(l.seen).toEqual(['1 GET', '1 HEAD', '2 HEAD']);
  });

  it('a failure on a fresh connection is the answer: no second try', async () => {
    const l = await lab(() => false);
    const err = await request(l, 'GET').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('ECONNRESET');
    expect(l.seen).toEqual(['1 GET']);
  });

  it('a reused connection that fails again on the retry is not tried a third time once fresh', async () => {
    const l = await lab((connection, n) => connection === 1 && n === 1);
    await request(l, 'GET');
    const err = await request(l, 'GET').catch((e: unknown) => e);
    expect((err as TransportError).code).toBe('ECONNRESET');
    expect(l.seen).toEqual(['1 GET', '1 GET', '2 GET']);
  });

  it('a POST is not replayable (Go: a token request already written is not sent again)', async () => {
    const l = await lab((connection, n) => !(connection === 1 && n === 2));
    await request(l, 'POST', 'grant_type=refresh_token');
    const err = await request(l, 'POST', 'grant_type=refresh_token').catch((e: unknown) => e);
    expect((err as TransportError).code).toBe('ECONNRESET');
    expect(l.seen).toEqual(['1 POST', '1 POST']);
  });
});
