import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  evaluatePolicy,
  SignatureFetchError,
  type KeyLoad,
  type SignatureSet,
} from '../../src/core/policy/evaluate.js';
import { matchesSignedIdentity } from '../../src/core/policy/identity-match.js';
import { parsePolicy } from '../../src/core/policy/parse-policy.js';
import { requirementsFor } from '../../src/core/policy/select-scope.js';
import type { IdentityMatch, KeySource } from '../../src/core/policy/types.js';
import { parseNormalizedNamed } from '../../src/core/reference/reference.js';
import { sha256Digest } from '../../src/core/signatures/payload.js';

const manifest = new TextEncoder().encode(
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}',
);
const digest = sha256Digest(manifest);
const otherDigest = sha256Digest(new TextEncoder().encode('other'));

function payload(reference: string, d = digest, type = 'atomic container signature'): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      critical: { identity: { 'docker-reference': reference }, image: { 'docker-manifest-digest': d }, type },
      optional: { creator: 'test', timestamp: 1 },
    }),
  );
}

let signer: { priv: openpgp.PrivateKey; pub: Uint8Array };
let stranger: { priv: openpgp.PrivateKey; pub: Uint8Array };

async function newKey(name: string) {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [{ name }],
    format: 'object',
  });
  return { priv: privateKey, pub: publicKey.write() as Uint8Array };
}

async function gpgSign(data: Uint8Array, key: openpgp.PrivateKey): Promise<Uint8Array> {
  const message = await openpgp.createMessage({ binary: data });
  return (await openpgp.sign({ message, signingKeys: key, format: 'binary' })) as Uint8Array;
}

beforeAll(async () => {
  signer = await newKey('signer');
  stranger = await newKey('stranger');
});

const POLICY = (extra = '') => `{
  "default": [{"type": "reject"}],
  "transports": {"docker": {
    "reg.example/signed": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/etc/pki/signer.gpg"${extra}}],
    "reg.example/open": [{"type": "insecureAcceptAnything"}],
    "reg.example/nokey": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/etc/pki/absent.gpg"}]
  }}
}`;

function loader(files: Record<string, Uint8Array>): (s: KeySource) => Promise<KeyLoad> {
  return async (source) => {
    if (source.kind === 'keyData') return { ok: true, blobs: [source.data] };
    if (source.kind !== 'keyPath') throw new Error('test loader handles keyPath and keyData only');
    const blob = files[source.path];
    return blob === undefined
      ? { ok: false, error: `open ${source.path}: no such file or directory`, missingPath: source.path }
      : { ok: true, blobs: [blob] };
  };
}

async function evaluate(image: string, signatures: SignatureSet | Error, policyText = POLICY()) {
  const policy = parsePolicy({ path: '/etc/containers/policy.json', text: policyText });
  const logical = parseNormalizedNamed(image);
  let fetched = 0;
  const verdict = await evaluatePolicy({
    logical,
    manifest,
    requirements: requirementsFor(policy, logical),
    fetchSignatures: async () => {
      fetched++;
      if (signatures instanceof Error) throw signatures;
      return signatures;
    },
    loadKeys: loader({ '/etc/pki/signer.gpg': signer.pub }),
  });
  return { verdict, fetched };
}

const simple = (...blobs: Uint8Array[]): SignatureSet => ({ simpleSigning: blobs, sigstore: [] });

