// Verifies a GPG simple-signing signature with openpgp.js: the cryptographic check that gpgme does
// for containers/image. No files: keys arrive as bytes. The reason texts follow c/image's openpgp
// mechanism (`signature/mechanism_openpgp.go`), since gpgme's own text embeds a Go struct dump.
import { createHash } from 'node:crypto';
import type * as OpenPgpModule from 'openpgp';
import type { Key } from 'openpgp';

type OpenPgp = typeof OpenPgpModule;
let openpgpModule: Promise<OpenPgp> | undefined;

function openpgp(): Promise<OpenPgp> {
  openpgpModule ??= import('openpgp');
  return openpgpModule;
}

export interface GpgKeyring {
  readonly keys: readonly Key[];
  /** Upper-case primary key fingerprints: the "trusted identities" of c/image. */
  readonly fingerprints: readonly string[];
}

const KEYRING_CACHE_SIZE = 64;
const keyringCache = new Map<string, Promise<GpgKeyring>>();

/**
 * Imports every key of every blob (armored or binary). Blobs that hold no key import nothing, as with
 * gpgme. Parsed keyrings are kept by content, since the same policy keys verify every pull.
 */
export function importKeys(blobs: readonly Uint8Array[]): Promise<GpgKeyring> {
  const hash = createHash('sha256');
  for (const blob of blobs) hash.update(String(blob.length)).update(':').update(blob);
  const key = hash.digest('hex');
  let cached = keyringCache.get(key);
  if (cached === undefined) {
    cached = parseKeys(blobs);
    if (keyringCache.size >= KEYRING_CACHE_SIZE) keyringCache.delete(keyringCache.keys().next().value!);
    keyringCache.set(key, cached);
  }
  return cached;
}

async function parseKeys(blobs: readonly Uint8Array[]): Promise<GpgKeyring> {
  const pgp = await openpgp();
  const keys: Key[] = [];
  for (const blob of blobs) {
    const text = new TextDecoder().decode(blob.subarray(0, 64));
    try {
      const read = text.includes('-----BEGIN PGP')
        ? await pgp.readKeys({ armoredKeys: new TextDecoder().decode(blob) })
        : await pgp.readKeys({ binaryKeys: blob });
      for (const key of read) keys.push(key); // a keyring may hold more keys than arguments fit
    } catch {
      // Not key material: contributes no key.
    }
  }
  return { keys, fingerprints: keys.map((k) => k.getFingerprint().toUpperCase()) };
}

export type GpgVerification =
  | { readonly ok: true; readonly content: Uint8Array; readonly keyFingerprint: string }
  | { readonly ok: false; readonly reason: string };

/** `mechanism.Verify`: the signed content and the primary key that signed it. */
export async function verifyGpgSignature(
  signature: Uint8Array,
  keyring: GpgKeyring,
): Promise<GpgVerification> {
  const pgp = await openpgp();
  let message;
  try {
    message = await pgp.readMessage({ binaryMessage: signature });
  } catch (err) {
    return { ok: false, reason: `Invalid GPG signature: ${(err as Error).message}` };
  }
  let result;
  try {
    result = await pgp.verify({
      message,
      verificationKeys: [...keyring.keys],
      format: 'binary',
      expectSigned: false,
    });
  } catch (err) {
    return { ok: false, reason: `Invalid GPG signature: ${(err as Error).message}` };
  }
  const sig = result.signatures[0];
  if (sig === undefined) return { ok: false, reason: 'not signed' };
  const keyId = sig.keyID.toHex();
  const signer = keyring.keys.find((k) => k.getKeys(sig.keyID).length > 0);
  if (signer === undefined) return { ok: false, reason: `Key not found for key ID ${keyId} in signature` };
  try {
    await sig.verified;
  } catch (err) {
    return { ok: false, reason: `signature error: ${(err as Error).message}` };
  }
  const content =
    result.data instanceof Uint8Array ? result.data : new TextEncoder().encode(String(result.data));
  return { ok: true, content, keyFingerprint: signer.getFingerprint().toUpperCase() };
}

/** `FromBlob`'s format check for a lookaside blob; null when it looks like an OpenPGP message. */
export function simpleSigningBlobError(blob: Uint8Array): string | null {
  if (blob.length === 0) return 'empty signature blob';
  const first = blob[0]!;
  const openpgpStarts = [
    0xa0, 0xa1, 0xa2, 0xa3, 0xc8, 0x90, 0x91, 0x92, 0x3d, 0xc4, 0x88, 0x89, 0x8a, 0x8b, 0xc2,
  ];
  if (openpgpStarts.includes(first)) return null;
  if (first === 0x00) {
    const newline = blob.indexOf(0x0a, 1);
    if (newline === -1) return 'invalid signature format, missing newline';
    const format = Buffer.from(blob.subarray(1, newline)).toString('latin1');
    for (const ch of format) {
      const c = ch.charCodeAt(0);
      if (c < 32 || c >= 0x7f) return `invalid signature format, non-ASCII byte 0x${c.toString(16)}`;
    }
    if (format === 'simple-signing' || format === 'sigstore-json') return null;
    return `unrecognized signature format "${format}"`;
  }
  return `unrecognized signature format, starting with binary 0x${first.toString(16)}`;
}

/** The simple-signing bytes inside a lookaside blob (which may carry the `\0simple-signing\n` header). */
export function simpleSigningBytes(blob: Uint8Array): Uint8Array | null {
  if (blob[0] !== 0x00) return blob;
  const newline = blob.indexOf(0x0a, 1);
  const format = Buffer.from(blob.subarray(1, newline)).toString('latin1');
  return format === 'simple-signing' ? blob.subarray(newline + 1) : null;
}
