// X.509 certificates made in-process for the embedded lab: a CA and server certificates it signs.
// Node can parse certificates (crypto.X509Certificate) but not create them, and the lab must start
// with no network and no openssl binary; the certificate is one fixed DER template (RFC 5280), so
// a small encoder here beats a dependency. Keys are ECDSA P-256 (fast to generate), signatures
// ecdsa-with-SHA256.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import net from 'node:net';

// --- DER --------------------------------------------------------------------------------------------

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(value.length), value]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const octets = (value: Buffer): Buffer => tlv(0x04, value);
const utf8 = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'));
const explicit = (n: number, value: Buffer): Buffer => tlv(0xa0 | n, value);
const bool = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0]));

function bitString(value: Buffer, unusedBits = 0): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), value]));
}

/** A non-negative INTEGER from big-endian bytes. */
function integer(value: Buffer): Buffer {
  let v = value;
  while (v.length > 1 && v[0] === 0 && v[1]! < 0x80) v = v.subarray(1);
  if (v[0]! >= 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return tlv(0x02, v);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out = [40 * parts[0]! + parts[1]!];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f];
    for (let v = part >>> 7; v > 0; v >>>= 7) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  // RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(digits.slice(2)))
    : tlv(0x18, Buffer.from(digits));
}

// --- certificate ------------------------------------------------------------------------------------

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyId: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyId: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

function name(commonName: string): Buffer {
  return seq(
    set(seq(oid(OID.organization), utf8('mirrorscope embedded lab'))),
    set(seq(oid(OID.commonName), utf8(commonName))),
  );
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

function keyId(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha1').update(spki).digest();
}

function altNames(names: readonly string[]): Buffer {
  return seq(
    ...names.map((n) => {
      if (net.isIPv4(n)) return tlv(0x87, Buffer.from(n.split('.').map(Number)));
      return tlv(0x82, Buffer.from(n, 'ascii'));
    }),
  );
}

export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export interface Certificate {
  readonly pem: string;
  readonly keyPem: string;
  readonly key: KeyPair;
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

interface CertificateSpec {
  readonly subject: string;
  readonly key: KeyPair;
  readonly issuer: { readonly subject: string; readonly key: KeyPair };
  readonly ca: boolean;
  readonly dnsNames?: readonly string[];
  readonly validDays: number;
}

function build(spec: CertificateSpec): Certificate {
  const now = Date.now();
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const extensions = spec.ca
    ? [
        extension(OID.basicConstraints, true, seq(bool(true))),
        // keyCertSign (bit 5) and cRLSign (bit 6): 0b0000_0110, one unused bit.
        extension(OID.keyUsage, true, bitString(Buffer.from([0x06]), 1)),
        extension(OID.subjectKeyId, false, octets(keyId(spec.key.publicKey))),
      ]
    : [
        extension(OID.basicConstraints, true, seq()),
        // digitalSignature (bit 0), seven unused bits.
        extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)),
        extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth))),
        extension(OID.subjectAltName, false, altNames(spec.dnsNames ?? [])),
        extension(OID.authorityKeyId, false, seq(tlv(0x80, keyId(spec.issuer.key.publicKey)))),
      ];
  const algorithm = seq(oid(OID.ecdsaWithSha256));
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    algorithm,
    name(spec.issuer.subject),
    seq(time(new Date(now - 3600_000)), time(new Date(now + spec.validDays * 86_400_000))),
    name(spec.subject),
    spec.key.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, spec.issuer.key.privateKey);
  const der = seq(tbs, algorithm, bitString(signature));
  return {
    pem: pem('CERTIFICATE', der),
    keyPem: spec.key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    key: spec.key,
  };
}

function newKey(): KeyPair {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

export interface CertificateAuthority {
  readonly subject: string;
  readonly certificate: Certificate;
  /** A server certificate for these names (DNS names or IPv4 addresses), signed by this CA. */
  issue(names: readonly string[], validDays?: number): Certificate;
}

export function createCertificateAuthority(subject: string, validDays = 30): CertificateAuthority {
  const key = newKey();
  const certificate = build({ subject, key, issuer: { subject, key }, ca: true, validDays });
  return {
    subject,
    certificate,
    issue: (names, days = validDays) =>
      build({
        subject: names[0] ?? 'server',
        key: newKey(),
        issuer: { subject, key },
        ca: false,
        dnsNames: names,
        validDays: days,
      }),
  };
}
