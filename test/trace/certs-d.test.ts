import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MirrorscopeError } from '../../src/core/errors.js';
import { findCertsDir, findSystemTrust } from '../../src/host/certs-d.js';
import { NodeRoot } from '../../src/host/node-root.js';
import { writeNodeRoot } from '../support/registry-lab.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mirrorscope-certsd-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function root(name: string, files: Record<string, string>): Promise<NodeRoot> {
  return new NodeRoot(await writeNodeRoot(path.join(dir, name), files));
}

describe('certs.d lookup (dockerCertDir + SetupCertificates)', () => {
  it('uses the first EXISTING directory, never merging them', async () => {
    const r = await root('first', {
      '/etc/containers/certs.d/reg.example:5000/readme.txt': 'not a cert',
      '/etc/docker/certs.d/reg.example:5000/ca.crt': 'CA',
    });
    const found = await findCertsDir(r, 'reg.example:5000');
    expect(found.dir).toBe('/etc/containers/certs.d/reg.example:5000');
    expect(found.cas).toEqual([]);
    const docker = await findCertsDir(r, 'other.example');
    expect(docker.dir).toBeNull();
    expect(docker.searched).toEqual([
      '/etc/containers/certs.d/other.example',
      '/etc/docker/certs.d/other.example',
    ]);
  });

  it('the port must match exactly', async () => {
    const r = await root('port', { '/etc/docker/certs.d/reg.example/ca.crt': 'CA' });
    expect((await findCertsDir(r, 'reg.example')).cas.map((c) => c.file)).toEqual([
      '/etc/docker/certs.d/reg.example/ca.crt',
    ]);
    expect((await findCertsDir(r, 'reg.example:443')).dir).toBeNull();
  });

  it('reads *.crt as CAs in name order and *.cert/*.key as a client pair', async () => {
    const r = await root('pair', {
      '/etc/containers/certs.d/h/b.crt': 'B',
      '/etc/containers/certs.d/h/a.crt': 'A',
      '/etc/containers/certs.d/h/client.cert': 'C',
      '/etc/containers/certs.d/h/client.key': 'K',
    });
    const found = await findCertsDir(r, 'h');
    expect(found.cas.map((c) => c.pem.toString())).toEqual(['A', 'B']);
    expect(found.clientCert?.file).toBe('/etc/containers/certs.d/h/client.cert');
    expect(found.clientKey?.file).toBe('/etc/containers/certs.d/h/client.key');
  });

  it('a lone key is an error with the upstream text', async () => {
    const r = await root('lone', { '/etc/containers/certs.d/h/client.key': 'K' });
    const err = await findCertsDir(r, 'h').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MirrorscopeError);
    expect((err as MirrorscopeError).message).toBe(
      '/etc/containers/certs.d/h: missing client certificate client.cert for key client.key',
    );
  });

  it("finds the node's system trust bundle where Go looks for it", async () => {
    const rhel = await root('rhel', { '/etc/pki/tls/certs/ca-bundle.crt': 'RHEL' });
    expect((await findSystemTrust(rhel))?.file).toBe('/etc/pki/tls/certs/ca-bundle.crt');
    const none = await root('none', {});
    expect(await findSystemTrust(none)).toBeNull();
  });
});
