// Hand-picked configurations for the quirks of containers-image.md §2–§5 that random generation
// reaches only by luck, each checked against the real skopeo (fully qualified references) and podman
// (short names), with the same comparison as the generated suites.
import { describe, expect, it } from 'vitest';
import type { GeneratedCase } from '../support/config-generator.js';
import { oracleUnavailableReason, podmanPull, skopeoInspect } from '../support/oracle.js';
import { compareWithPodman, compareWithSkopeo } from '../support/differential-compare.js';
import {
  engineAnswers,
  formatMismatch,
  pool,
  withRoot,
  type Mismatch,
} from '../support/differential-harness.js';

const D = `sha256:${'0123456789abcdef'.repeat(4)}`;
const CONF = 'etc/containers/registries.conf';
const DROP = 'etc/containers/registries.conf.d';

interface Quirk {
  readonly name: string;
  readonly files: Record<string, string>;
  readonly refs?: readonly string[];
  readonly names?: readonly string[];
}

const QUIRKS: readonly Quirk[] = [
  {
    name: 'host prefix matches host:port, not a longer host',
    files: { [CONF]: '[[registry]]\nprefix = "example.com"\nlocation = "other.example"\n' },
    refs: ['example.com:5000/a:1', 'example.com/a:1', 'example.comx/a:1', 'example.com@fake/x:1'],
  },
  {
    name: 'rewrites that are not canonical fail the whole pull',
    files: {
      [CONF]: [
        '[[registry]]\nprefix = "quay.io/x"\nlocation = "mirror"',
        '[[registry]]\nprefix = "quay.io/lib"\nlocation = "docker.io"',
        '[[registry]]\nprefix = "quay.io/lib2"\nlocation = "docker.io/library"',
        '[[registry]]\nprefix = "example.com"\nlocation = "example.com:5000"',
        '[[registry]]\nprefix = "quay.io/ok"\nlocation = "quay.io/ok"\n[[registry.mirror]]\nlocation = "mirror"',
      ].join('\n'),
    },
    refs: [
      'quay.io/x/a:1',
      'quay.io/lib/busybox:1',
      'quay.io/lib/ns/busybox:1',
      'quay.io/lib2/busybox:1',
      'example.com:5000/image:latest',
      'quay.io/ok/a:1',
    ],
  },
  {
    name: 'wildcards: empty location, port left in the remainder, bare domain, first occurrence',
    files: {
      [CONF]:
        '[[registry]]\nprefix = "*.wild.com"\n[[registry.mirror]]\nlocation = "wmirror.example.net/x"\n[[registry]]\nprefix = "*.io"\nlocation = "io.example.net"\n[[registry]]\nprefix = "**.example.com"\nlocation = "never.example.net"\n',
    },
    refs: [
      'a.b.wild.com:5000/ns/img:1',
      'a.b.wild.com/ns/img:1',
      'wild.com/ns/img:1',
      'foo.wild.com.wild.com/x:1',
      'foo.io.example.io/x:1',
      'quay.io/x:1',
      'a.example.com/x:1',
    ],
  },
  {
    name: 'equal-length tie goes to the prefix that sorts first (the wildcard)',
    files: {
      [CONF]:
        '[[registry]]\nprefix = "a.example.com"\nlocation = "plain.example.net"\n[[registry]]\nprefix = "*.example.com"\nlocation = "wild.example.net"\n',
    },
    refs: ['a.example.com/foo:1', 'b.example.com/foo:1', 'a.example.com:443/foo:1'],
  },
  {
    name: 'blocked is checked on the physical name',
    files: {
      [CONF]: [
        '[[registry]]\nprefix = "example.com/blk"\nlocation = "elsewhere.example.net/blk"\nblocked = true',
        '[[registry]]\nprefix = "quay.io/blocked"\nlocation = "quay.io/blocked"\nblocked = true\n[[registry.mirror]]\nlocation = "m1.example.net/qb"\n[[registry.mirror]]\nlocation = "m2.example.net/qb"\ninsecure = true',
        '[[registry]]\nprefix = "src.example.com"\nlocation = "dst.example.com"\n[[registry.mirror]]\nlocation = "dst.example.com/mirror"',
        '[[registry]]\nprefix = "dst.example.com"\nlocation = "dst.example.com"\ninsecure = true',
        '[[registry]]\nprefix = "dst.example.com/mirror"\nlocation = "dst.example.com/mirror"\nblocked = true',
      ].join('\n'),
    },
    refs: [
      'example.com/blk/img:1',
      'quay.io/blocked/img:1',
      'src.example.com/a:1',
      'dst.example.com/a:1',
      `dst.example.com/mirror/a@${D}`,
    ],
  },
  {
    name: 'blocked entries below or around a rewritten location',
    files: {
      [CONF]: [
        '[[registry]]\nprefix = "src.example.com"\nlocation = "dst.example.com"\n[[registry.mirror]]\nlocation = "m.blk.example:5000/ns"',
        '[[registry]]\nprefix = "dst.example.com/deep"\nlocation = "dst.example.com/deep"\nblocked = true',
        '[[registry]]\nprefix = "*.blk.example"\nblocked = true',
        '[[registry]]\nprefix = "dst.example.com:5000"\nlocation = "dst.example.com:5000"\nblocked = true',
      ].join('\n'),
    },
    refs: [
      'src.example.com/deep/x:1',
      'src.example.com/deeper/x:1',
      'src.example.com/x:1',
      'dst.example.com:5000/x:1',
      'a.blk.example/x:1',
    ],
  },
  {
    name: 'docker.io normalisation and prefixes that name a tag',
    files: {
      [CONF]:
        '[[registry]]\nprefix = "docker.io/library/busybox"\nlocation = "hub.example.net/busybox"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "m.example.net/hub/busybox"\n[[registry]]\nprefix = "quay.io/ns/img:1"\nlocation = "tagged.example.net/x"\n[[registry]]\nprefix = "index.docker.io"\nlocation = "never.example.net"\n',
    },
    refs: [
      'docker.io/busybox:1',
      'index.docker.io/library/busybox',
      `docker.io/library/busybox@${D}`,
      'docker.io/busyboxer:1',
      'quay.io/ns/img:1',
      'docker.io/library/busybox/sub:1',
    ],
  },
  {
    name: 'drop-ins replace whole entries, change the search list and erase aliases; the machine alias file wins',
    files: {
      [CONF]:
        'unqualified-search-registries = ["quay.io", "docker.io"]\nshort-name-mode = "permissive"\n[[registry]]\nprefix = "quay.io"\nlocation = "quay.io"\n[[registry.mirror]]\nlocation = "qm.example.net"\n[aliases]\n"app" = "quay.io/team/app"\n"tools" = "quay.io/team/tools"\n"cached" = "quay.io/team/cached"\n',
      [`${DROP}/10-replace.conf`]:
        '[[registry]]\nprefix = "quay.io"\nlocation = "quay.io"\ninsecure = true\n[aliases]\n"app" = ""\n',
      [`${DROP}/20-search.conf`]: 'unqualified-search-registries = ["registry.example.com", "quay.io"]\n',
      [`${DROP}/ignored.conf.bak`]: 'this is = [not read\n',
      'var/cache/containers/short-name-aliases.conf':
        '[aliases]\n"cached" = "machine.example.net/ns/cached"\n',
    },
    refs: ['quay.io/team/app:1'],
    names: ['app', 'tools:2', `tools:2@${D}`, 'cached', 'library/busybox', `busybox@${D}`],
  },
  {
    name: 'an empty search list from a drop-in',
    files: {
      [CONF]: 'unqualified-search-registries = ["quay.io"]\n',
      [`${DROP}/50-empty.conf`]: 'unqualified-search-registries = []\n',
    },
    names: ['app', 'ns/app:1'],
  },
  {
    name: 'no registries.conf at all, only a drop-in without a search list',
    files: { [`${DROP}/50-only.conf`]: '[aliases]\n"app" = "quay.io/team/app"\n' },
    names: ['app', 'other'],
  },
  {
    name: 'search list set only in a drop-in; enforcing with one candidate does not need a terminal',
    files: {
      [CONF]: '# nothing but a comment\nshort-name-mode = "enforcing"\n',
      [`${DROP}/50-usr.conf`]: 'unqualified-search-registries = ["registry.example.com"]\n',
    },
    names: ['app', 'ns/app:3'],
  },
  {
    name: 'enforcing with several candidates, disabled with several',
    files: {
      [CONF]:
        'unqualified-search-registries = ["quay.io", "registry.example.com"]\nshort-name-mode = "enforcing"\n',
      [`${DROP}/50-alias.conf`]: '[aliases]\n"app" = "quay.io/team/app"\n',
    },
    names: ['app:1', 'other', `other@${D}`],
  },
  {
    name: 'disabled mode returns every candidate',
    files: {
      [CONF]:
        'unqualified-search-registries = ["quay.io", "docker.io", "registry.example.com"]\nshort-name-mode = "disabled"\n',
    },
    names: ['app', 'library/app:1'],
  },
  {
    name: 'alias values are normalised; names are validated when used',
    files: {
      [CONF]:
        'unqualified-search-registries = ["docker.io"]\n[aliases]\n"hub" = "docker.io/busybox"\n"ported" = "example.com:5000/ns/app"\n',
    },
    names: ['hub', 'hub:1', 'ported', 'library/busybox', 'busybox', 'Busybox', 'bad//name', 'app:'],
  },
  {
    name: 'an empty value in the machine alias file hides the registries.conf alias',
    files: {
      [CONF]:
        'unqualified-search-registries = ["quay.io"]\n[aliases]\n"app" = "registry.example.com/team/app"\n"tools" = "registry.example.com/team/tools"\n',
      'var/cache/containers/short-name-aliases.conf': '[aliases]\n"app" = ""\n',
    },
    names: ['app', 'tools:1'],
  },
  {
    name: 'a broken machine alias file fails every short name',
    files: {
      [CONF]: 'unqualified-search-registries = ["quay.io"]\n',
      'var/cache/containers/short-name-aliases.conf': '[aliases]\n"x" = "noregistry"\n',
    },
    refs: ['quay.io/a:1'],
    names: ['x', 'other', 'quay.io/a:1'],
  },
  {
    name: 'an empty registries.conf',
    files: { [CONF]: '' },
    refs: ['quay.io/a:1'],
    names: ['app'],
  },
];

