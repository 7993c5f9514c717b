// Reads simple-signing signatures from a lookaside store, as containers/image's
// `appendSignaturesFromLookaside`/`getOneSignature`: signature-1, -2, … until the first "missing".
import { MirrorscopeError } from '../core/errors.js';
import { SignatureFetchError } from '../core/policy/evaluate.js';
import { simpleSigningBlobError, simpleSigningBytes } from '../core/signatures/gpg-verify.js';
import {
  formatLookasideUrl,
  redactUrl,
  signatureUrl,
  type LookasideUrl,
} from '../core/signatures/registries-d-lookup.js';
import type { NodeRoot } from '../host/node-root.js';
import { describeTransportFailure, STATUS_TEXT, type FetchBudget, type SignatureHttp } from './http-get.js';

const MAX_LOOKASIDE_SIGNATURES = 128;
/** 128 signatures of up to 4 MiB each would be 512 MiB in memory; mirrorscope stops at this total. */
const MAX_LOOKASIDE_BYTES = 32 * 1024 * 1024;

export interface LookasideRead {
  readonly blobs: Uint8Array[];
  /** Every URL asked, in order (the last one is where the list ended), passwords redacted. */
  readonly urls: string[];
}

function decodePath(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

/** `file:///a/b` → `/a/b` (Go reads URL.Path; the authority of a file URL is ignored). */
function pathOf(url: string): string {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:(?:\/\/[^/]*)?([^?#]*)/.exec(url);
  return m?.[1] ?? url;
}

async function readFileSignature(url: string, root: NodeRoot): Promise<Uint8Array | null> {
  const nodePath = decodePath(pathOf(url));
  let bytes;
  try {
    bytes = await root.readFile(nodePath);
  } catch (err) {
    if (!(err instanceof MirrorscopeError)) throw err;
    throw new SignatureFetchError(err.upstream ?? err.message, redactUrl(url));
  }
  if (bytes === null) return null;
  const blob = new Uint8Array(bytes);
  const bad = simpleSigningBlobError(blob);
  if (bad !== null)
    throw new SignatureFetchError(`parsing signature "${nodePath}": ${bad}`, redactUrl(url), 'malformed');
  return blob;
}

async function readHttpSignature(url: string, http: SignatureHttp): Promise<Uint8Array | null> {
  const shown = redactUrl(url); // Go prints url.Redacted(): never a password
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new SignatureFetchError(`parse "${shown}": ${(err as Error).message}`, shown);
  }
  let answer;
  try {
    answer = await http.get(parsed);
  } catch (err) {
    throw new SignatureFetchError(describeTransportFailure(new URL(shown), err), shown);
  }
  if (answer.status === 404) return null;
  if (answer.status !== 200) {
    throw new SignatureFetchError(
      `reading signature from ${shown}: status ${STATUS_TEXT(answer.status)}`,
      shown,
    );
  }
  const blob = new Uint8Array(answer.body);
  const bad = simpleSigningBlobError(blob);
  if (bad !== null) throw new SignatureFetchError(`parsing signature ${shown}: ${bad}`, shown, 'malformed');
  return blob;
}

export async function readLookaside(
  base: LookasideUrl,
  manifestDigest: string,
  root: NodeRoot,
  http: SignatureHttp,
  budget: FetchBudget | null = null,
): Promise<LookasideRead> {
  const blobs: Uint8Array[] = [];
  const urls: string[] = [];
  let total = 0;
  for (let i = 0; ; i++) {
    if (i >= MAX_LOOKASIDE_SIGNATURES) {
      throw new SignatureFetchError(
        `server provided ${MAX_LOOKASIDE_SIGNATURES} signatures, assuming that's unreasonable and a server error`,
        redactUrl(formatLookasideUrl(base)),
      );
    }
    if (budget !== null && performance.now() > budget.deadline)
      throw new SignatureFetchError(
        `reading signatures from ${redactUrl(formatLookasideUrl(base))} took more than ${budget.ms} ms in all; mirrorscope stops (containers/image would go on)`,
        redactUrl(formatLookasideUrl(base)),
      );
    const url = formatLookasideUrl(signatureUrl(base, manifestDigest, i));
    urls.push(redactUrl(url));
    let blob: Uint8Array | null;
    if (base.scheme === 'file') blob = await readFileSignature(url, root);
    else if (base.scheme === 'http' || base.scheme === 'https') blob = await readHttpSignature(url, http);
    else
      throw new SignatureFetchError(
        `Unsupported scheme when reading signature from ${redactUrl(url)}`,
        redactUrl(url),
      );
    if (blob === null) break;
    total += blob.length;
    if (total > MAX_LOOKASIDE_BYTES)
      throw new SignatureFetchError(
        `signatures at ${redactUrl(formatLookasideUrl(base))} exceed ${MAX_LOOKASIDE_BYTES} bytes in all; mirrorscope reads no more (containers/image would)`,
        redactUrl(formatLookasideUrl(base)),
      );
    const bytes = simpleSigningBytes(blob);
    if (bytes !== null) blobs.push(bytes); // a sigstore-format blob is not a simple signature
  }
  return { blobs, urls };
}