describe('signedBy evaluation with real OpenPGP signatures', () => {
  it('accepts a signature by the policy key for the requested tag', async () => {
    const sig = await gpgSign(payload('reg.example/signed/app:v1'), signer.priv);
    const { verdict } = await evaluate('reg.example/signed/app:v1', simple(sig));
    expect(verdict).toMatchObject({
      allowed: true,
      required: true,
      outcome: 'verified',
      reason: null,
      signatureCount: 1,
    });
    expect(verdict.verifiedBy).toBe(signer.priv.getFingerprint().toUpperCase());
  });

  it('no signature: the upstream text', async () => {
    const { verdict } = await evaluate('reg.example/signed/app:v1', simple());
    expect(verdict).toMatchObject({
      allowed: false,
      outcome: 'missing',
      reason: 'A signature was required, but no signature exists',
    });
  });

  it('a key the policy does not trust', async () => {
    const sig = await gpgSign(payload('reg.example/signed/app:v1'), stranger.priv);
    const { verdict } = await evaluate('reg.example/signed/app:v1', simple(sig));
    expect(verdict.outcome).toBe('invalid');
    expect(verdict.reason).toBe(`Key not found for key ID ${stranger.priv.getKeyID().toHex()} in signature`);
  });

  it('a tampered signature is refused', async () => {
    const sig = await gpgSign(payload('reg.example/signed/app:v1'), signer.priv);
    const tampered = new Uint8Array(sig);
    const at = tampered.length - 20;
    tampered[at] = tampered[at]! ^ 0xff;
    const { verdict } = await evaluate('reg.example/signed/app:v1', simple(tampered));
    expect(verdict.allowed).toBe(false);
    expect(verdict.outcome).toBe('invalid');
    expect(verdict.reason).toMatch(/^(signature error|Invalid GPG signature): /);
  });

  it('identity and digest mismatches give their reasons; several rejections are joined', async () => {
    const wrongIdentity = await gpgSign(payload('reg.example/signed/other:v1'), signer.priv);
    const wrongDigest = await gpgSign(payload('reg.example/signed/app:v1', otherDigest), signer.priv);
    expect((await evaluate('reg.example/signed/app:v1', simple(wrongIdentity))).verdict.reason).toBe(
      'Signature for identity "reg.example/signed/other:v1" is not accepted',
    );
    expect((await evaluate('reg.example/signed/app:v1', simple(wrongDigest))).verdict.reason).toBe(
      `Signature for digest ${otherDigest} does not match`,
    );
    expect(
      (await evaluate('reg.example/signed/app:v1', simple(wrongIdentity, wrongDigest))).verdict.reason,
    ).toBe(
      `None of the signatures were accepted, reasons: Signature for identity "reg.example/signed/other:v1" is not accepted; Signature for digest ${otherDigest} does not match`,
    );
  });

  it('one good signature among bad ones is enough', async () => {
    const bad = await gpgSign(payload('reg.example/signed/other:v1'), signer.priv);
    const good = await gpgSign(payload('reg.example/signed/app:v1'), signer.priv);
    expect((await evaluate('reg.example/signed/app:v1', simple(bad, good))).verdict.outcome).toBe('verified');
  });

  it('checks the payload as strictly as c/image', async () => {
    const wrongType = await gpgSign(
      payload('reg.example/signed/app:v1', digest, 'cosign container image signature'),
      signer.priv,
    );
    expect((await evaluate('reg.example/signed/app:v1', simple(wrongType))).verdict.reason).toBe(
      'Unrecognized signature type cosign container image signature',
    );
    const extra = await gpgSign(new TextEncoder().encode('{"critical":{},"optional":{},"x":1}'), signer.priv);
    expect((await evaluate('reg.example/signed/app:v1', simple(extra))).verdict.reason).toBe(
      'Unknown key "x"',
    );
  });

  it('a keyPath absent on the node refuses every signature (and only when there is one)', async () => {
    const sig = await gpgSign(payload('reg.example/nokey/app:v1'), signer.priv);
    const { verdict } = await evaluate('reg.example/nokey/app:v1', simple(sig));
    expect(verdict).toMatchObject({
      outcome: 'invalid',
      reason: 'open /etc/pki/absent.gpg: no such file or directory',
      missingKeyPath: '/etc/pki/absent.gpg',
    });
    expect((await evaluate('reg.example/nokey/app:v1', simple())).verdict.outcome).toBe('missing');
  });

  it('a signature store that cannot be read fails the evaluation', async () => {
    const { verdict } = await evaluate(
      'reg.example/signed/app:v1',
      new SignatureFetchError(
        'reading signature from http://x/y: status 500 (Internal Server Error)',
        'http://x/y',
      ),
    );
    expect(verdict).toMatchObject({
      allowed: false,
      outcome: 'store-unreachable',
      reason: 'reading signature from http://x/y: status 500 (Internal Server Error)',
    });
  });
});

describe('requirements without signatures', () => {
  it('reject names the logical image; insecureAcceptAnything never fetches signatures', async () => {
    const rejected = await evaluate('quay.io/x/y:1', simple());
    expect(rejected.verdict).toMatchObject({
      outcome: 'rejected',
      reason: 'Running image docker://quay.io/x/y:1 is rejected by policy.',
      required: false,
    });
    expect(rejected.fetched).toBe(0);
    const open = await evaluate('reg.example/open/y:1', new Error('must not be called'));
    expect(open.verdict).toMatchObject({ allowed: true, outcome: 'not-required', required: false });
    expect(open.fetched).toBe(0);
  });
});

