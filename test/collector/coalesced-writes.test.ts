// The collector's writes while it handles one read leave together: a real TCP pair on loopback, the
// server answering each read with three writes (as it answers a snapshot and the ping behind it).
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { coalesceWrites } from '../../src/collector/coalesced-writes.js';

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

async function pair(onServerData: (socket: Socket) => void): Promise<Socket> {
  const server = createServer((socket) => {
    coalesceWrites(socket);
    socket.on('data', () => onServerData(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const client = createConnection(port, '127.0.0.1');
  await once(client, 'connect');
  cleanup.push(() => {
    client.destroy();
    server.close();
  });
  return client;
}

it('corks the socket while a read is handled and sends what was written as one write after it', async () => {
  const seen: { corked: number; writes: number }[] = [];
  let writes = 0;
  const client = await pair((socket) => {
    // What the stream hands the kernel: one _writev for a corked batch, one _write per plain write.
    if (writes === 0) {
      const writev = socket._writev!.bind(socket);
      const write = socket._write.bind(socket);
      socket._writev = (chunks, cb) => (writes++, writev(chunks, cb));
      socket._write = (chunk, enc, cb) => (writes++, write(chunk, enc, cb));
    }
    socket.write('welcome;');
    socket.write('images;');
    socket.write('pong;');
    seen.push({ corked: socket.writableCorked, writes });
  });
  client.write('hello');
  let received = '';
  client.on('data', (d: Buffer) => (received += d.toString()));
  await expect.poll(() => received).toBe('welcome;images;pong;');
  expect(seen).toEqual([{ corked: 1, writes: 0 }]);
  expect(writes).toBe(1);
});