/** How a file is written must not matter, and each decoding error must be one containers/image gives. */
const TOML_SHAPES: Readonly<Record<string, string>> = {
  'CRLF line ends and trailing comments':
    '[[registry]]\r\nprefix = "q.io" # comment\r\nlocation = "m.example.net"\r\n',
  'an inline array of registry tables':
    'registry = [{ prefix = "q.io", location = "m.example.net", mirror = [{ location = "mm.example.net" }] }]\n',
  'multi-line arrays and other string forms': `unqualified-search-registries = [\n  "quay.io", # first\n  "docker.io",\n]\n[[registry]]\nprefix = """q.io"""\nlocation = 'm.example.net'\n`,
  'keys in another case':
    '[[registry]]\nPrefix = "q.io"\nLOCATION = "m.example.net"\nMirror-By-Digest-Only = true\n[[registry.Mirror]]\nLocation = "mm.example.net"\n',
  'an empty short-name-mode and an empty [aliases]':
    'short-name-mode = ""\n[[registry]]\nprefix = "q.io"\nlocation = "m.example.net"\n[aliases]\n',
  'a key defined twice': '[[registry]]\nprefix = "q.io"\nprefix = "r.io"\nlocation = "m.example.net"\n',
  'a table where an array of tables is expected': '[registry]\nprefix = "q.io"\nlocation = "m.example.net"\n',
  'a string where an array is expected': 'unqualified-search-registries = "quay.io"\n',
  'a mirror table instead of an array':
    '[[registry]]\nprefix = "q.io"\nlocation = "q.io"\n[registry.mirror]\nlocation = "m.example.net"\n',
  'an integer location': '[[registry]]\nprefix = "q.io"\nlocation = 5\n',
};

