// Engine bugs found by the differential suites (test/differential), pinned as focused unit tests.
import { describe, expect, it } from 'vitest';
import { assembleRegistriesConfig } from '../../src/core/registries/assemble.js';
import { Resolver } from '../../src/core/resolve/resolver.js';

const MAIN = '/etc/containers/registries.conf';

function resolve(text: string, ref: string): ReturnType<Resolver['resolve']> {
  return new Resolver(assembleRegistriesConfig({ main: { path: MAIN, text }, dropIns: [] })).resolve(ref);
}

describe('rewrite failures carry the exact containers/image text in `upstream`', () => {
  // Found by resolve-skopeo.test.ts: skopeo says `rewriting reference: invalid reference format`; our
  // upstream text had our own detail (the rewritten string) appended, so it matched no real log line.
  it('a port left in the remainder of a wildcard match', () => {
    const result = resolve(
      '[[registry]]\nprefix = "*.wild.com"\n[[registry.mirror]]\nlocation = "wmirror.example.net/x"\n',
      'a.b.wild.com:5000/ns/img:1',
    );
    expect(result.error).toMatchObject({
      code: 'rewrite-invalid',
      upstream: 'rewriting reference: invalid reference format',
    });
    // Our own message still shows what the rewrite produced, and where the entry is.
    expect(result.error?.message).toContain('"wmirror.example.net/x:5000/ns/img:1"');
    expect(result.error).toMatchObject({ file: MAIN, line: 3 });
    expect(result.candidates[0]!.sources).toEqual([]);
  });

  it('a location that is not canonical', () => {
    const result = resolve('[[registry]]\nprefix = "quay.io/x"\nlocation = "mirror"\n', 'quay.io/x/a:1');
    expect(result.error?.upstream).toBe('rewriting reference: repository name must be canonical');
    expect(result.error?.message).toContain('"mirror/a:1"');
  });
});
