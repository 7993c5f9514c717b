// Registry clients kept between traces in one process (the agent), keyed by everything that changes
// how a source is contacted: host, insecure, the certs.d content and the credentials. A changed auth
// file or CA therefore gets a fresh client; the fingerprint is an in-memory hash, never output.
import { createHash } from 'node:crypto';
import type { CertFile } from '../host/certs-d.js';
import { RegistryClient, type RegistryClientConfig } from './registry-client.js';

/**
 * The node's system trust bundle is large, and one object serves every client of a configuration:
 * its content is hashed once per object, not per client lookup (its length alone would let a changed
 * bundle of the same size pass for the old one).
 */
const bundleDigests = new WeakMap<CertFile, string>();

function bundleDigest(bundle: CertFile): string {
  let digest = bundleDigests.get(bundle);
  if (digest === undefined) {
    digest = createHash('sha256').update(bundle.pem).digest('hex');
    bundleDigests.set(bundle, digest);
  }
  return digest;
}

function fingerprint(config: RegistryClientConfig): string {
  const h = createHash('sha256');
  const creds = config.credentials.reveal();
  for (const part of [
    config.host,
    String(config.insecure),
    String(config.timeoutMs),
    config.userAgent,
    creds.username,
    creds.password,
    creds.identityToken,
  ]) {
    h.update(part).update('\u0000');
  }
  const system = config.tls.system;
  h.update(system ? `${system.file}:${bundleDigest(system)}` : 'node-roots').update('\u0000');
  for (const f of [...config.tls.cas, config.tls.clientCert, config.tls.clientKey]) {
    if (f === null) h.update('-');
    else h.update(f.file).update(f.pem);
    h.update('\u0000');
  }
  return h.digest('hex');
}

/** A long-running agent sees configurations come and go; the least recently used clients are closed. */
const MAX_CLIENTS = 256;

export class ClientCache {
  private readonly clients = new Map<string, RegistryClient>();

  get(config: RegistryClientConfig): RegistryClient {
    const key = fingerprint(config);
    let client = this.clients.get(key);
    if (client !== undefined) {
      // Map order is insertion order: re-insert to mark it recently used.
      this.clients.delete(key);
      this.clients.set(key, client);
      return client;
    }
    client = new RegistryClient(config);
    this.clients.set(key, client);
    if (this.clients.size > MAX_CLIENTS) {
      const [oldestKey, oldest] = this.clients.entries().next().value as [string, RegistryClient];
      oldest.close();
      this.clients.delete(oldestKey);
    }
    return client;
  }

  get size(): number {
    return this.clients.size;
  }

  /** Closes every keep-alive connection; the cache can be used again afterwards. */
  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