const SHAPE_QUIRKS: readonly Quirk[] = Object.entries(TOML_SHAPES).map(([name, text]) => ({
  name: `TOML: ${name}`,
  files: { [CONF]: text },
  refs: ['q.io/a:1'],
}));

async function check(quirk: Quirk): Promise<Mismatch[]> {
  const c: GeneratedCase = {
    seed: 0,
    files: quirk.files,
    refs: quirk.refs ?? [],
    names: quirk.names ?? [],
    defect: null,
  };
  return withRoot(c, async (root) => {
    const mismatches: Mismatch[] = [];
    const record = (input: string, problems: string[], ours: unknown, theirs: unknown): void => {
      if (problems.length > 0)
        mismatches.push({
          seed: 0,
          engine: 'podman',
          input,
          problems: [`[${quirk.name}]`, ...problems],
          files: c.files,
          ours,
          theirs,
        });
    };
    const [refAnswers, nameAnswers] = [await engineAnswers(root, c.refs), await engineAnswers(root, c.names)];
    const [skopeo, podman] = [await skopeoInspect(root, c.refs), await podmanPull(root, c.names)];
    skopeo.forEach((run, i) => record(run.input, compareWithSkopeo(refAnswers[i]!, run), refAnswers[i], run));
    podman.forEach((run, i) =>
      record(run.input, compareWithPodman(nameAnswers[i]!, run), nameAnswers[i], run),
    );
    return mismatches;
  });
}

describe.skipIf(oracleUnavailableReason() !== null)('hand-picked quirks agree with skopeo and podman', () => {
  it(`resolves ${QUIRKS.length + SHAPE_QUIRKS.length} quirk configurations as the real tools do`, async () => {
    const mismatches = (await pool([...QUIRKS, ...SHAPE_QUIRKS], 2, check)).flat();
    const text = mismatches.map((m) => formatMismatch(m, 'n/a (hand-written)')).join('\n\n');
    expect(mismatches.length, text).toBe(0);
  }, 120_000);
});
