// --connect-to: the node's configuration keeps the mirror's real name while the connection goes to
// 127.0.0.1; TLS is verified against the name (SNI and certificate), never against the address.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage } from '../../src/lab/oci.js';
import { RegistryServer } from '../../src/lab/registry-server.js';
import { createCertificateAuthority } from '../../src/lab/x509.js';
import { connectTarget, installConnectRoutes, parseConnectTo } from '../../src/probe/connect-to.js';
import { runCli } from '../support/cli.js';

const ca = createCertificateAuthority('connect-to test CA');
const image = buildImage('connect-to test image');
const servers: RegistryServer[] = [];
let rightPort = 0;
let wrongPort = 0;

function root(withCa: boolean): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mirrorscope-connect-to-'));
  mkdirSync(path.join(dir, 'etc/containers'), { recursive: true });
  writeFileSync(path.join(dir, 'etc/containers/registries.conf'), 'unqualified-search-registries = []\n');
  writeFileSync(
    path.join(dir, 'etc/containers/policy.json'),
    '{"default":[{"type":"insecureAcceptAnything"}]}\n',
  );
  if (withCa) {
    const certs = path.join(dir, 'etc/containers/certs.d/mirror.corp.example:5000');
    mkdirSync(certs, { recursive: true });
    writeFileSync(path.join(certs, 'ca.crt'), ca.certificate.pem);
  }
  return dir;
}

async function registry(names: readonly string[]): Promise<number> {
  const c = ca.issue(names);
  const server = new RegistryServer({
    name: 'mirror.corp.example:5000',
    auth: { type: 'none' },
    tls: { cert: c.pem, key: c.keyPem },
  });
  server.put('acme/app', image, ['1']);
  servers.push(server);
  return server.listen();
}

beforeAll(async () => {
  rightPort = await registry(['mirror.corp.example']);
  // A certificate for another name, and one for the address only: neither is mirror.corp.example.
  wrongPort = await registry(['other.corp.example', '127.0.0.1']);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const IMAGE = 'mirror.corp.example:5000/acme/app:1';

describe('trace --connect-to', () => {
  it('reaches the name at 127.0.0.1 and verifies the certificate against the name', async () => {
    const r = await runCli([
      'trace',
      '--root',
      root(true),
      '--connect-to',
      `mirror.corp.example:5000=127.0.0.1:${rightPort}`,
      '--json',
      IMAGE,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      result: { outcome: string; digest: string };
      sources: { outcome: string }[];
    };
    expect(doc.result.outcome).toBe('pulled');
    expect(doc.result.digest).toBe(image.digest);
  });

  it('a certificate for another name fails, although it is valid for 127.0.0.1', async () => {
    const r = await runCli([
      'trace',
      '--root',
      root(true),
      '--connect-to',
      `mirror.corp.example:5000=127.0.0.1:${wrongPort}`,
      IMAGE,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('tls-untrusted');
    expect(r.stdout).toContain('x509: the certificate is not valid for mirror.corp.example:5000');
    expect(r.stdout).toContain(
      "Host: mirror.corp.example. is not in the cert's altnames: DNS:other.corp.example, IP Address:127.0.0.1",
    );
    expect(r.stdout).not.toContain('PULLED');
  });

  it('the right certificate without its CA in certs.d is not trusted', async () => {
    const r = await runCli([
      'trace',
      '--root',
      root(false),
      '--connect-to',
      `mirror.corp.example:5000=127.0.0.1:${rightPort}`,
      IMAGE,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('tls-untrusted');
    expect(r.stdout).toContain('issued by CN=connect-to test CA');
  });

  it('a route for another port of the host is not used', async () => {
    const r = await runCli([
      'trace',
      '--root',
      root(true),
      '--connect-to',
      `mirror.corp.example:443=127.0.0.1:${rightPort}`,
      '--timeout',
      '2000',
      IMAGE,
    ]);
    // Without a route the name goes to DNS, where mirror.corp.example does not exist.
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain('PULLED');
  });

  it.each([
    ['mirror.corp.example', 'needs HOST[:PORT]=ADDR:PORT'],
    ['mirror.corp.example=127.0.0.1', 'the target must be ADDR:PORT'],
    ['mirror.corp.example=localhost:5000', 'must be an IP address'],
    ['mirror.corp.example:99999=127.0.0.1:5000', 'is not a port number'],
  ])('--connect-to %s is a usage error', async (value, message) => {
    const r = await runCli(['trace', '--root', root(true), '--connect-to', value, IMAGE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe('agent --connect-to', () => {
  it('the agent probes through the route too', async () => {
    const r = await runCli([
      'agent',
      '--once',
      '--node',
      'n1',
      '--listen',
      'off',
      '--root',
      root(false),
      '--image',
      IMAGE,
      '--connect-to',
      `mirror.corp.example:5000=127.0.0.1:${rightPort}`,
    ]);
    const findings = (JSON.parse(r.stdout) as { findings: { id: string; message: string }[] }).findings;
    // Reached (so routed): the lab CA is missing from this root, and the finding says so by name.
    const tls = findings.find(
      (f) => f.message.includes('mirror.corp.example:5000') && /certificate|x509/.test(f.message),
    );
    expect(tls, JSON.stringify(findings, null, 2)).toBeDefined();
    expect(JSON.stringify(findings)).not.toMatch(/ENOTFOUND|EAI_AGAIN/);
  });
});

describe('connect routes', () => {
  it('an exact port wins over a host-wide route; IPv6 targets keep their brackets out', () => {
    const routes = parseConnectTo([
      'a.example=127.0.0.1:1',
      'a.example:5000=127.0.0.2:2',
      '[::1]:80=[::1]:3',
    ]);
    expect(routes[2]).toEqual({ host: '::1', port: 80, address: '::1', targetPort: 3 });
    const restore = installConnectRoutes({ routes, exclusive: false, scope: 'test' });
    try {
      expect(connectTarget('a.example', 5000)).toEqual({ address: '127.0.0.2', port: 2 });
      expect(connectTarget('A.EXAMPLE', 443)).toEqual({ address: '127.0.0.1', port: 1 });
      expect(connectTarget('b.example', 443)).toBeNull();
    } finally {
      restore();
    }
  });

  it('exclusive routes refuse every other name before any lookup, but let IP addresses through', () => {
    const restore = installConnectRoutes({
      routes: parseConnectTo(['a.example=127.0.0.1:1']),
      exclusive: true,
      scope: 'the embedded lab',
    });
    try {
      expect(() => connectTarget('b.example', 443)).toThrow(
        'b.example:443 is not part of the embedded lab: no connection attempted (and no DNS lookup)',
      );
      expect(connectTarget('127.0.0.1', 8080)).toBeNull();
    } finally {
      restore();
    }
  });
});
