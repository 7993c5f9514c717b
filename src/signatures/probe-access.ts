// Signature access through the trace's registry client: the ping (for the signature extension
// header), manifests and other repository paths all go through it, authenticated with the pull
// credentials of that source, as containers/image does.
import type { RegistryClient } from '../probe/registry-client.js';
import type { SignatureRegistryAccess } from './registry-signatures.js';

/** containers/image's cap on one signature (`maxSignatureBodySize`); also bounds attachment blobs. */
const MAX_SIGNATURE_FETCH_BYTES = 4 * 1024 * 1024;

const noLog = (): void => {};

export function accessFromRegistryClient(client: RegistryClient): SignatureRegistryAccess {
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
    async get(repoPath, path) {
      const answer = await client.get(repoPath, path, MAX_SIGNATURE_FETCH_BYTES, noLog);
      return { status: answer.status, body: new Uint8Array(answer.body) };
    },
  };
}
