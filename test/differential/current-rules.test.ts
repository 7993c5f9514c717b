// Where the Debian tools (containers/image 5.23) and current containers/image disagree
// (containers-image.md §11), mirrorscope follows the current rules. These are checked here against
// hand-written expectations taken from the documented current behaviour, and the oracle confirms the
// difference is real: 5.23 does behave the old way.
//
// pull-from-mirror is NOT one of them, although §11 lists it: skopeo 1.9.3 implements it with the
// same filtering and the same three error texts (checked below), so the generated differential
// suite covers it against the real tool; the hand-written cases here stay as readable examples.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MirrorscopeError } from '../../src/core/errors.js';
import { assembleRegistriesConfig } from '../../src/core/registries/assemble.js';
import { Resolver } from '../../src/core/resolve/resolver.js';
import { oracleUnavailableReason, skopeoCause, skopeoInspect, writeRoot } from '../support/oracle.js';

const MAIN = '/etc/containers/registries.conf';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

function resolverFor(text: string): Resolver {
  return new Resolver(assembleRegistriesConfig({ main: { path: MAIN, text }, dropIns: [] }));
}

function sourcesOf(resolver: Resolver, ref: string): string[] {
  const result = resolver.resolve(ref);
  expect(result.error).toBeNull();
  return result.candidates[0]!.sources.map((s) => s.reference);
}

function configError(text: string): MirrorscopeError {
  try {
    assembleRegistriesConfig({ main: { path: MAIN, text }, dropIns: [] });
  } catch (err) {
    if (err instanceof MirrorscopeError) return err;
    throw err;
  }
  throw new Error('the configuration was accepted');
}

const PULL_FROM_MIRROR = `
[[registry]]
prefix = "quay.io/team"
location = "quay.io/team"

[[registry.mirror]]
location = "digest.example.net/team"
pull-from-mirror = "digest-only"

[[registry.mirror]]
location = "tag.example.net/team"
pull-from-mirror = "tag-only"

[[registry.mirror]]
location = "all.example.net/team"
pull-from-mirror = "all"

[[registry.mirror]]
location = "unset.example.net/team"
`;

describe('pull-from-mirror', () => {
  const resolver = resolverFor(PULL_FROM_MIRROR);

  it('skips digest-only mirrors for a tag and tag-only mirrors for a digest; the primary stays last', () => {
    expect(sourcesOf(resolver, 'quay.io/team/app:1')).toEqual([
      'tag.example.net/team/app:1',
      'all.example.net/team/app:1',
      'unset.example.net/team/app:1',
      'quay.io/team/app:1',
    ]);
    expect(sourcesOf(resolver, `quay.io/team/app@${DIGEST}`)).toEqual([
      `digest.example.net/team/app@${DIGEST}`,
      `all.example.net/team/app@${DIGEST}`,
      `unset.example.net/team/app@${DIGEST}`,
      `quay.io/team/app@${DIGEST}`,
    ]);
  });

  it('explains each skipped mirror with the line that causes it', () => {
    const [candidate] = resolver.resolve('quay.io/team/app:1').candidates;
    expect(candidate!.skippedMirrors).toHaveLength(1);
    expect(candidate!.skippedMirrors[0]).toMatchObject({
      location: 'digest.example.net/team',
      reason: 'pull-from-mirror-digest-only',
    });
    expect(candidate!.skippedMirrors[0]!.cause).toEqual({ file: MAIN, line: 8 });
  });

  it('rejects the combinations current containers/image rejects, with its error text', () => {
    const both = configError(
      '[[registry]]\nprefix = "q.io"\nlocation = "q.io"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "m.example.net"\npull-from-mirror = "all"\n',
    );
    expect(both.upstream).toBe(
      `loading registries configuration "${MAIN}": cannot set mirror usage mirror-by-digest-only for the registry ("q.io") and pull-from-mirror for per-mirror ("m.example.net") at the same time`,
    );
    const value = configError(
      '[[registry]]\nlocation = "q.io"\n[[registry.mirror]]\nlocation = "m.example.net"\npull-from-mirror = "sometimes"\n',
    );
    expect(value.upstream).toBe(
      `loading registries configuration "${MAIN}": unsupported pull-from-mirror value "sometimes" for mirror "m.example.net"`,
    );
    expect(value.location).toEqual({ file: MAIN, line: 5 });
    const onRegistry = configError('[[registry]]\nlocation = "q.io"\npull-from-mirror = "all"\n');
    expect(onRegistry.upstream).toBe(
      `loading registries configuration "${MAIN}": pull-from-mirror must not be set for a non-mirror registry "q.io"`,
    );
  });
});

