// The registry clients kept between traces are keyed by everything that decides an answer, so the
// answers kept with them (the agent's manifest and blob answers) are never another client's.
import { describe, expect, it } from 'vitest';
import { Credentials } from '../../src/core/credentials/secret.js';
import { ClientCache } from '../../src/probe/client-cache.js';
import type { RegistryClientConfig } from '../../src/probe/registry-client.js';

const base: RegistryClientConfig = {
  host: '127.0.0.1:5000',
  insecure: false,
  tls: { dir: null, system: null, cas: [], clientCert: null, clientKey: null },
  credentials: Credentials.anonymous,
  credentialsFound: false,
  timeoutMs: 5000,
  userAgent: 'test',
};
const bundle = (pem: string) => ({ file: '/etc/pki/tls/certs/ca-bundle.crt', pem: Buffer.from(pem) });

describe('client cache', () => {
  it('gives another client for another system trust bundle of the same size, the same for the same content', () => {
    const cache = new ClientCache();
    try {
      const a = cache.get({ ...base, tls: { ...base.tls, system: bundle('CA one') } });
      const b = cache.get({ ...base, tls: { ...base.tls, system: bundle('CA two') } });
      const again = cache.get({ ...base, tls: { ...base.tls, system: bundle('CA one') } });
      expect(b).not.toBe(a);
      expect(again).toBe(a);
      expect(cache.get({ ...base, tls: { ...base.tls, cas: [bundle('CA one')] } })).not.toBe(a);
      const as = (password: string) =>
        cache.get({ ...base, credentials: new Credentials({ username: 'u', password, identityToken: '' }) });
      expect(as('p')).not.toBe(as('q'));
      expect(as('p')).toBe(as('p'));
    } finally {
      cache.close();
    }
  });
});
