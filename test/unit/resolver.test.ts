import { describe, expect, it } from 'vitest';
import { assembleRegistriesConfig } from '../../src/core/registries/assemble.js';
import { loadMachineAliases } from '../../src/core/registries/machine-aliases.js';
import { stringOf } from '../../src/core/reference/reference.js';
import { Resolver, type ResolverOptions } from '../../src/core/resolve/resolver.js';

const MAIN = '/etc/containers/registries.conf';
const D = 'sha256:' + 'b'.repeat(64);

function resolver(text: string, options: ResolverOptions = {}) {
  return new Resolver(assembleRegistriesConfig({ main: { path: MAIN, text }, dropIns: [] }), options);
}

const refs = (r: Resolver, input: string) =>
  r.resolve(input).candidates.map((c) => c.sources.map((s) => s.reference));

const PULL_SOURCES = `
[[registry]]
prefix = "example.com/foo"
location = "real.example.com/bar"
[[registry.mirror]]
location = "m1.example/m"
[[registry.mirror]]
location = "m2.example/m"
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "m3.example/m"
pull-from-mirror = "tag-only"
insecure = true
`;

describe('pull sources', () => {
  it('lists mirrors in order, filtered by tag/digest, and the primary last', () => {
    const r = resolver(PULL_SOURCES);
    expect(refs(r, 'example.com/foo/app:1')).toEqual([
      ['m1.example/m/app:1', 'm3.example/m/app:1', 'real.example.com/bar/app:1'],
    ]);
    expect(refs(r, `example.com/foo/app@${D}`)).toEqual([
      [`m1.example/m/app@${D}`, `m2.example/m/app@${D}`, `real.example.com/bar/app@${D}`],
    ]);
    const skipped = r.resolve('example.com/foo/app:1').candidates[0]!.skippedMirrors;
    expect(skipped).toEqual([
      expect.objectContaining({
        location: 'm2.example/m',
        reason: 'pull-from-mirror-digest-only',
        cause: { file: MAIN, line: 9 },
      }),
    ]);
  });

  it('takes insecure from the endpoint itself', () => {
    const sources = resolver(PULL_SOURCES).resolve('example.com/foo/app:1').candidates[0]!.sources;
    expect(sources.map((s) => s.insecure)).toEqual([false, true, false]);
  });

  it('mirror-by-digest-only overrides per-mirror rules and drops every mirror for tags', () => {
    const r = resolver(
      `[[registry]]\nlocation = "q.example/ns"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "m.example/ns"\n`,
    );
    expect(refs(r, 'q.example/ns/a:1')).toEqual([['q.example/ns/a:1']]);
    expect(refs(r, `q.example/ns/a@${D}`)).toEqual([[`m.example/ns/a@${D}`, `q.example/ns/a@${D}`]]);
  });

  it('drops the tag of a tag+digest reference, as CRI-O does', () => {
    const c = resolver('').resolve(`quay.io/a/b:1@${D}`).candidates[0]!;
    expect(c.image).toBe(`quay.io/a/b@${D}`);
    expect(c.explanation[0]).toContain('drops the tag');
  });

  it('contacts docker.io as registry-1.docker.io', () => {
    expect(resolver('').resolve('busybox').candidates).toEqual([]);
    const s = resolver('').resolve('docker.io/library/busybox').candidates[0]!.sources[0]!;
    expect(s).toMatchObject({
      reference: 'docker.io/library/busybox:latest',
      host: 'registry-1.docker.io',
      mirror: false,
    });
  });
});

