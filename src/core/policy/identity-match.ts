// `signedIdentity` rules (`signature/policy_reference_match.go`): does the identity a signature
// claims match the image the user asked for (the LOGICAL reference, never the mirror)?
import {
  nameOf,
  parseCanonicalNamed,
  parseNormalizedNamed,
  stringOf,
  type ImageReference,
} from '../reference/reference.js';
import type { IdentityMatch } from './types.js';

function parseOrNull(
  s: string,
  parse: (s: string) => ImageReference = parseNormalizedNamed,
): ImageReference | null {
  try {
    return parse(s);
  } catch {
    return null;
  }
}

const isNameOnly = (r: ImageReference): boolean => r.tag === undefined && r.digest === undefined;

function matchRepoDigestOrExact(intended: ImageReference, signature: ImageReference): boolean {
  if (isNameOnly(signature)) return false;
  if (intended.tag !== undefined) return stringOf(signature) === stringOf(intended);
  if (intended.digest !== undefined) return nameOf(signature) === nameOf(intended);
  return false;
}

/** `prmRemapIdentity.remapReferencePrefix`; null when the rewritten string is not a canonical reference. */
export function remapIdentity(
  intended: ImageReference,
  prefix: string,
  signedPrefix: string,
): ImageReference | null {
  const name = nameOf(intended);
  const matches =
    name.length === prefix.length ? name === prefix : name.startsWith(prefix) && name[prefix.length] === '/';
  if (!matches) return intended;
  return parseOrNull(
    stringOf(intended).replace(prefix, () => signedPrefix),
    parseCanonicalNamed,
  );
}

export function matchesSignedIdentity(
  rule: IdentityMatch,
  intended: ImageReference,
  signedReference: string,
): boolean {
  const signature = parseOrNull(signedReference);
  if (signature === null) return false;
  switch (rule.type) {
    case 'matchExact':
      return !isNameOnly(intended) && !isNameOnly(signature) && stringOf(signature) === stringOf(intended);
    case 'matchRepoDigestOrExact':
      return matchRepoDigestOrExact(intended, signature);
    case 'matchRepository':
      return nameOf(signature) === nameOf(intended);
    case 'exactReference': {
      const wanted = parseOrNull(rule.dockerReference);
      return (
        wanted !== null &&
        !isNameOnly(wanted) &&
        !isNameOnly(signature) &&
        stringOf(signature) === stringOf(wanted)
      );
    }
    case 'exactRepository': {
      const wanted = parseOrNull(rule.dockerRepository);
      return wanted !== null && nameOf(signature) === nameOf(wanted);
    }
    case 'remapIdentity': {
      const remapped = remapIdentity(intended, rule.prefix, rule.signedPrefix);
      return remapped !== null && matchRepoDigestOrExact(remapped, signature);
    }
  }
}
