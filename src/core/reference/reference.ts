// Image references, parsed and normalised exactly as containers/image's `docker/reference` package
// (a fork of github.com/distribution/reference) does. Error texts are the upstream ones, because
// users compare them with what CRI-O and podman print.
import { identifierPattern, isDigestSyntax, isTag, splitName } from './grammar.js';

export interface ImageReference {
  /** `host[:port]`, empty only for an un-normalised reference without a domain. */
  readonly domain: string;
  /** Repository path below the domain, e.g. `library/busybox`. */
  readonly path: string;
  readonly tag: string | undefined;
  /** `algorithm:hex`, e.g. `sha256:…`. */
  readonly digest: string | undefined;
}

/** An image name that is not a valid reference; `message` is the text docker/distribution gives. */
export class InvalidReferenceError extends Error {
  override readonly name = 'InvalidReferenceError';
}

const NAME_TOTAL_LENGTH_MAX = 255;
/** The hex length of each algorithm go-digest knows; -1 for any other. */
function digestHexLength(digest: string, colon: number): number {
  if (colon !== 6 || !digest.startsWith('sha')) return -1;
  if (digest.startsWith('256', 3)) return 64;
  if (digest.startsWith('384', 3)) return 96;
  if (digest.startsWith('512', 3)) return 128;
  return -1;
}

function isLowerHex(text: string, start: number): boolean {
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x30 || c > 0x39) && (c < 0x61 || c > 0x66)) return false;
  }
  return true;
}

/** `Name()`: `domain/path`, no tag, no digest. */
export function nameOf(ref: ImageReference): string {
  return ref.domain === '' ? ref.path : `${ref.domain}/${ref.path}`;
}

/** The length of `nameOf(ref)`, without building it. */
export function nameLengthOf(ref: ImageReference): number {
  return ref.domain === '' ? ref.path.length : ref.domain.length + 1 + ref.path.length;
}

/** `String()`: `name[:tag][@digest]`. */
export function stringOf(ref: ImageReference): string {
  let s = nameOf(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** `reference.FamiliarString`: drops `docker.io/` and a lone `library/`. */
export function familiarString(ref: ImageReference): string {
  const full = stringOf(ref);
  if (ref.domain !== 'docker.io') return full;
  const rest = full.slice('docker.io/'.length);
  const path = ref.path;
  if (path.startsWith('library/') && !path.slice('library/'.length).includes('/')) {
    return rest.slice('library/'.length);
  }
  return rest;
}

/** go-digest's `Validate` for a digest of valid syntax (`algorithm:hex`). */
function validateDigest(digest: string): void {
  const colon = digest.indexOf(':');
  const expected = digestHexLength(digest, colon);
  if (expected === -1) throw new InvalidReferenceError('unsupported digest algorithm');
  if (digest.length - colon - 1 !== expected)
    throw new InvalidReferenceError('invalid checksum digest length');
  if (!isLowerHex(digest, colon + 1)) throw new InvalidReferenceError('invalid checksum digest format');
}

function matchReference(s: string): ImageReference | undefined {
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    if (!isDigestSyntax(digest)) return undefined;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1 && colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    if (!isTag(tag)) return undefined;
    rest = rest.slice(0, colon);
  }
  const split = splitName(rest);
  if (split === undefined) return undefined;
  return { domain: split.domain, path: split.path, tag, digest };
}

/** `reference.Parse`: no normalisation; the domain may be missing. */
export function parseReference(s: string): ImageReference {
  const ref = matchReference(s);
  if (ref === undefined) {
    if (s === '') throw new InvalidReferenceError('repository name must have at least one component');
    if (matchReference(s.toLowerCase()) !== undefined) {
      throw new InvalidReferenceError('repository name must be lowercase');
    }
    throw new InvalidReferenceError('invalid reference format');
  }
  if (nameLengthOf(ref) > NAME_TOTAL_LENGTH_MAX) {
    throw new InvalidReferenceError(
      `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`,
    );
  }
  if (ref.digest !== undefined) validateDigest(ref.digest);
  return ref;
}

/** `splitDockerDomain`: the first segment is a host only if it has a dot or colon or is `localhost`. */
function splitDockerDomain(s: string): { domain: string; remainder: string } {
  const i = s.indexOf('/');
  let domain: string;
  let remainder: string;
  if (i === -1) {
    domain = 'docker.io';
    remainder = s;
  } else {
    const first = s.slice(0, i);
    if (!first.includes('.') && !first.includes(':') && first !== 'localhost') {
      domain = 'docker.io';
      remainder = s;
    } else {
      domain = first;
      remainder = s.slice(i + 1);
    }
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !remainder.includes('/')) remainder = `library/${remainder}`;
  return { domain, remainder };
}

/** `reference.ParseNormalizedNamed`: `busybox` → `docker.io/library/busybox`. */
export function parseNormalizedNamed(s: string): ImageReference {
  if (identifierPattern.test(s)) {
    throw new InvalidReferenceError(
      `invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`,
    );
  }
  const { domain, remainder } = splitDockerDomain(s);
  const colon = remainder.indexOf(':');
  const remoteName = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remoteName.toLowerCase() !== remoteName) {
    throw new InvalidReferenceError('invalid reference format: repository name must be lowercase');
  }
  return parseReference(`${domain}/${remainder}`);
}

/**
 * `ParseNormalizedNamed` for a reference already parsed by `parseReference` whose first segment is a
 * registry host (has a dot or colon, or is `localhost`): the same result without parsing again.
 */
export function normalizeQualified(ref: ImageReference): ImageReference {
  let { domain, path } = ref;
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (domain === ref.domain && path === ref.path) return ref;
  const normalized = { ...ref, domain, path };
  if (nameLengthOf(normalized) > NAME_TOTAL_LENGTH_MAX) {
    throw new InvalidReferenceError(
      `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`,
    );
  }
  return normalized;
}

/** `reference.ParseNamed`: normalised, and the input must already be in canonical form. */
export function parseCanonicalNamed(s: string): ImageReference {
  const ref = parseNormalizedNamed(s);
  if (stringOf(ref) !== s) throw new InvalidReferenceError('repository name must be canonical');
  return ref;
}

/** `reference.TagNameOnly`: adds `:latest` to a reference with neither tag nor digest. */
export function tagNameOnly(ref: ImageReference): ImageReference {
  if (ref.tag === undefined && ref.digest === undefined) return { ...ref, tag: 'latest' };
  return ref;
}

export function withoutTag(ref: ImageReference): ImageReference {
  return { ...ref, tag: undefined };
}

export function isDigested(ref: ImageReference): boolean {
  return ref.digest !== undefined;
}