describe('blocked is checked on the physical reference', () => {
  it('a blocked entry whose location rewrites elsewhere is not enforced', () => {
    const r = resolver(
      `[[registry]]\nprefix = "example.com/blk"\nlocation = "localhost:5000/blk"\nblocked = true\n`,
    );
    expect(r.resolve('example.com/blk/img:1').candidates[0]!.sources[0]).toMatchObject({
      reference: 'localhost:5000/blk/img:1',
      blocked: false,
    });
  });

  it('a blocked primary still lets its mirrors be tried', () => {
    const r = resolver(
      `[[registry]]\nlocation = "quay.io/acme"\nblocked = true\n[[registry.mirror]]\nlocation = "m.example/acme"\n`,
    );
    const sources = r.resolve('quay.io/acme/app:1').candidates[0]!.sources;
    expect(sources.map((s) => [s.reference, s.blocked])).toEqual([
      ['m.example/acme/app:1', false],
      ['quay.io/acme/app:1', true],
    ]);
    expect(sources[1]!.blockedBy).toEqual({ prefix: 'quay.io/acme', file: MAIN, line: 3 });
  });

  it('a mirror that lands on a blocked entry is blocked', () => {
    const r = resolver(
      `[[registry]]\nlocation = "a.example"\n[[registry.mirror]]\nlocation = "b.example"\n[[registry]]\nlocation = "b.example"\nblocked = true\n`,
    );
    expect(r.resolve('a.example/x').candidates[0]!.sources.map((s) => s.blocked)).toEqual([true, false]);
  });
});

describe('rewrite failures stop the pull before any attempt', () => {
  it.each([
    [
      '[[registry]]\nprefix = "example.com"\nlocation = "mirror"\n',
      'example.com/x:1',
      'rewriting reference: repository name must be canonical',
    ],
    [
      '[[registry]]\nprefix = "*.wild.com"\nlocation = ""\n[[registry.mirror]]\nlocation = "wmirror.local/x"\n',
      'a.b.wild.com:5000/ns/img:1',
      'rewriting reference: invalid reference format',
    ],
    [
      '[[registry]]\nprefix = "example.com"\nlocation = "example.com:5000"\n',
      'example.com:5000/image',
      'rewriting reference: invalid reference format',
    ],
  ])('%j + %s', (conf, input, upstream) => {
    const result = resolver(conf).resolve(input);
    expect(result.candidates[0]!.sources).toEqual([]);
    expect(result.error).toMatchObject({ code: 'rewrite-invalid' });
    expect(result.error?.upstream).toContain(upstream);
  });

  it('a wildcard with an empty location keeps the reference unchanged', () => {
    const r = resolver('[[registry]]\nprefix = "*.wild.com"\nlocation = ""\ninsecure = true\n');
    expect(r.resolve('a.wild.com/x').candidates[0]!.sources[0]).toMatchObject({
      reference: 'a.wild.com/x:latest',
      insecure: true,
    });
  });
});

describe('short names', () => {
  const conf = `unqualified-search-registries = ["r1.example", "docker.io"]
[aliases]
"app" = "quay.io/acme/app"
"gone" = ""
`;

  it('uses an alias first (one candidate, tag kept)', () => {
    const result = resolver(conf).resolve('app:2');
    expect(result.candidates.map((c) => [c.image, c.via])).toEqual([['quay.io/acme/app:2', 'alias']]);
    expect(result.shortName?.description).toBe(`Resolved "app" as an alias (${MAIN})`);
    expect(result.candidates[0]!.explanation).toContain(`alias defined at ${MAIN}:3`);
  });

  it('falls back to the search registries, in order, for an erased alias', () => {
    expect(
      resolver(conf)
        .resolve('gone')
        .candidates.map((c) => c.image),
    ).toEqual(['r1.example/gone:latest', 'docker.io/library/gone:latest']);
  });

  it('lets the machine alias file win', () => {
    const machine = loadMachineAliases({
      path: '/var/cache/containers/short-name-aliases.conf',
      text: '[aliases]\n"app" = "registry.example/other/app"\n',
    });
    if (!machine.ok) throw new Error('fixture');
    expect(resolver(conf, { machineAliases: machine.aliases }).resolve('app').candidates[0]!.image).toBe(
      'registry.example/other/app:latest',
    );
  });

  it('CRI-O fails an ambiguous short name in enforcing mode (its default)', () => {
    const result = resolver(conf, { shortNameModeOverride: { mode: 'enforcing', origin: null } }).resolve(
      'nginx',
    );
    expect(result.error).toMatchObject({
      code: 'short-name-error',
      message: 'short name mode is enforcing, but image name nginx returns ambiguous list',
      upstream: 'short-name resolution enforced but cannot prompt without a TTY',
    });
  });

  it('a single search registry never needs a prompt', () => {
    const r = resolver('unqualified-search-registries = ["only.example"]\nshort-name-mode = "enforcing"\n');
    expect(r.resolve('x').candidates.map((c) => c.image)).toEqual(['only.example/x:latest']);
  });

  it('explains a missing search list with the file that should define it', () => {
    expect(resolver('').resolve('nginx').error).toMatchObject({
      code: 'short-name-error',
      message: `short-name "nginx" did not resolve to an alias and no unqualified-search registries are defined in "${MAIN}"`,
    });
    const none = new Resolver(assembleRegistriesConfig({ main: null, dropIns: [] }));
    expect(none.resolve('nginx').error?.message).toBe(
      'short-name "nginx" did not resolve to an alias and no containers-registries.conf(5) was found',
    );
  });

  it('fails on a search registry that cannot form a valid name', () => {
    const r = resolver('unqualified-search-registries = ["docker.io"]\n');
    expect(r.resolve('Foo').error?.code).toBe('invalid-reference');
  });

  it('refuses invalid references with the containers/image text', () => {
    expect(resolver(conf).resolve('example.com/Foo').error).toMatchObject({
      code: 'invalid-reference',
      upstream: 'cannot parse input: "example.com/Foo": repository name must be lowercase',
    });
  });
});

