import { describe, expect, it } from 'vitest';
import { canonicalLocation, rewriteReference } from '../../src/core/registries/pull-sources.js';
import { parseNormalizedNamed, stringOf, tagNameOnly } from '../../src/core/reference/reference.js';
import type { Endpoint } from '../../src/core/registries/types.js';

const endpoint = (location: string): Endpoint => ({
  location,
  insecure: false,
  pullFromMirror: '',
  origin: { file: 'test', line: 1 },
  insecureOrigin: null,
  pullFromMirrorOrigin: null,
});

/** The rewrite exactly as containers/image does it: string concatenation, then ParseNamed. */
function slowRewrite(location: string, ref: string, prefix: string): string {
  try {
    return stringOf(
      rewriteReference(endpoint(location), tagNameOnly(parseNormalizedNamed(ref)), prefix, null).reference,
    );
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

function fastRewrite(location: string, ref: string, prefix: string): string {
  try {
    return stringOf(
      rewriteReference(
        endpoint(location),
        tagNameOnly(parseNormalizedNamed(ref)),
        prefix,
        canonicalLocation(location),
      ).reference,
    );
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

describe('rewriteReference', () => {
  const locations = [
    'mirror.example',
    'mirror.example/ns',
    'mirror.example:5000/a/b',
    'localhost/x',
    'Mirror.Example/ns',
    'mirror',
    'docker.io',
    'docker.io/library',
    'index.docker.io/ns',
    'a_b.example/ns',
    'mirror.example/Upper',
    `mirror.example/${'p'.repeat(240)}`,
  ];
  const cases: [string, string][] = [
    ['example.com/ns/app:1', 'example.com'],
    ['example.com/ns/app:1', 'example.com/ns'],
    [`example.com/ns/app@sha256:${'d'.repeat(64)}`, 'example.com/ns'],
    ['example.com:5000/ns/app', 'example.com'],
    ['a.b.wild.com/ns/img:1', '*.wild.com'],
    ['a.b.wild.com:5000/ns/img:1', '*.wild.com'],
    ['busybox', 'docker.io/library'],
    ['docker.io/busybox', 'docker.io'],
  ];

  it('builds the same reference without re-parsing as ParseNamed would, or fails the same way', () => {
    for (const location of locations) {
      for (const [ref, prefix] of cases) {
        expect(fastRewrite(location, ref, prefix), `${location} ← ${ref} (${prefix})`).toBe(
          slowRewrite(location, ref, prefix),
        );
      }
    }
  });

  it('keeps the port of a wildcard match in the remainder (and so fails on a pathful location)', () => {
    expect(slowRewrite('wmirror.local/x', 'a.b.wild.com:5000/ns/img:1', '*.wild.com')).toMatch(
      /^error: rewriting reference: invalid reference format/,
    );
    expect(slowRewrite('example.com', 'example.com:5000/a:1', 'example.com')).toBe('example.com:5000/a:1');
  });
});
