// Verifies cosign-style sigstore attachments with public keys (Node crypto), as containers/image's
// `sigstoreSigned` does with `keyPath`/`keyData`. Fulcio and Rekor are out of scope.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';

export const COSIGN_SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';

export interface SigstoreAttachment {
  readonly mediaType: string;
  readonly payload: Uint8Array;
  readonly annotations: Readonly<Record<string, string>>;
}

/** PEM (or DER SPKI) public keys; entries that are not keys are reported, as c/image does. */
export function importSigstoreKeys(blobs: readonly Uint8Array[]): {
  keys: KeyObject[];
  error: string | null;
} {
  const keys: KeyObject[] = [];
  for (const [index, blob] of blobs.entries()) {
    try {
      const text = Buffer.from(blob).toString('utf8');
      keys.push(
        text.includes('-----BEGIN')
          ? createPublicKey(text)
          : createPublicKey({ key: Buffer.from(blob), format: 'der', type: 'spki' }),
      );
    } catch (err) {
      return { keys, error: `parsing public key ${index + 1}: ${(err as Error).message}` };
    }
  }
  return { keys, error: null };
}

/** `VerifySigstorePayload`'s cryptographic part: null when one key verifies, else the reason. */
export function verifySigstoreSignature(
  attachment: SigstoreAttachment,
  keys: readonly KeyObject[],
): string | null {
  const encoded = attachment.annotations[COSIGN_SIGNATURE_ANNOTATION];
  if (encoded === undefined) return `missing ${COSIGN_SIGNATURE_ANNOTATION} annotation`;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    return 'base64 decoding: illegal base64 data at input byte 0';
  }
  const signature = Buffer.from(encoded, 'base64');
  if (keys.length === 0) return 'Need at least one public key to verify the sigstore payload, but got 0';
  const failures: string[] = [];
  for (const key of keys) {
    let ok: boolean;
    try {
      ok = verify('sha256', attachment.payload, key, signature);
    } catch {
      ok = false; // e.g. a signature that is not ASN.1 DER
    }
    if (ok) return null;
    failures.push('invalid signature when validating ASN.1 encoded signature');
  }
  return `cryptographic signature verification failed: ${failures.join(', ')}`;
}
