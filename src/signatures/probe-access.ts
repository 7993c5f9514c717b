// Signature access through the trace's registry client: the ping (for the signature extension
// header) and manifests go through it, authenticated; other paths use the scheme the ping chose.
import type { RegistryClient } from '../probe/registry-client.js';
import { createSignatureHttp, type SignatureHttp } from './http-get.js';
import type { SignatureRegistryAccess } from './registry-signatures.js';

const noLog = (): void => {};

export function accessFromRegistryClient(
  client: RegistryClient,
  http?: SignatureHttp,
): SignatureRegistryAccess & { close(): void } {
  const own =
    http ??
    createSignatureHttp({
      timeoutMs: client.config.timeoutMs,
      insecureTls: client.config.insecure,
      ca: client.config.tls.cas.map((c) => c.pem.toString('utf8')),
    });
  return {
    host: client.config.host,
    async supportsSignatureExtension() {
      return (await client.ping(noLog)).supportsSignatures;
    },
    async manifest(repoPath, tagOrDigest) {
      const answer = await client.manifest(repoPath, tagOrDigest, 'GET', noLog);
      return {
        status: answer.status,
        mediaType: answer.mediaType,
        bytes: answer.bytes === null ? null : new Uint8Array(answer.bytes),
      };
    },
    async get(path) {
      const ping = await client.ping(noLog);
      const answer = await own.get(new URL(`${ping.scheme}://${client.config.host}${path}`));
      return { status: answer.status, body: new Uint8Array(answer.body) };
    },
    close() {
      if (http === undefined) own.close();
    },
  };
}
