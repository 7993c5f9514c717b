import { describe, expect, it } from 'vitest';
import { assembleRegistriesConfig } from '../../src/core/registries/assemble.js';
import { MirrorscopeError } from '../../src/core/errors.js';

const MAIN = '/etc/containers/registries.conf';
const dropIn = (name: string, text: string) => ({ path: `/etc/containers/registries.conf.d/${name}`, text });

function load(text: string, ...dropIns: { path: string; text: string }[]) {
  return assembleRegistriesConfig({ main: { path: MAIN, text }, dropIns });
}

function loadError(text: string, ...dropIns: { path: string; text: string }[]): MirrorscopeError {
  try {
    load(text, ...dropIns);
  } catch (err) {
    if (err instanceof MirrorscopeError) return err;
    throw err;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('registries.conf v2 loading', () => {
  it('keeps file and line for registries, mirrors and flags', () => {
    const config = load(`unqualified-search-registries = ["a.example"]

[[registry]]
prefix = "example.com/foo"
location = "real.example.com/bar"
insecure = true

  [[registry.mirror]]
  location = "m1.example/m"
  pull-from-mirror = "digest-only"
`);
    const reg = config.registries[0]!;
    expect(reg).toMatchObject({
      prefix: 'example.com/foo',
      location: 'real.example.com/bar',
      insecure: true,
    });
    expect(reg.origin).toEqual({ file: MAIN, line: 3 });
    expect(reg.insecureOrigin).toEqual({ file: MAIN, line: 6 });
    expect(reg.mirrors[0]!.origin).toEqual({ file: MAIN, line: 8 });
    expect(reg.mirrors[0]!.pullFromMirrorOrigin).toEqual({ file: MAIN, line: 10 });
    expect(config.unqualifiedSearchRegistriesOrigin).toEqual({ file: MAIN, line: 1 });
  });

  it('finds lines in inline-table forms too', () => {
    const config = load(`registry = [
  { location = "a.example", mirror = [{ location = "m.example" }] },
  { location = "b.example", blocked = true },
]`);
    expect(config.registries.map((r) => [r.prefix, r.origin.line])).toEqual([
      ['a.example', 2],
      ['b.example', 3],
    ]);
    expect(config.registries[0]!.mirrors[0]!.origin.line).toBe(2);
  });

  it('defaults: permissive mode, containers-auth.json helper, prefix = location, trailing slashes trimmed', () => {
    const config = load(`[[registry]]\nlocation = "example.com/ns/"\n`);
    expect(config.shortNameMode).toBe('permissive');
    expect(config.credentialHelpers).toEqual(['containers-auth.json']);
    expect(config.registries[0]).toMatchObject({ prefix: 'example.com/ns', location: 'example.com/ns' });
  });

  it('sorts by prefix byte-wise and keeps the first of duplicate prefixes, with a note', () => {
    const config = load(`[[registry]]
location = "b.example"
[[registry]]
prefix = "*.example"
location = ""
[[registry]]
location = "b.example"
[[registry.mirror]]
location = "m.example"
`);
    expect(config.registries.map((r) => r.prefix)).toEqual(['*.example', 'b.example']);
    expect(config.registries[1]!.mirrors).toEqual([]);
    expect(config.notes.map((n) => [n.code, n.origin.line])).toContainEqual(['duplicate-prefix-ignored', 6]);
  });

  it('matches keys case-insensitively like the Go decoder and notes unknown keys with their line', () => {
    const config = load(`[[registry]]
Location = "example.com"
mirror-by-digest-onyl = true
`);
    expect(config.registries[0]!.location).toBe('example.com');
    expect(config.notes).toContainEqual(
      expect.objectContaining({ code: 'unknown-key', origin: { file: MAIN, line: 3 } }),
    );
  });

  it('notes TOML 1.1-only syntax that older CRI-O builds reject', () => {
    const config = load(
      `registry = [{ location = "a.example", }]\n[aliases]\n"x" = "a.example/\\x41"\n`.replace('\\x41', 'x'),
    );
    expect(config.notes.map((n) => n.code)).toContain('toml-1.1-syntax');
  });
});

describe('validation errors name the file and line and carry the containers/image text', () => {
  it.each([
    ['[[registry]]\ninsecure = true\n', 1, 'invalid condition: both location and prefix are unset'],
    [
      '[[registry]]\nprefix = "example.com"\n',
      1,
      'invalid condition: location is unset and prefix is not in the format: *.example.com',
    ],
    [
      '[[registry]]\nlocation = "a.example"\n[[registry.mirror]]\ninsecure = true\n',
      3,
      'invalid condition: mirror location is unset',
    ],
    [
      '[[registry]]\nlocation = "https://a.example"\n',
      1,
      "invalid location 'https://a.example': URI schemes are not supported",
    ],
    [
      '[[registry]]\nlocation = "a.example"\npull-from-mirror = "all"\n',
      3,
      'pull-from-mirror must not be set for a non-mirror registry "a.example"',
    ],
    [
      '[[registry]]\nlocation = "a.example"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "m.example"\npull-from-mirror = "all"\n',
      6,
      'cannot set mirror usage mirror-by-digest-only for the registry ("a.example") and pull-from-mirror for per-mirror ("m.example") at the same time',
    ],
    [
      '[[registry]]\nlocation = "a.example"\n[[registry.mirror]]\nlocation = "m.example"\npull-from-mirror = "sometimes"\n',
      5,
      'unsupported pull-from-mirror value "sometimes" for mirror "m.example"',
    ],
    [
      '[[registry]]\nprefix = "x.example"\nlocation = "a.example"\n[[registry]]\nprefix = "y.example"\nlocation = "a.example"\ninsecure = true\n',
      4,
      "registry 'a.example' is defined multiple times with conflicting 'insecure' setting",
    ],
    [
      'unqualified-search-registries = ["example.com/ns"]\n',
      1,
      'Invalid unqualified-search-registries entry "example.com/ns"',
    ],
    ['short-name-mode = "strict"\n', 1, 'invalid short-name mode: "strict"'],
    [
      '[[registry]]\nprefix = "*.example.com/ns"\nlocation = "a.example"\n',
      1,
      'Wildcarded prefix should be in the format: *.example.com. Current prefix "*.example.com/ns" is incorrectly formatted',
    ],
    [
      '[aliases]\n"a.example/x" = "quay.io/x"\n',
      2,
      'validating short-name aliases: invalid short name "a.example/x": must not contain registry',
    ],
    [
      '[aliases]\n"x" = "x"\n',
      2,
      'validating short-name aliases: invalid alias "x": must contain registry and repository',
    ],
    [
      '[aliases]\n"x" = "quay.io/x:1"\n',
      2,
      'validating short-name aliases: invalid alias "quay.io/x:1": must not contain tag',
    ],
    [
      '[registries.search]\nregistries = ["a.example"]\n[[registry]]\nlocation = "b.example"\n',
      2,
      'mixing sysregistry v1/v2 is not supported',
    ],
    [
      '[[registry]]\ninsecure = "yes"\nlocation = "a.example"\n',
      2,
      'toml: registry[0].insecure: expected a boolean (true or false), got a string',
    ],
    [
      '[registry]\nlocation = "a.example"\n',
      1,
      'toml: registry: expected an array of tables ([[...]]), got a table',
    ],
  ])('%j', (text, line, upstream) => {
    const err = loadError(text);
    expect(err.code).toBe('config-invalid');
    expect(err.location).toEqual({ file: MAIN, line });
    expect(err.upstream).toBe(`loading registries configuration "${MAIN}": ${upstream}`);
    expect(err.message).toMatch(new RegExp(`^${MAIN}:${line}: `));
  });

  it('reports TOML syntax errors with line', () => {
    const err = loadError('[[registry]]\nlocation = "a.example"\ninsecure = tru\n');
    expect(err.location).toEqual({ file: MAIN, line: 3 });
    expect(err.message).toContain('invalid TOML');
  });

  it('wraps drop-in errors as drop-in errors and refuses v1 drop-ins', () => {
    const err = loadError('', dropIn('10.conf', '[registries.block]\nregistries = ["a.example"]\n'));
    expect(err.upstream).toBe(
      'loading drop-in registries configuration "/etc/containers/registries.conf.d/10.conf": registry must be in v2 format but is in v1',
    );
    expect(err.location).toEqual({ file: '/etc/containers/registries.conf.d/10.conf', line: 2 });
  });

  it('reports every invalid alias, not only the first', () => {
    const err = loadError('[aliases]\n"a" = "x"\n"b" = "y"\n');
    expect(err.upstream).toContain('invalid alias "x"');
    expect(err.upstream).toContain('\n: invalid alias "y"');
  });
});

describe('v1 format', () => {
  it('converts search/insecure/block with blocked entries first', () => {
    const config = load(`[registries.search]
registries = ["s.example", "docker.io"]
[registries.insecure]
registries = ["i.example", "b.example"]
[registries.block]
registries = ["b.example/"]
`);
    expect(config.unqualifiedSearchRegistries).toEqual(['s.example', 'docker.io']);
    expect(config.registries.map((r) => [r.prefix, r.blocked, r.insecure])).toEqual([
      ['b.example', true, true],
      ['i.example', false, true],
    ]);
    expect(config.notes.map((n) => n.code)).toContain('v1-format');
  });
});

describe('drop-in merging', () => {
  it('replaces whole entries by prefix, replaces lists only when mentioned, merges aliases and lets "" erase', () => {
    const config = load(
      `unqualified-search-registries = ["a.example"]
credential-helpers = ["secretservice"]
[[registry]]
location = "reg.example"
[[registry.mirror]]
location = "mirror.example"
[aliases]
"one" = "a.example/one"
"two" = "a.example/two"
`,
      dropIn(
        '10.conf',
        `[[registry]]\nlocation = "reg.example"\ninsecure = true\n[aliases]\n"two" = ""\n"three" = "docker.io/three"\n`,
      ),
      dropIn('20.conf', `credential-helpers = []\nshort-name-mode = "enforcing"\n`),
    );
    const reg = config.registries[0]!;
    expect(reg.mirrors).toEqual([]);
    expect(reg.insecure).toBe(true);
    expect(reg.origin.file).toBe('/etc/containers/registries.conf.d/10.conf');
    expect(config.notes.map((n) => n.code)).toContain('drop-in-replaces-registry');
    expect(config.unqualifiedSearchRegistries).toEqual(['a.example']);
    expect(config.unqualifiedSearchRegistriesOrigin?.file).toBe(MAIN);
    expect(config.credentialHelpers).toEqual(['containers-auth.json']);
    expect(config.shortNameMode).toBe('enforcing');
    expect(config.shortNameModeOrigin).toEqual({
      file: '/etc/containers/registries.conf.d/20.conf',
      line: 2,
    });
    expect(config.aliases.get('one')?.value).toBe('a.example/one');
    expect(config.aliases.get('two')?.value).toBe('');
    expect(config.aliases.get('three')?.value).toBe('docker.io/library/three');
  });

  it('starts from an empty configuration when registries.conf does not exist', () => {
    const config = assembleRegistriesConfig({
      main: null,
      dropIns: [dropIn('01.conf', 'unqualified-search-registries = ["q.example"]\n')],
    });
    expect(config.unqualifiedSearchRegistries).toEqual(['q.example']);
    expect(config.files).toEqual(['/etc/containers/registries.conf.d/01.conf']);
  });
});
