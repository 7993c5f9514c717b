// The collector bench's simulated agents use their own WebSocket client (bench/sim-socket.ts): the
// collector must get from it exactly what a `ws` client sends, or the bench measures something else.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { SimSocket } from '../../bench/sim-socket.js';

let server: WebSocketServer | null = null;

afterEach(() => {
  server?.close();
  server = null;
});

async function listen(onConnection: (ws: WebSocket) => void): Promise<string> {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1 << 20 });
  server.on('connection', onConnection);
  await once(server, 'listening');
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/agents`;
}

describe('SimSocket', () => {
  it('sends masked text frames of every length class that a ws server reads back whole', async () => {
    const texts = ['', 'a', 'é'.repeat(62), 'x'.repeat(125), 'ü'.repeat(40_000), 'y'.repeat(70_001)];
    const received: string[] = [];
    const url = await listen((ws) =>
      ws.on('message', (d, binary) => received.push(binary ? '?' : d.toString())),
    );
    const socket = new SimSocket(url);
    await once(socket, 'open');
    for (const t of texts) socket.send(t);
    await expect.poll(() => received.length).toBe(texts.length);
    expect(received).toEqual(texts);
    socket.terminate();
  });

  it('reads the server text frames, answers its pings and gets pongs for its own', async () => {
    let serverPongs = 0;
    const url = await listen((ws) => {
      ws.on('pong', () => serverPongs++);
      ws.send('w'.repeat(200_000));
      ws.send('welcome');
      ws.ping('p');
    });
    const socket = new SimSocket(url);
    const messages: string[] = [];
    let pongs = 0;
    socket.on('message', (d) => messages.push(d.toString()));
    socket.on('pong', () => pongs++);
    await once(socket, 'open');
    socket.ping();
    await expect.poll(() => [messages.length, pongs, serverPongs]).toEqual([2, 1, 1]);
    expect(messages[0]).toBe('w'.repeat(200_000));
    expect(messages[1]).toBe('welcome');
    socket.terminate();
  });

  it('says why when the server refuses the upgrade', async () => {
    const url = await listen(() => {});
    server!.options.verifyClient = () => false;
    const socket = new SimSocket(url);
    const [err] = (await once(socket, 'error')) as [Error];
    expect(err.message).toMatch(/upgrade refused: HTTP\/1.1 401/);
  });

  it('ends its side when the server closes', async () => {
    const url = await listen((ws) => ws.close(1008, 'policy'));
    const socket = new SimSocket(url);
    await once(socket, 'close');
  });
});
