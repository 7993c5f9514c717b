// The agent waits as long as a collector that throttles it (429 Retry-After) asks, rather than
// retrying on its own backoff's first short delay.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CollectorLink, type CollectorPeer } from '../../src/agent/collector-link.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mirrorscope-retry-'));
  await writeFile(path.join(dir, 'token'), 'a-token\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

it('reconnects no sooner than the Retry-After of a 429', async () => {
  const attempts: number[] = [];
  const server = createServer();
  server.on('upgrade', (_req, socket) => {
    attempts.push(Date.now());
    socket.end(
      'HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const link = new CollectorLink({
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tokenFile: path.join(dir, 'token'),
    caFile: null,
    log: pino({ level: 'silent' }),
  });
  const peer: CollectorPeer = {
    hello: () => ({ node: 'n', agentVersion: 't', configHash: 'h', pod: { name: null, namespace: null } }),
    snapshot: (seq) => ({
      v: 1,
      type: 'snapshot',
      seq,
      generatedAt: '',
      configHash: 'h',
      files: [],
      findings: [],
      hosts: [],
      images: [],
      scan: null,
    }),
    scannedConfigHash: 'h',
    imagesFromCollector: () => undefined,
    answerTraceRequest: () => Promise.resolve({ trace: null, error: null }),
  };
  try {
    link.start(peer);
    await new Promise((r) => setTimeout(r, 3_500));
    expect(attempts.length).toBe(2);
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(1_990);
  } finally {
    await link.close();
    server.close();
  }
});
