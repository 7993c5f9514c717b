// Signatures a registry serves itself: the X-Registry-Supports-Signatures API extension (simple
// signing) and sigstore attachments (`sha256-HEX.sig` tags), as containers/image reads them.
import { parseJsonText } from '../core/json-text.js';
import { SignatureFetchError } from '../core/policy/evaluate.js';
import { sha256Digest } from '../core/signatures/payload.js';
import type { SigstoreAttachment } from '../core/signatures/sigstore-verify.js';
import { describeTransportFailure, STATUS_TEXT, type FetchBudget } from './http-get.js';

/** What signature fetching needs from the registry client of the winning source. */
export interface SignatureRegistryAccess {
  /** host[:port] contacted, for messages. */
  readonly host: string;
  /** The ping answered `X-Registry-Supports-Signatures: 1`. */
  supportsSignatureExtension(): Promise<boolean>;
  /** An (authenticated where the client can) GET of a manifest by tag or digest. */
  manifest(
    repoPath: string,
    tagOrDigest: string,
  ): Promise<{ status: number; mediaType: string; bytes: Uint8Array | null }>;
  /** Authenticated (with `repoPath`'s pull scope) GET of another registry path (`/extensions/v2/…`, `/v2/…/blobs/…`). */
  get(repoPath: string, path: string): Promise<{ status: number; body: Uint8Array }>;
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/**
 * containers/image fetches every layer of an attachment manifest (each up to MaxSignatureBodySize);
 * a 4 MiB manifest can list tens of thousands. mirrorscope reads at most this many, and at most
 * MAX_ATTACHMENT_BYTES in all, and says so beyond that rather than fetch gigabytes.
 */
export const MAX_ATTACHMENT_LAYERS = 128;
export const MAX_ATTACHMENT_BYTES = 32 * 1024 * 1024;
const EXTENSION_SCHEMA_VERSION = 2;

/** `appendSignaturesFromAPIExtension`: only `schemaVersion: 2`, `type: "atomic"` entries count. */
export async function readExtensionSignatures(
  access: SignatureRegistryAccess,
  repoPath: string,
  manifestDigest: string,
): Promise<Uint8Array[]> {
  const path = `/extensions/v2/${repoPath}/signatures/${manifestDigest}`;
  let answer;
  try {
    answer = await access.get(repoPath, path);
  } catch (err) {
    throw new SignatureFetchError(
      describeTransportFailure(new URL(`https://${access.host}${path}`), err),
      access.host,
    );
  }
  if (answer.status !== 200) {
    throw new SignatureFetchError(
      `downloading signatures for ${manifestDigest} in ${access.host}/${repoPath}: received unexpected HTTP status: ${STATUS_TEXT(answer.status)}`,
      access.host,
    );
  }
  let parsed: unknown;
  try {
    parsed = parseJsonText(Buffer.from(answer.body).toString('utf8'));
  } catch (err) {
    throw new SignatureFetchError(
      `decoding signature list from ${access.host}: ${(err as Error).message}`,
      access.host,
    );
  }
  const list = (parsed as { signatures?: unknown }).signatures;
  const out: Uint8Array[] = [];
  if (!Array.isArray(list)) return out;
  for (const entry of list as { schemaVersion?: unknown; type?: unknown; content?: unknown }[]) {
    if (
      entry?.schemaVersion === EXTENSION_SCHEMA_VERSION &&
      entry.type === 'atomic' &&
      typeof entry.content === 'string'
    ) {
      out.push(new Uint8Array(Buffer.from(entry.content, 'base64')));
    }
  }
  return out;
}

/** The `sha256-HEX.sig` tag of a manifest digest. */
export function sigstoreAttachmentTag(manifestDigest: string): string {
  return `${manifestDigest.replace(':', '-')}.sig`;
}

interface OciDescriptor {
  readonly mediaType?: unknown;
  readonly digest?: unknown;
  readonly size?: unknown;
  readonly annotations?: unknown;
}

/** `appendSignaturesFromSigstoreAttachments`: every layer of the attachment manifest, any media type. */
export async function readSigstoreAttachments(
  access: SignatureRegistryAccess,
  repoPath: string,
  manifestDigest: string,
  budget: FetchBudget | null = null,
): Promise<SigstoreAttachment[]> {
  const tag = sigstoreAttachmentTag(manifestDigest);
  const ref = `${access.host}/${repoPath}:${tag}`;
  const answer = await access.manifest(repoPath, tag);
  if (answer.status === 404) return [];
  if (answer.status !== 200 || answer.bytes === null) {
    throw new SignatureFetchError(
      `reading manifest ${tag} in ${access.host}/${repoPath}: status ${STATUS_TEXT(answer.status)}`,
      access.host,
    );
  }
  if (answer.mediaType !== OCI_MANIFEST) {
    throw new SignatureFetchError(
      `unexpected MIME type for sigstore attachment manifest ${ref}: "${answer.mediaType}"`,
      access.host,
    );
  }
  let layers: OciDescriptor[];
  try {
    const parsed = parseJsonText(Buffer.from(answer.bytes).toString('utf8')) as { layers?: unknown };
    layers = Array.isArray(parsed.layers) ? (parsed.layers as OciDescriptor[]) : [];
  } catch (err) {
    throw new SignatureFetchError(
      `parsing sigstore attachment manifest ${ref}: ${(err as Error).message}`,
      access.host,
    );
  }
  if (layers.length > MAX_ATTACHMENT_LAYERS)
    throw new SignatureFetchError(
      `sigstore attachment manifest ${ref} lists ${layers.length} layers; mirrorscope reads at most ${MAX_ATTACHMENT_LAYERS} (containers/image would fetch them all)`,
      access.host,
    );
  const attachments: SigstoreAttachment[] = [];
  let total = 0;
  for (const layer of layers) {
    const digest = typeof layer.digest === 'string' ? layer.digest : '';
    if (!/^sha256:[a-f0-9]{64}$/.test(digest))
      throw new SignatureFetchError(
        `invalid digest "${digest}" in sigstore attachment manifest ${ref}`,
        access.host,
      );
    if (budget !== null && performance.now() > budget.deadline)
      throw new SignatureFetchError(
        `reading the sigstore attachments of ${ref} took more than ${budget.ms} ms in all; mirrorscope stops (containers/image would go on)`,
        access.host,
      );
    const blob = await access.get(repoPath, `/v2/${repoPath}/blobs/${digest}`);
    if (blob.status !== 200) {
      throw new SignatureFetchError(
        `fetching sigstore attachment ${digest} from ${access.host}/${repoPath}: status ${STATUS_TEXT(blob.status)}`,
        access.host,
      );
    }
    total += blob.body.length;
    if (total > MAX_ATTACHMENT_BYTES)
      throw new SignatureFetchError(
        `sigstore attachments of ${ref} exceed ${MAX_ATTACHMENT_BYTES} bytes in all; mirrorscope reads no more (containers/image would)`,
        access.host,
      );
    if (sha256Digest(blob.body) !== digest)
      throw new SignatureFetchError(
        `sigstore attachment ${digest} from ${access.host}/${repoPath}: digest mismatch`,
        access.host,
      );
    const annotations: Record<string, string> = {};
    if (typeof layer.annotations === 'object' && layer.annotations !== null) {
      for (const [k, v] of Object.entries(layer.annotations)) if (typeof v === 'string') annotations[k] = v;
    }
    attachments.push({
      mediaType: typeof layer.mediaType === 'string' ? layer.mediaType : '',
      payload: blob.body,
      annotations,
    });
  }
  return attachments;
}
