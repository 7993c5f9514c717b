// Ignition file contents are RFC 2397 data URLs (`data:,<percent-encoded>` or `data:[type];base64,…`),
// optionally gzip-compressed. Decoding is byte-exact: the digests compared with the node's files
// must be of the bytes the machine-config-daemon writes.
import { gunzipSync } from 'node:zlib';

/** A rendered MachineConfig holds a whole node's files; no single file of interest is this large. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;

export class DataUrlError extends Error {}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/** Percent-decoding to bytes (decodeURIComponent would refuse bytes that are not UTF-8). */
function percentDecode(text: string): Buffer {
  const raw = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (byte === 0x25) {
      const hi = i + 2 < raw.length ? hexValue(raw[i + 1]!) : -1;
      const lo = i + 2 < raw.length ? hexValue(raw[i + 2]!) : -1;
      if (hi < 0 || lo < 0) throw new DataUrlError(`invalid percent-escape at byte ${i} of the data URL`);
      out[n++] = (hi << 4) | lo;
      i += 2;
    } else out[n++] = byte;
  }
  return out.subarray(0, n);
}

/** The bytes of a data URL; `compression` is Ignition's `contents.compression` ("" or "gzip"). */
export function decodeDataUrl(source: string, compression: string): Buffer {
  if (!source.startsWith('data:')) throw new DataUrlError(`not a data URL (${source.slice(0, 40)})`);
  const comma = source.indexOf(',');
  if (comma < 0) throw new DataUrlError('data URL without a comma');
  const header = source.slice(5, comma);
  const payload = source.slice(comma + 1);
  const data = header.split(';').some((p) => p.trim().toLowerCase() === 'base64')
    ? Buffer.from(payload, 'base64')
    : percentDecode(payload);
  if (compression === '') return data;
  if (compression !== 'gzip') throw new DataUrlError(`unsupported compression "${compression}"`);
  try {
    return gunzipSync(data, { maxOutputLength: MAX_FILE_BYTES });
  } catch (err) {
    throw new DataUrlError(`gzip: ${(err as Error).message}`);
  }
}