describe('sigstoreSigned with a public key (cosign attachments)', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const policyText = `{"default":[{"type":"sigstoreSigned","keyData":"${Buffer.from(pem).toString('base64')}"}]}`;
  const attachment = (reference: string, key = privateKey) => {
    const body = payload(reference, digest, 'cosign container image signature');
    return {
      mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
      payload: body,
      annotations: {
        'dev.cosignproject.cosign/signature': cryptoSign('sha256', body, key).toString('base64'),
      },
    };
  };
  it('verifies with the right key and refuses another key or identity', async () => {
    const ok = await evaluate(
      'reg.example/c/app:v1',
      { simpleSigning: [], sigstore: [attachment('reg.example/c/app:v1')] },
      policyText,
    );
    expect(ok.verdict.outcome).toBe('verified');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const wrongKey = await evaluate(
      'reg.example/c/app:v1',
      { simpleSigning: [], sigstore: [attachment('reg.example/c/app:v1', other)] },
      policyText,
    );
    expect(wrongKey.verdict.reason).toBe(
      'cryptographic signature verification failed: invalid signature when validating ASN.1 encoded signature',
    );
    const wrongId = await evaluate(
      'reg.example/c/app:v1',
      { simpleSigning: [], sigstore: [attachment('reg.example/c/other:v1')] },
      policyText,
    );
    expect(wrongId.verdict.reason).toBe('Signature for identity "reg.example/c/other:v1" is not accepted');
  });
  it('counts the other kinds when no sigstore signature exists', async () => {
    const { verdict } = await evaluate(
      'reg.example/c/app:v1',
      { simpleSigning: [new Uint8Array([1])], sigstore: [] },
      policyText,
    );
    expect(verdict.reason).toBe(
      'A signature was required, but no signature exists (1 non-sigstore signatures, 0 sigstore non-signature attachments)',
    );
  });
});

describe('signedIdentity rules', () => {
  const d = `sha256:${'a'.repeat(64)}`;
  const cases: [IdentityMatch, string, string, boolean][] = [
    [{ type: 'matchRepoDigestOrExact' }, 'busybox:latest', 'docker.io/library/busybox:latest', true],
    [{ type: 'matchRepoDigestOrExact' }, 'busybox:latest', 'busybox:1', false],
    [{ type: 'matchRepoDigestOrExact' }, `busybox@${d}`, 'busybox:any', true],
    [{ type: 'matchRepoDigestOrExact' }, 'busybox:latest', 'busybox', false],
    [{ type: 'matchExact' }, `busybox@${d}`, `busybox@${d}`, true],
    [{ type: 'matchExact' }, `busybox@${d}`, 'busybox:latest', false],
    [{ type: 'matchRepository' }, 'busybox:latest', 'busybox', true],
    [{ type: 'exactReference', dockerReference: 'quay.io/a/b:1' }, 'busybox:latest', 'quay.io/a/b:1', true],
    [{ type: 'exactRepository', dockerRepository: 'quay.io/a/b' }, 'busybox:latest', 'quay.io/a/b:9', true],
    [
      { type: 'remapIdentity', prefix: 'mirror.example/ns', signedPrefix: 'quay.io/ns' },
      'mirror.example/ns/app:v1',
      'quay.io/ns/app:v1',
      true,
    ],
    [
      { type: 'remapIdentity', prefix: 'mirror.example/ns', signedPrefix: 'quay.io/ns' },
      'mirror.example/nsx/app:v1',
      'quay.io/nsx/app:v1',
      false,
    ],
    [
      { type: 'remapIdentity', prefix: 'docker.io', signedPrefix: 'not-docker-signed.example' },
      'busybox:1',
      'not-docker-signed.example/library/busybox:1',
      true,
    ],
    [
      { type: 'remapIdentity', prefix: 'mirror.example/ns/image', signedPrefix: 'notlocalhost' },
      'mirror.example/ns/image:tag',
      'notlocalhost:tag',
      false,
    ],
    [{ type: 'matchRepository' }, 'busybox:latest', 'Not A Reference', false],
  ];
  it.each(cases)('%j: intended %s, signed %s → %s', (rule, intended, signed, expected) => {
    expect(matchesSignedIdentity(rule, parseNormalizedNamed(intended), signed)).toBe(expected);
  });
});
