// Portieris' `helpers/image.NewReference`: how it reads a container's image string. The policy is
// matched against the string AS WRITTEN in the pod spec (`String()` is the original), while the
// signature check and the mutation use the normalised name (`docker.io/library/nginx`).
import { nameOf, parseNormalizedNamed, InvalidReferenceError } from '../reference/reference.js';

export interface PortierisImage {
  /** The container's image exactly as written: what repository patterns are matched against. */
  readonly original: string;
  /** `ref.Name()`: normalised, without tag or digest. */
  readonly name: string;
  /** The tag, `latest` when the string names none. */
  readonly tag: string;
  /** Hex after `@sha256:` (unvalidated, as Portieris keeps it), or "". */
  readonly digest: string;
  /** Host without port, as `url.Hostname()` gives it. */
  readonly hostname: string;
}

export type PortierisImageParse =
  { readonly ok: true; readonly image: PortierisImage } | { readonly ok: false; readonly error: string };

export function portierisImage(original: string): PortierisImageParse {
  let name = original;
  let digest = '';
  if (name.includes('@sha256:')) {
    const fields = name.split('@sha256:');
    name = fields[0]!;
    digest = fields[1]!;
  }
  let ref;
  try {
    ref = parseNormalizedNamed(name);
  } catch (err) {
    if (err instanceof InvalidReferenceError) return { ok: false, error: err.message };
    throw err;
  }
  const hostname = ref.domain.startsWith('[')
    ? ref.domain.slice(1, ref.domain.indexOf(']'))
    : ref.domain.replace(/:\d*$/, '');
  const rest = name.replace(ref.domain, '');
  const tag = rest.includes(':') ? (ref.tag ?? '') : 'latest';
  return { ok: true, image: { original, name: nameOf(ref), tag, digest, hostname } };
}

/** `Reference.NameWithTag()`: the key Portieris logs decisions under. */
export function nameWithTag(image: PortierisImage): string {
  return `${image.name}:${image.tag}`;
}

/** `HasIBMRepo`: Vulnerability Advisor only knows images in IBM Cloud Container Registry. */
export function hasIbmRepo(image: PortierisImage): boolean {
  return (
    (image.hostname.startsWith('registry') && image.hostname.endsWith('.bluemix.net')) ||
    image.hostname.endsWith('icr.io')
  );
}
