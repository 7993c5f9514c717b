import { describe, expect, it } from 'vitest';
import {
  familiarString,
  nameOf,
  parseCanonicalNamed,
  parseNormalizedNamed,
  parseReference,
  stringOf,
  tagNameOnly,
} from '../../src/core/reference/reference.js';

const HEX64 = 'a'.repeat(64);

describe('parseNormalizedNamed (distribution/reference, as containers/image vendors it)', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox'],
    ['index.docker.io/busybox', 'docker.io/library/busybox'],
    ['docker.io/foo/bar', 'docker.io/foo/bar'],
    ['library/busybox', 'docker.io/library/busybox'],
    ['localhost/foo', 'localhost/foo'],
    ['localhost:5000/foo', 'localhost:5000/foo'],
    ['LOCALHOST:5000/foo', 'LOCALHOST:5000/foo'],
    ['Example.com/foo', 'Example.com/foo'],
    ['quay/foo', 'docker.io/quay/foo'],
    ['registry-1.docker.io/foo', 'registry-1.docker.io/foo'],
    [`docker.io/${HEX64}`, `docker.io/library/${HEX64}`],
    ['a.b.c/d-e/f__g/h.i:tag_1.0-x', 'a.b.c/d-e/f__g/h.i'],
    ['example.com/a---b/c', 'example.com/a---b/c'],
  ])('%s → %s', (input, name) => {
    expect(nameOf(parseNormalizedNamed(input))).toBe(name);
  });

  it.each([
    ['example.com/Foo', 'invalid reference format: repository name must be lowercase'],
    ['Foo', 'invalid reference format: repository name must be lowercase'],
    ['LOCALHOST/foo', 'invalid reference format: repository name must be lowercase'],
    ['foo//bar', 'invalid reference format'],
    ['a:b:c', 'invalid reference format'],
    ['-foo', 'invalid reference format'],
    ['foo:', 'invalid reference format'],
    ['foo__-bar', 'invalid reference format'],
    ['foo..bar', 'invalid reference format'],
    ['foo___bar', 'invalid reference format'],
    ['example.com:/foo', 'invalid reference format'],
    ['', 'invalid reference format'],
    [HEX64, `invalid repository name (${HEX64}), cannot specify 64-byte hexadecimal strings`],
    ['foo@sha256:abc', 'invalid reference format'],
    [`foo@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
    // Names of Object.prototype members are algorithms go-digest does not know either.
    [`foo@constructor:${HEX64}`, 'unsupported digest algorithm'],
    [`foo@sha512:${HEX64}`, 'invalid checksum digest length'],
    [`foo@sha256:${'A'.repeat(64)}`, 'invalid checksum digest format'],
    [`example.com/${'a'.repeat(244)}`, 'repository name must not be more than 255 characters'],
    [`foo:${'t'.repeat(129)}`, 'invalid reference format'],
  ])('rejects %j with %j', (input, message) => {
    expect(() => parseNormalizedNamed(input)).toThrow(message);
  });

  it('accepts a name of exactly 255 characters', () => {
    expect(nameOf(parseNormalizedNamed(`example.com/${'a'.repeat(243)}`))).toHaveLength(255);
  });

  it('keeps tag and digest together (the docker transport, not the parser, refuses both)', () => {
    const ref = parseNormalizedNamed(`busybox:1@sha256:${HEX64}`);
    expect(ref.tag).toBe('1');
    expect(ref.digest).toBe(`sha256:${HEX64}`);
    expect(stringOf(ref)).toBe(`docker.io/library/busybox:1@sha256:${HEX64}`);
  });

  it('does not backtrack exponentially on long invalid names', () => {
    const hostile = `${'a-'.repeat(5000)}!`;
    expect(() => parseNormalizedNamed(hostile)).toThrow('invalid reference format');
  });
});

describe('parseReference (unnormalised)', () => {
  it('splits a domain only when the first segment is a valid domain', () => {
    expect(parseReference('quay/foo')).toMatchObject({ domain: 'quay', path: 'foo' });
    expect(parseReference('a_b/c')).toMatchObject({ domain: '', path: 'a_b/c' });
    expect(parseReference('Foo/bar')).toMatchObject({ domain: 'Foo', path: 'bar' });
    expect(parseReference('localhost:5000')).toMatchObject({ domain: '', path: 'localhost', tag: '5000' });
  });

  it('names the empty input', () => {
    expect(() => parseReference('')).toThrow('repository name must have at least one component');
  });

  it('reports the lowercase error only when lowercasing would make the input valid', () => {
    expect(() => parseReference('Foo')).toThrow(/^repository name must be lowercase$/);
    expect(() => parseReference('Foo!')).toThrow(/^invalid reference format$/);
  });
});

describe('canonical form and helpers', () => {
  it('ParseNamed requires canonical input', () => {
    expect(stringOf(parseCanonicalNamed('docker.io/library/busybox:1'))).toBe('docker.io/library/busybox:1');
    expect(() => parseCanonicalNamed('docker.io/busybox:1')).toThrow('repository name must be canonical');
    expect(() => parseCanonicalNamed('mirror/busybox:1')).toThrow('repository name must be canonical');
  });

  it('TagNameOnly adds latest only without tag and digest', () => {
    expect(stringOf(tagNameOnly(parseNormalizedNamed('busybox')))).toBe('docker.io/library/busybox:latest');
    expect(stringOf(tagNameOnly(parseNormalizedNamed(`busybox@sha256:${HEX64}`)))).toBe(
      `docker.io/library/busybox@sha256:${HEX64}`,
    );
  });

  it('familiar strings drop docker.io and a lone library/', () => {
    expect(familiarString(parseNormalizedNamed('busybox:1'))).toBe('busybox:1');
    expect(familiarString(parseNormalizedNamed('docker.io/library/a/b'))).toBe('library/a/b');
    expect(familiarString(parseNormalizedNamed('quay.io/a/b'))).toBe('quay.io/a/b');
  });
});
