// Linear-time checks for the distribution/reference grammar (containers/image's vendored
// `docker/reference/regexp.go`). The upstream regular expressions contain a nullable separator inside
// a starred group, which backtracks exponentially in JavaScript on long invalid input, so each
// component is validated by a single left-to-right scan instead.

const code = (s: string, i: number): number => s.charCodeAt(i);

function isLowerAlnum(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
}

function isAlnum(c: number): boolean {
  return isLowerAlnum(c) || (c >= 0x41 && c <= 0x5a);
}

function isWord(c: number): boolean {
  return isAlnum(c) || c === 0x5f;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]` */
export function isDomainComponent(s: string, start = 0, end = s.length): boolean {
  if (end <= start) return false;
  if (!isAlnum(code(s, start)) || !isAlnum(code(s, end - 1))) return false;
  for (let i = start + 1; i < end - 1; i++) {
    const c = code(s, i);
    if (!isAlnum(c) && c !== 0x2d) return false;
  }
  return true;
}

/** `domainComponent(?:\.domainComponent)*(?::[0-9]+)?` — upper case is allowed here. */
export function isDomain(s: string, start = 0, end = s.length): boolean {
  let hostEnd = end;
  const colon = s.indexOf(':', start);
  if (colon !== -1 && colon < end) {
    if (colon + 1 >= end) return false;
    for (let i = colon + 1; i < end; i++) {
      const c = code(s, i);
      if (c < 0x30 || c > 0x39) return false;
    }
    hostEnd = colon;
  }
  let componentStart = start;
  for (let i = start; i <= hostEnd; i++) {
    if (i === hostEnd || code(s, i) === 0x2e) {
      if (!isDomainComponent(s, componentStart, i)) return false;
      componentStart = i + 1;
    }
  }
  return true;
}

/** `[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*` — lower case only. */
export function isNameComponent(s: string, start = 0, end = s.length): boolean {
  if (end <= start) return false;
  if (!isLowerAlnum(code(s, start)) || !isLowerAlnum(code(s, end - 1))) return false;
  let i = start;
  while (i < end) {
    const c = code(s, i);
    if (isLowerAlnum(c)) {
      i++;
      continue;
    }
    let j = i;
    while (j < end && !isLowerAlnum(code(s, j))) j++;
    const separator = s.slice(i, j);
    if (separator !== '.' && separator !== '_' && separator !== '__' && !/^-+$/.test(separator)) return false;
    i = j;
  }
  return true;
}

/** `nameComponent(?:/nameComponent)*` */
export function isPath(s: string, start = 0, end = s.length): boolean {
  let componentStart = start;
  for (let i = start; i <= end; i++) {
    if (i === end || code(s, i) === 0x2f) {
      if (!isNameComponent(s, componentStart, i)) return false;
      componentStart = i + 1;
    }
  }
  return true;
}

/** `[\w][\w.-]{0,127}` */
export function isTag(s: string): boolean {
  if (s.length === 0 || s.length > 128 || !isWord(code(s, 0))) return false;
  for (let i = 1; i < s.length; i++) {
    const c = code(s, i);
    if (!isWord(c) && c !== 0x2e && c !== 0x2d) return false;
  }
  return true;
}

/** `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}` */
export function isDigestSyntax(s: string): boolean {
  const colon = s.indexOf(':');
  if (colon <= 0 || s.length - colon - 1 < 32) return false;
  for (let i = colon + 1; i < s.length; i++) if (!isHex(code(s, i))) return false;
  let expectLetter = true;
  for (let i = 0; i < colon; i++) {
    const c = code(s, i);
    const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    if (expectLetter) {
      if (!letter) return false;
      expectLetter = false;
    } else if (c === 0x2d || c === 0x5f || c === 0x2b || c === 0x2e) {
      expectLetter = true;
    } else if (!isAlnum(c)) {
      return false;
    }
  }
  return !expectLetter;
}

/**
 * Splits a name (no tag, no digest) the way `anchoredNameRegexp` does: the first segment is the domain
 * when it is a valid domain and the remainder is a valid path; otherwise the whole name is a path.
 * Returns undefined when the name matches neither form.
 */
export function splitName(name: string): { domain: string; path: string } | undefined {
  const slash = name.indexOf('/');
  if (slash !== -1 && isDomain(name, 0, slash) && isPath(name, slash + 1)) {
    return { domain: name.slice(0, slash), path: name.slice(slash + 1) };
  }
  if (isPath(name)) return { domain: '', path: name };
  return undefined;
}

export const identifierPattern = /^[a-f0-9]{64}$/;
