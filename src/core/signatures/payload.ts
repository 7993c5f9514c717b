// The signed JSON inside a simple-signing (GPG) or cosign signature, decoded as strictly as
// containers/image's `untrustedSignature` (`signature/simple.go`, `internal/sigstore_payload.go`).
import { createHash } from 'node:crypto';
import { goTokenText, parseJsonTree, type JsonEntry, type JsonNode } from '../policy/json-tree.js';

export const SIMPLE_SIGNING_TYPE = 'atomic container signature';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

export interface SignaturePayload {
  readonly dockerReference: string;
  readonly manifestDigest: string;
}

/** A signature c/image refuses; `message` is its InvalidSignatureError/PolicyRequirementError text. */
export class SignatureRejection extends Error {}

function reject(message: string): never {
  throw new SignatureRejection(message);
}

function object(node: JsonNode, allowed: readonly string[] | null, exact: boolean): Map<string, JsonEntry> {
  if (node.kind !== 'object') reject(`JSON object expected, got ${goTokenText(node)}`);
  const seen = new Map<string, JsonEntry>();
  for (const e of node.entries) {
    if (seen.has(e.key)) reject(`Duplicate key "${e.key}"`);
    if (allowed !== null && !allowed.includes(e.key)) reject(`Unknown key "${e.key}"`);
    seen.set(e.key, e);
  }
  if (exact && allowed !== null)
    for (const k of allowed) if (!seen.has(k)) reject(`Key "${k}" missing in a JSON object`);
  return seen;
}

function str(node: JsonNode): string {
  if (node.kind === 'null') return '';
  if (node.kind !== 'string') reject(`json: cannot unmarshal ${node.kind} into Go value of type string`);
  return node.value;
}

const DIGEST_LENGTHS: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** `digest.Parse` error text, or null when valid. */
export function digestError(d: string): string | null {
  const colon = d.indexOf(':');
  if (colon <= 0 || colon === d.length - 1) return 'invalid checksum digest format';
  const algorithm = d.slice(0, colon);
  const hex = d.slice(colon + 1);
  const length = DIGEST_LENGTHS[algorithm];
  if (length === undefined)
    return /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*$/.test(algorithm)
      ? 'unsupported digest algorithm'
      : 'invalid checksum digest format';
  if (!/^[a-f0-9]+$/.test(hex)) return 'invalid checksum digest format';
  if (hex.length !== length) return 'invalid checksum digest length';
  return null;
}

/** Parses and checks the payload; throws SignatureRejection with the upstream text. */
export function parseSignaturePayload(bytes: Uint8Array, expectedType: string): SignaturePayload {
  let root: JsonNode;
  try {
    root = parseJsonTree(new TextDecoder().decode(bytes));
  } catch (err) {
    return reject((err as Error).message);
  }
  const top = object(root, ['critical', 'optional'], true);
  const optional = top.get('optional');
  // cosign writes `"optional": null` when there are no annotations; c/image accepts that only there.
  const nullOptional = optional?.value.kind === 'null' && expectedType === COSIGN_SIGNATURE_TYPE;
  if (optional !== undefined && !nullOptional) {
    const fields = object(optional.value, null, false);
    const timestamp = fields.get('timestamp');
    if (timestamp !== undefined) {
      if (timestamp.value.kind !== 'number')
        reject(`json: cannot unmarshal ${timestamp.value.kind} into Go value of type float64`);
      if (!Number.isInteger(timestamp.value.value)) reject('Field optional.timestamp is not an integer');
    }
    const creator = fields.get('creator');
    if (creator !== undefined) str(creator.value);
  }
  const criticalEntry = top.get('critical');
  if (criticalEntry === undefined) return reject('Key "critical" missing in a JSON object');
  const critical = object(criticalEntry.value, ['type', 'image', 'identity'], true);
  const type = str(critical.get('type')!.value);
  if (type !== expectedType) reject(`Unrecognized signature type ${type}`);
  const image = object(critical.get('image')!.value, ['docker-manifest-digest'], true);
  const manifestDigest = str(image.get('docker-manifest-digest')!.value);
  const bad = digestError(manifestDigest);
  if (bad !== null) reject(`invalid docker-manifest-digest value "${manifestDigest}": ${bad}`);
  const identity = object(critical.get('identity')!.value, ['docker-reference'], true);
  return { dockerReference: str(identity.get('docker-reference')!.value), manifestDigest };
}

/** `manifest.MatchesDigest`: the manifest bytes hash to the digest (its own algorithm). */
export function manifestMatchesDigest(manifest: Uint8Array, digest: string): boolean {
  if (digestError(digest) !== null) return false;
  const colon = digest.indexOf(':');
  return createHash(digest.slice(0, colon)).update(manifest).digest('hex') === digest.slice(colon + 1);
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