describe('other documented differences from 5.23', () => {
  it('an explicitly empty array counts as set when mixing v1 and v2', () => {
    const err = configError(
      'unqualified-search-registries = []\n[registries.search]\nregistries = ["quay.io"]\n',
    );
    expect(err.upstream).toMatch(
      new RegExp(`^loading registries configuration "${MAIN}": mixing sysregistry v1/v2 is not supported`),
    );
  });

  it('a UTF-8 byte order mark is skipped, as current BurntSushi/toml does (parse.go "Read over BOM")', () => {
    const resolver = resolverFor('\uFEFF[[registry]]\nprefix = "q.io"\nlocation = "m.example.net"\n');
    expect(sourcesOf(resolver, 'q.io/a:1')).toEqual(['m.example.net/a:1']);
  });

  it('a mirror location is stored without its trailing slash', () => {
    const resolver = resolverFor(
      '[[registry]]\nlocation = "quay.io/team"\n[[registry.mirror]]\nlocation = "m.example.net/x/"\n',
    );
    expect(sourcesOf(resolver, 'quay.io/team/app:1')).toEqual([
      'm.example.net/x/app:1',
      'quay.io/team/app:1',
    ]);
  });
});

describe.skipIf(oracleUnavailableReason() !== null)(
  'what skopeo 1.9.3 (containers/image 5.23) does here',
  () => {
    let root = '';
    beforeAll(async () => {
      root = await mkdtemp(path.join(os.tmpdir(), 'mirrorscope-5.23-'));
    });
    afterAll(async () => {
      await rm(root, { recursive: true, force: true });
    });

    it('5.23 already implements pull-from-mirror exactly like the hand-written expectations', async () => {
      await writeRoot(root, { 'etc/containers/registries.conf': PULL_FROM_MIRROR });
      const resolver = resolverFor(PULL_FROM_MIRROR);
      const refs = ['quay.io/team/app:1', `quay.io/team/app@${DIGEST}`];
      const runs = await skopeoInspect(root, refs);
      refs.forEach((ref, i) =>
        expect(runs[i]!.attempts.map((a) => a.reference)).toEqual(sourcesOf(resolver, ref)),
      );
    });

    it('5.23 accepts [] next to v1 tables, and keeps the mirror trailing slash (so the rewrite fails)', async () => {
      await writeRoot(root, {
        'etc/containers/registries.conf':
          'unqualified-search-registries = []\n[registries.search]\nregistries = ["quay.io"]\n',
      });
      const [mixed] = await skopeoInspect(root, ['quay.io/team/app:1']);
      expect(mixed!.attempts.map((a) => a.reference)).toEqual(['quay.io/team/app:1']);
      await writeRoot(root, {
        'etc/containers/registries.conf':
          '[[registry]]\nlocation = "quay.io/team"\n[[registry.mirror]]\nlocation = "m.example.net/x/"\n',
      });
      const [slash] = await skopeoInspect(root, ['quay.io/team/app:1']);
      expect(skopeoCause(slash!)).toBe('rewriting reference: invalid reference format');
    });

    it('the Debian skopeo rejects a byte order mark that current BurntSushi/toml skips', async () => {
      await writeRoot(root, {
        'etc/containers/registries.conf': '\uFEFF[[registry]]\nprefix = "q.io"\nlocation = "m.example.net"\n',
      });
      const [bom] = await skopeoInspect(root, ['q.io/a:1']);
      expect(bom!.failure).toBe('config');
      expect(skopeoCause(bom!)).toContain("toml: line 1: expected '.' or '=', but got '\\ufeff' instead");
    });
  },
);
