// Portieris' `decodeArmoredKey` (pkg/verifier/simple/gpgArmour.go, over x/crypto/openpgp/armor): the
// key Secret's `key` must be one ASCII-armored "PGP PUBLIC KEY BLOCK"; the error texts are its own.

const BEGIN = /^-----BEGIN (.+)-----[ \t]*$/;

export type ArmorDecode =
  { readonly ok: true; readonly data: Uint8Array } | { readonly ok: false; readonly error: string };

/** OpenPGP's CRC-24 (RFC 4880 §6.1). */
function crc24(data: Uint8Array): number {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

export function decodeArmoredKey(bytes: Uint8Array): ArmorDecode {
  if (bytes.length === 0) return { ok: false, error: 'Key: empty' };
  const lines = new TextDecoder().decode(bytes).split(/\r?\n/);
  const start = lines.findIndex((l) => BEGIN.test(l));
  // armor.Decode reads to the end looking for a BEGIN line: io.EOF, which Portieris words this way.
  if (start < 0) return { ok: false, error: 'Unable to decode key: EOF' };
  const type = BEGIN.exec(lines[start]!)![1]!;
  let i = start + 1;
  while (i < lines.length && lines[i]!.trim() !== '' && lines[i]!.includes(':')) i++;
  if (i < lines.length && lines[i]!.trim() === '') i++;
  let body = '';
  let checksum: string | null = null;
  for (; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.startsWith('-----END ')) break;
    if (line.startsWith('=')) checksum = line.slice(1);
    else body += line;
  }
  if (type !== 'PGP PUBLIC KEY BLOCK')
    return { ok: false, error: `Expected "PGP PUBLIC KEY BLOCK" not found: ${type}` };
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || (checksum !== null && !/^[A-Za-z0-9+/]{4}$/.test(checksum)))
    return { ok: false, error: 'illegal base64 data' };
  const data = new Uint8Array(Buffer.from(body, 'base64'));
  if (checksum !== null) {
    const want = Buffer.from(checksum, 'base64');
    if (((want[0]! << 16) | (want[1]! << 8) | want[2]!) !== crc24(data))
      return { ok: false, error: 'openpgp: invalid data: armor invalid' };
  }
  return { ok: true, data };
}
