// Real image signatures for the embedded lab: GPG "simple signing" (an OpenPGP-signed JSON payload,
// what `skopeo copy --sign-by` writes to a lookaside store) made with openpgp, and sigstore (cosign)
// attachments: an ECDSA P-256 signature over the payload, stored as the `sha256-HEX.sig` OCI artifact.
import { generateKeyPairSync, sign } from 'node:crypto';
import { buildArtifact, type OciImage } from './oci.js';

/** The JSON both signature formats sign: what the image is (digest) and what it is called (identity). */
function signaturePayload(type: string, identity: string, digest: string, optional: unknown): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': identity },
        image: { 'docker-manifest-digest': digest },
        type,
      },
      optional,
    }),
  );
}

export interface GpgSigner {
  /** The public key, binary (what a policy's `keyPath` names). */
  readonly publicKey: Buffer;
  /** A simple-signing signature of `digest` for `identity` (a docker reference). */
  sign(identity: string, digest: string): Promise<Buffer>;
}

export async function createGpgSigner(name: string, email: string): Promise<GpgSigner> {
  const openpgp = await import('openpgp');
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    userIDs: [{ name, email }],
    format: 'object',
  });
  return {
    publicKey: Buffer.from(publicKey.write()),
    async sign(identity, digest) {
      const payload = signaturePayload('atomic container signature', identity, digest, {
        creator: 'mirrorscope embedded lab',
        timestamp: Math.floor(Date.now() / 1000),
      });
      const signed = await openpgp.sign({
        message: await openpgp.createMessage({ binary: payload }),
        signingKeys: privateKey,
        format: 'binary',
      });
      return Buffer.from(signed as Uint8Array);
    },
  };
}

export interface SigstoreSigner {
  /** PEM public key (a `sigstoreSigned` policy's `keyPath`). */
  readonly publicKeyPem: string;
  /** The attachment artifact for `digest`, to store under tag `sha256-HEX.sig`. */
  attachment(identity: string, digest: string): OciImage;
}

export function createSigstoreSigner(): SigstoreSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    attachment(identity, digest) {
      const payload = signaturePayload('cosign container image signature', identity, digest, null);
      return buildArtifact([
        {
          mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
          bytes: payload,
          annotations: {
            'dev.cosignproject.cosign/signature': sign('sha256', payload, privateKey).toString('base64'),
          },
        },
      ]);
    },
  };
}

export function sigstoreTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}
