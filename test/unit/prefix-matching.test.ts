import { describe, expect, it } from 'vitest';
import { refMatchingPrefix } from '../../src/core/registries/prefix-match.js';
import { RegistryIndex } from '../../src/core/registries/registry-index.js';
import { scanFindRegistry } from '../support/scan-find.js';
import type { Registry } from '../../src/core/registries/types.js';

function registry(prefix: string): Registry {
  const origin = { file: 'test', line: null };
  return {
    prefix,
    location: prefix.startsWith('*.') ? '' : prefix,
    insecure: false,
    blocked: false,
    mirrorByDigestOnly: false,
    pullFromMirror: '',
    mirrors: [],
    origin,
    insecureOrigin: null,
    blockedOrigin: null,
    mirrorByDigestOnlyOrigin: null,
    pullFromMirrorOrigin: null,
  };
}

describe('refMatchingPrefix', () => {
  it.each([
    ['example.com/foo', 'example.com', 11],
    ['example.com:5000/foo', 'example.com', 11],
    ['example.com', 'example.com', 11],
    ['example.community/foo', 'example.com', -1],
    ['example.com/foobar', 'example.com/foo', -1],
    ['example.com/foo@sha256:x', 'example.com/foo', 15],
    ['a.b.example.com/x', '*.example.com', 15],
    ['example.com/x', '*.example.com', -1],
    ['foo.io.example.io/x', '*.io', -1],
    ['x.example.com:5000/y', '*.example.com', 13],
    ['x.example.com.evil/y', '*.example.com', -1],
    ['evil.com/x.example.com', '*.example.com', -1],
    ['a.example.com', '**.example.com', -1],
  ])('%s vs %s → %d', (ref, prefix, expected) => {
    expect(refMatchingPrefix(ref, prefix)).toBe(expected);
  });
});

describe('RegistryIndex', () => {
  it('prefers the wildcard on an equal-length tie because * sorts first', () => {
    const index = new RegistryIndex([registry('a.example.com'), registry('*.example.com')]);
    expect(index.find('a.example.com/foo')?.prefix).toBe('*.example.com');
  });

  it('matches host:port names against a port-less prefix', () => {
    const index = new RegistryIndex([registry('example.com')]);
    expect(index.find('example.com:5000/a')?.prefix).toBe('example.com');
  });

  it('agrees with the linear scan of containers/image on random configurations', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const hosts = [
      'a.example.com',
      'example.com',
      'b.a.example.com',
      'example.com:5000',
      'io.example.io',
      'x.io',
      'localhost:5000',
    ];
    const paths = ['', '/ns', '/ns/app', '/ns/app/sub', '/other'];
    const wilds = ['*.example.com', '*.a.example.com', '*.io', '*.com', '*.example.io'];
    for (let round = 0; round < 300; round++) {
      const prefixes = new Set<string>();
      for (let i = 0; i < 8; i++) {
        prefixes.add(
          rand(4) === 0
            ? wilds[rand(wilds.length)]!
            : hosts[rand(hosts.length)]! + paths[rand(paths.length)]!,
        );
      }
      const registries = [...prefixes].map(registry);
      const index = new RegistryIndex(registries);
      for (let j = 0; j < 20; j++) {
        const name = hosts[rand(hosts.length)]! + (paths[rand(paths.length)] || '/x');
        expect(index.find(name)?.prefix, `${name} in ${[...prefixes].join(',')}`).toBe(
          scanFindRegistry(registries, name)?.prefix,
        );
      }
    }
  });
});
