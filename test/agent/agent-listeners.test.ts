// The DaemonSet's wiring: kubelet probes and Prometheus on a probe-only listener (traces and the
// effective configuration stay on loopback), and a wss:// collector whose certificate is signed by a
// CA the agent is given (the OpenShift service CA).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeRoot } from '../support/cli.js';
import { makeServerCertificate } from '../support/test-ca.js';
import { AgentProcess } from '../support/agent-process.js';
import { FakeCollector } from '../support/fake-collector.js';

const root = makeRoot({ '/etc/containers/registries.conf': 'unqualified-search-registries = []\n' });
const running: { stop(): Promise<unknown> }[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

function tokenFile(token: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'mirrorscope-token-')), 'token');
  writeFileSync(file, token);
  return file;
}

describe('agent listeners', () => {
  it('serves only health and metrics on --probe-listen, everything on --listen', async () => {
    const agent = AgentProcess.start([
      '--root',
      root,
      '--node',
      'n1',
      '--listen',
      '127.0.0.1:0',
      '--probe-listen',
      '127.0.0.1:0',
    ]);
    running.push(agent);
    await agent.waitFor((l) => l.event === 'listening' && l.scope === 'probes');
    const base = (scope: string) =>
      `http://${String(agent.lines.find((l) => l.event === 'listening' && l.scope === scope)!.address)}`;
    const probes = base('probes');
    const full = base('full');
    expect((await fetch(`${probes}/healthz`)).status).toBe(200);
    expect((await fetch(`${probes}/metrics`)).status).toBe(200);
    expect((await fetch(`${probes}/v1/config`)).status).toBe(404);
    expect((await fetch(`${probes}/v1/trace?image=quay.io/x/y:1`)).status).toBe(404);
    expect((await fetch(`${full}/v1/config`)).status).toBe(200);
  });
});

describe('a wss:// collector', () => {
  it('is trusted through --collector-ca and refused without it', async () => {
    const tls = makeServerCertificate();
    const collector = new FakeCollector('agent-token', { key: tls.key, cert: tls.cert });
    await collector.start();
    running.push(collector);
    const token = tokenFile('agent-token');

    const untrusting = AgentProcess.start([
      '--root',
      root,
      '--node',
      'n-untrusting',
      '--listen',
      'off',
      '--collector',
      collector.url,
      '--token-file',
      token,
    ]);
    running.push(untrusting);
    await untrusting.waitFor(
      (l) => l.event === 'collector-unreachable' && l.level === 'warn' && /certificate/i.test(l.msg),
    );
    expect(collector.messages('hello')).toEqual([]);

    const trusting = AgentProcess.start([
      '--root',
      root,
      '--node',
      'n-trusting',
      '--listen',
      'off',
      '--collector',
      collector.url,
      '--token-file',
      token,
      '--collector-ca',
      tls.caFile,
    ]);
    running.push(trusting);
    const hello = await collector.waitFor(() =>
      collector.messages('hello').find((h) => h.node === 'n-trusting'),
    );
    expect(hello.node).toBe('n-trusting');
    expect(collector.authorizations).toContain('Bearer agent-token');
  });
});
