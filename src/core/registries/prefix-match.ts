// Prefix matching exactly as containers/image's `refMatchingPrefix` / `refMatchingSubdomainPrefix`.
// Both return the length of the matched part of `ref`, or -1.

function isBoundary(c: string | undefined): boolean {
  return c === ':' || c === '/' || c === '@';
}

/**
 * `*.example.com`: the FIRST occurrence of `.example.com` must lie in the host part and end at a
 * boundary. (So `foo.io.example.io/x` does not match `*.io`: upstream behaviour, kept on purpose.)
 */
export function refMatchingSubdomainPrefix(ref: string, prefix: string): number {
  const suffix = prefix.slice(1);
  let index = ref.indexOf(suffix);
  if (index === -1) return -1;
  if (ref.slice(0, index).includes('/')) return -1;
  index += suffix.length;
  if (index === ref.length) return index;
  return isBoundary(ref[index]) ? index : -1;
}

/** A plain prefix must end at `:`, `/`, `@` or the end of `ref` (so `example.com:5000` matches `example.com`). */
export function refMatchingPrefix(ref: string, prefix: string): number {
  if (prefix.startsWith('*.')) return refMatchingSubdomainPrefix(ref, prefix);
  if (ref.length < prefix.length) return -1;
  if (ref.length === prefix.length) return ref === prefix ? prefix.length : -1;
  if (!ref.startsWith(prefix)) return -1;
  return isBoundary(ref[prefix.length]) ? prefix.length : -1;
}
