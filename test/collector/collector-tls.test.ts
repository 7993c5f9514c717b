// The OpenShift wiring end to end: the collector serves HTTPS/WSS with a service-CA certificate and a
// real agent trusts it through --collector-ca.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeRoot } from '../support/cli.js';
import { makeServerCertificate } from '../support/test-ca.js';
import { AgentProcess } from '../support/agent-process.js';
import { startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';

const stops: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  await Promise.all(stops.map((s) => s()));
});

function getJson(url: string, ca: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: new Agent({ ca }) }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    })
      .on('error', reject)
      .end();
  });
}

/** Ms until the server drops a TCP client that starts a TLS handshake and never finishes it. */
function stalledHandshake(port: number): Promise<number> {
  const started = Date.now();
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.resume();
  // The first bytes of a TLS record header (handshake, TLS 1.2), then silence.
  socket.once('connect', () => socket.write(Buffer.from([0x16, 0x03, 0x03])));
  return new Promise((resolve) => socket.once('close', () => resolve(Date.now() - started)));
}

describe('collector over TLS', () => {
  it('drops a client that never finishes its TLS handshake after 10 s (Node: 120 s)', async () => {
    const tls = makeServerCertificate();
    const collector = await startCollectorProcess([
      '--auth',
      'none',
      '--tls-cert',
      tls.certFile,
      '--tls-key',
      tls.keyFile,
    ]);
    stops.push(() => collector.stop());
    const ms = await stalledHandshake(Number(new URL(collector.url).port));
    expect(ms).toBeGreaterThanOrEqual(9_000);
    expect(ms).toBeLessThan(15_000);
  });

  it('serves the report over HTTPS and accepts an agent over WSS with the service CA', async () => {
    const tls = makeServerCertificate();
    const collector: CollectorProcess = await startCollectorProcess([
      '--auth',
      'none',
      '--tls-cert',
      tls.certFile,
      '--tls-key',
      tls.keyFile,
      '--heartbeat-interval',
      '2',
    ]);
    stops.push(() => collector.stop());
    expect(collector.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    const tokenDir = mkdtempSync(path.join(tmpdir(), 'mirrorscope-token-'));
    writeFileSync(path.join(tokenDir, 'token'), 'unused-with-auth-none');
    const root = makeRoot({ '/etc/containers/registries.conf': 'unqualified-search-registries = []\n' });
    const agent = AgentProcess.start([
      '--root',
      root,
      '--node',
      'tls-node',
      '--listen',
      'off',
      '--collector',
      collector.url.replace('https://', 'wss://'),
      '--collector-ca',
      tls.caFile,
      '--token-file',
      path.join(tokenDir, 'token'),
    ]);
    stops.push(() => agent.stop());

    const deadline = Date.now() + 20_000;
    let nodes: { name: string }[] = [];
    while (Date.now() < deadline) {
      const { status, body } = await getJson(`${collector.url}/api/v1/report`, tls.ca);
      expect(status).toBe(200);
      nodes = (body as { nodes: { name: string }[] }).nodes;
      if (nodes.some((n) => n.name === 'tls-node')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(nodes.map((n) => n.name)).toContain('tls-node');
  });

  it('refuses half a certificate pair', async () => {
    const tls = makeServerCertificate();
    await expect(startCollectorProcess(['--auth', 'none', '--tls-cert', tls.certFile])).rejects.toThrow(
      /--tls-cert and --tls-key go together/,
    );
  });
});
