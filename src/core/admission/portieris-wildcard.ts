// Portieris' repository-name patterns (`helpers/wildcard`, IBM/portieris 6eaaacae, v0.14.2+): `*`
// stands for any run of characters, a pattern without a tag also matches any tag, and a pattern with
// a `/` matches its host part only against the image's host part (so `*.example.com/x/*` cannot be
// satisfied by `evil.io/a.example.com/x/…`). Before v0.14.2 the whole string went to compareAnyTag.

const WILDCARD = '*';

/** `wildcard.Compare`: the pieces between `*`s found in order, anchored unless a `*` leads/ends. */
export function portierisCompare(pattern: string, str: string): boolean {
  if (pattern === '') return str === '';
  if (pattern === WILDCARD) return true;
  const pieces = pattern.split(WILDCARD);
  if (pieces.length === 1) return str === pattern;
  const startingWildcard = pattern.startsWith(WILDCARD);
  const endingWildcard = pattern.endsWith(WILDCARD);
  const last = pieces.length - 1;
  let rest = str;
  for (let i = 0; i < last; i++) {
    const piece = pieces[i]!;
    const index = rest.indexOf(piece);
    if (i === 0) {
      if (!startingWildcard && index !== 0) return false;
    } else if (index < 0) return false;
    // Go slices from index+len even when the first piece was "" (index 0): the same here.
    rest = rest.slice(index + piece.length);
  }
  return endingWildcard || rest.endsWith(pieces[last]!);
}

/** `wildcard.CompareAnyTag`: the pattern, or the pattern with `:*` added. */
export function portierisCompareAnyTag(pattern: string, str: string): boolean {
  return portierisCompare(pattern, str) || portierisCompare(`${pattern}:*`, str);
}

/** `wildcard.CompareImageRef`: host part against host part, path part (any tag) against path part. */
export function portierisCompareImageRef(pattern: string, imageRef: string): boolean {
  const slash = pattern.indexOf('/');
  if (slash < 0) return portierisCompareAnyTag(pattern, imageRef);
  const refSlash = imageRef.indexOf('/');
  if (refSlash < 0) return false;
  return (
    portierisCompare(pattern.slice(0, slash), imageRef.slice(0, refSlash)) &&
    portierisCompareAnyTag(pattern.slice(slash + 1), imageRef.slice(refSlash + 1))
  );
}
