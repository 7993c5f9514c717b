// Manifest media types: the Accept list containers/image sends (`manifest.DefaultRequestedManifestMIMETypes`,
// one comma-joined header, in this order) — the registry's answer depends on it.
export const MANIFEST_ACCEPT: readonly string[] = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
];

export const MANIFEST_ACCEPT_HEADER = MANIFEST_ACCEPT.join(', ');

/** `simplifyContentType`: the media type without parameters. */
export function simplifyContentType(value: string | undefined): string {
  if (value === undefined || value === '') return '';
  return value.split(';')[0]!.trim();
}

/** Kept small on purpose: a manifest bigger than c/image's `MaxManifestBodySize` (4 MiB) is refused. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** c/image `MaxAuthTokenBodySize`. */
export const MAX_TOKEN_BYTES = 1024 * 1024;
/** Error bodies are only read for their `errors[].code`. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;

export function isDigest(value: string): boolean {
  return DIGEST_RE.test(value);
}