describe('Resolver.plan', () => {
  it('puts a skipped mirror where the file has it, with the reference it would have been asked for', () => {
    const r = resolver(PULL_SOURCES);
    const plan = r.plan('example.com/foo/app:1');
    const candidate = plan.candidates[0]!;
    const registry = r.config.registries[0]!;
    expect(candidate.registry).toBe(registry);
    expect(stringOf(candidate.logical)).toBe('example.com/foo/app:1');
    expect(candidate.sources.map((s) => [s.kind, s.entry])).toEqual([
      ['try', registry.mirrors[0]],
      ['skip', registry.mirrors[1]],
      ['try', registry.mirrors[2]],
      ['try', registry],
    ]);
    expect(candidate.sources[1]).toMatchObject({
      kind: 'skip',
      reference: 'm2.example/m/app:1',
      resolution: { reason: 'pull-from-mirror-digest-only' },
    });
    expect(candidate.sources[2]).toMatchObject({
      kind: 'try',
      credentialsKey: 'm3.example/m/app',
      physical: { domain: 'm3.example', path: 'm/app', tag: '1', digest: undefined },
      resolution: { reference: 'm3.example/m/app:1', insecure: true },
    });
  });

  it('plans a tag-only mirror as skipped for a digest, after the mirrors before it', () => {
    const candidate = resolver(PULL_SOURCES).plan(`example.com/foo/app@${D}`).candidates[0]!;
    expect(
      candidate.sources.map((s) => (s.kind === 'try' ? s.resolution.reference : `skip ${s.reference}`)),
    ).toEqual([
      `m1.example/m/app@${D}`,
      `m2.example/m/app@${D}`,
      `skip m3.example/m/app@${D}`,
      `real.example.com/bar/app@${D}`,
    ]);
  });

  it('plans one source with no entry when no prefix matches', () => {
    const candidate = resolver(PULL_SOURCES).plan('quay.io/a/b:2').candidates[0]!;
    expect(candidate.registry).toBeNull();
    expect(candidate.sources).toEqual([
      expect.objectContaining({ kind: 'try', entry: null, credentialsKey: 'quay.io/a/b' }),
    ]);
  });

  it('plans no source when the rewrite fails, and none for an invalid reference', () => {
    const r = resolver('[[registry]]\nprefix = "example.com/foo"\nlocation = "Bad.Example/X"\n');
    const plan = r.plan('example.com/foo/app:1');
    expect(plan.resolution.error?.code).toBe('rewrite-invalid');
    expect(plan.candidates[0]!.sources).toEqual([]);
    expect(r.plan('Not//valid').candidates).toEqual([]);
  });
});
