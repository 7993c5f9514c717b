// What the fuzzer feeds and how it judges the outcome. Every parser of an input mirrorscope reads
// from a file or a peer is a target; a run must end in a result or in the parser's classified error
// that names the file it was given. Anything else — another exception, an error without the file —
// is a failure. Time is judged by the runner (scripts/fuzz.ts), which can stop a hung worker.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAuthFile } from '../../src/core/credentials/auth-file.js';
import { readCrioImageConfig } from '../../src/core/crio/crio-config.js';
import { MirrorscopeError } from '../../src/core/errors.js';
import { parseClusterObjects } from '../../src/core/mco/parse-objects.js';
import { renderRegistries } from '../../src/core/mco/render.js';
import { parsePolicy } from '../../src/core/policy/parse-policy.js';
import { requirementsFor } from '../../src/core/policy/select-scope.js';
import { parseNormalizedNamed, type ImageReference } from '../../src/core/reference/reference.js';
import { assembleRegistriesConfig } from '../../src/core/registries/assemble.js';
import { loadMachineAliases } from '../../src/core/registries/machine-aliases.js';
import { Resolver } from '../../src/core/resolve/resolver.js';
import { lookasideFor, parseRegistriesD } from '../../src/core/signatures/registries-d.js';
import {
  encode,
  parseAgentMessage,
  parseCollectorMessage,
  ProtocolError,
} from '../../src/protocol/messages.js';
import { FindingDigestTable } from '../../src/collector/finding-digest-table.js';
import { SnapshotAssembly } from '../../src/collector/snapshot-assembly.js';
import { FindingFilter } from '../../src/protocol/finding-filter.js';
import type { Dialect } from './mutate.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const read = (rel: string): string => readFileSync(path.join(REPO, rel), 'utf8');
const readAll = (dir: string, suffix: RegExp): string[] =>
  readdirSync(path.join(REPO, dir))
    .filter((n) => suffix.test(n))
    .sort()
    .map((n) => read(path.join(dir, n)));

const NODE = 'examples/node-root';

const TOML: Dialect = {
  tokens: [
    '[',
    ']',
    '[[',
    ']]',
    '=',
    '"',
    "'",
    '"""',
    "'''",
    '{',
    '}',
    ',',
    '.',
    '#',
    '\n',
    '\\',
    '\\u00e9',
    '\\U0010FFFF',
    '\\e',
    '\\x41',
    'true',
    'false',
    'inf',
    '-nan',
    '1979-05-27T07:32:00Z',
    '07:32',
    '0x1F',
    '1e999',
    '-0',
    '9223372036854775808',
    'prefix',
    'location',
    'mirror',
    'registry',
    'insecure',
    'blocked',
    'mirror-by-digest-only',
    'pull-from-mirror = "digest-only"',
    'unqualified-search-registries',
    'short-name-mode = "permissive"',
    '[aliases]',
    'credential-helpers',
    '[registries.search]',
    'registries = [',
    '[crio.image]',
    'global_auth_file = ',
    'signature_policy = ',
    'short_name_mode = ',
    '*.',
    'quay.io/',
    '[[registry.mirror]]',
    '\nlocation = "m.example.com/x"\n',
    '\nprefix = "*.example.com"\n',
  ],
  nest: (d, inner) =>
    d % 2 === 0
      ? `x = ${'['.repeat(d)}${inner}${']'.repeat(d)}`
      : `x = ${'{a='.repeat(d)}${inner}${'}'.repeat(d)}`,
};

const YAML: Dialect = {
  tokens: [
    ':',
    ': ',
    '- ',
    '[',
    ']',
    '{',
    '}',
    ',',
    '&a ',
    '*a',
    '!!str ',
    '!!binary ',
    '!custom ',
    '? ',
    '|\n',
    '>-\n',
    '---\n',
    '...\n',
    '"',
    "'",
    '#',
    '\n  ',
    '\n    ',
    '\t',
    'docker:',
    'default-docker:',
    'lookaside: ',
    'lookaside-staging: ',
    'sigstore: ',
    'use-sigstore-attachments: yes',
    '<<: *a',
    '%YAML 1.2\n',
    'apiVersion: config.openshift.io/v1',
    'kind: ImageDigestMirrorSet',
    'kind: ImageTagMirrorSet',
    'kind: ImageContentSourcePolicy',
    'kind: Image',
    'spec:',
    'imageDigestMirrors:',
    'imageTagMirrors:',
    'mirrors:',
    'source: ',
    'mirrorSourcePolicy: NeverContactSource',
    'registrySources:',
    'blockedRegistries:',
    'metadata: {name: x}',
    'file:///var/lib/containers/sigstore',
    'https://user:pw@sigs.example.com/',
  ],
  nest: (d, inner) =>
    [
      `${'['.repeat(d)}${inner}${']'.repeat(d)}`,
      `docker:\n${'  a: b:\n'.repeat(d)} c:\n`,
      Array.from({ length: d }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ` ${inner}\n`,
      `${'- '.repeat(d)}${inner}`,
    ][d % 4]!,
};

const JSON_DIALECT: Dialect = {
  tokens: [
    '{',
    '}',
    '[',
    ']',
    ':',
    ',',
    '"',
    '\\u00',
    '\\ud800',
    '\\',
    'null',
    'true',
    '1e400',
    '-0',
    '0.5e-400',
    '"default"',
    '"transports"',
    '"docker"',
    '"docker-daemon"',
    '"type"',
    '"reject"',
    '"insecureAcceptAnything"',
    '"signedBy"',
    '"keyType"',
    '"GPGKeys"',
    '"keyPath"',
    '"keyPaths"',
    '"keyData"',
    '"sigstoreSigned"',
    '"fulcio"',
    '"pki"',
    '"signedIdentity"',
    '"matchRepository"',
    '"remapIdentity"',
    '"prefix"',
    '"signedPrefix"',
    '"auths"',
    '"auth"',
    '"identitytoken"',
    '"credHelpers"',
    '"dXNlcjpwYXNz"',
    '"hello"',
    '"snapshot"',
    '"delta"',
    '"findings"',
    '"findingRefs"',
    '"findingBodies"',
    '"findingFilter"',
    '"v"',
    '"seq"',
    '"images"',
    '"trace-request"',
  ],
  nest: (d, inner) =>
    d % 2 === 0 ? `${'['.repeat(d)}${inner}${']'.repeat(d)}` : `${'{"a":'.repeat(d)}${inner}${'}'.repeat(d)}`,
};

export type Verdict =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly kind: 'crash' | 'unnamed';
      readonly message: string;
      readonly stack?: string;
    };

export interface Target {
  readonly name: string;
  readonly dialect: Dialect;
  readonly seeds: readonly string[];
  /** Runs the parser (and what consumes its result) on one input; returns a verdict. */
  run(text: string): Verdict;
}

const OK: Verdict = { ok: true };

function crash(err: unknown): Verdict {
  const e = err as Error;
  return {
    ok: false,
    kind: 'crash',
    message: `${e?.name ?? typeof err}: ${e?.message ?? String(err)}`,
    stack: e?.stack,
  };
}

/** OK when `parse` returns; else what `onError` makes of what it threw. */
function judged(parse: (text: string) => unknown, text: string, onError: (err: unknown) => Verdict): Verdict {
  try {
    parse(text);
    return OK;
  } catch (err) {
    return onError(err);
  }
}

/** A file parser: a result, or a MirrorscopeError whose location names one of `files`. */
function fileTarget(
  name: string,
  dialect: Dialect,
  seeds: readonly string[],
  files: readonly string[],
  parse: (text: string) => void,
): Target {
  return {
    name,
    dialect,
    seeds,
    run: (text) =>
      judged(parse, text, (err) => {
        if (!(err instanceof MirrorscopeError)) return crash(err);
        const file = err.location?.file;
        if (file !== undefined && files.includes(file) && err.message.startsWith(file)) return OK;
        return {
          ok: false,
          kind: 'unnamed',
          message: `${err.message} (location: ${JSON.stringify(err.location)})`,
        };
      }),
  };
}

/** A peer message: a message, or a ProtocolError. */
function messageTarget(name: string, seeds: readonly string[], parse: (text: string) => unknown): Target {
  return {
    name,
    dialect: JSON_DIALECT,
    seeds,
    run: (text) => judged(parse, text, (err) => (err instanceof ProtocolError ? OK : crash(err))),
  };
}

const REFERENCES = [
  'quay.io/team/app:v1',
  'docker.io/library/busybox',
  'busybox',
  `reg.example.com:5000/a/b@sha256:${'a'.repeat(64)}`,
];

/** A reference as the policy and registries.d lookups take it: tagged `latest` when it has neither. */
function reference(text: string): ImageReference {
  const ref = parseNormalizedNamed(text);
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: 'latest' } : ref;
}

const MAIN = '/etc/containers/registries.conf';
const DROP_IN = '/etc/containers/registries.conf.d/50-fuzz.conf';
const REGISTRIES_D = '/etc/containers/registries.d/fuzz.yaml';
const POLICY = '/etc/containers/policy.json';
const AUTH = '/var/lib/kubelet/config.json';
const CRIO = '/etc/crio/crio.conf';
const CRIO_D = '/etc/crio/crio.conf.d/10-fuzz';
const OBJECTS = 'objects.yaml';
const ALIASES = '/var/cache/containers/short-name-aliases.conf';

const registriesSeeds = [
  read(`${NODE}/etc/containers/registries.conf`),
  ...readAll(`${NODE}/etc/containers/registries.conf.d`, /\.conf$/),
  ...readAll('test/fixtures/mco', /\.conf$/),
  'unqualified-search-registries = ["registry.access.redhat.com", "docker.io"]\nshort-name-mode = "enforcing"\n[aliases]\n"app" = "quay.io/team/app"\n',
  '[registries.search]\nregistries = ["docker.io"]\n[registries.insecure]\nregistries = ["reg.example.com"]\n',
];

function resolveAll(config: ReturnType<typeof assembleRegistriesConfig>): void {
  const resolver = new Resolver(config);
  for (const ref of REFERENCES) {
    try {
      resolver.resolve(ref);
    } catch (err) {
      // A reference the configuration cannot resolve is a classified error too (short names, rewrites).
      if (!(err instanceof MirrorscopeError)) throw err;
    }
  }
}

const protocolSeeds = [
  encode({
    v: 1,
    type: 'hello',
    node: 'n1',
    agentVersion: '0.1.0',
    configHash: 'sha256:x',
    pod: { name: 'p', namespace: 'ns' },
  }),
  encode({
    v: 1,
    type: 'delta',
    seq: 3,
    configHash: 'sha256:x',
    added: [
      {
        key: 'k',
        id: 'image-pull-fails',
        severity: 'error',
        message: 'm',
        file: null,
        line: null,
        scope: null,
        fix: 'f',
        image: 'quay.io/a/b:1',
        host: null,
      },
    ],
    cleared: ['old'],
    hosts: [
      { host: 'quay.io', reachable: true, outcome: 'found', latencyMs: 3, probedAt: '2026-01-01T00:00:00Z' },
    ],
    images: [{ image: 'quay.io/a/b:1', pullable: false, source: null, digest: null, findingKeys: ['k'] }],
  }),
  encode({ v: 1, type: 'images', generation: 2, images: ['quay.io/a/b:1'] }),
  encode({
    v: 1,
    type: 'trace-request',
    requestId: 'r1',
    image: 'quay.io/a/b:1',
    all: true,
    timeoutMs: 5000,
  }),
  encode({
    v: 1,
    type: 'trace-request',
    requestId: 'r2',
    image: 'quay.io/a/b@sha256:' + 'a'.repeat(64),
    all: false,
    timeoutMs: 5000,
    namespace: 'team-a',
    config: {
      files: {
        '/etc/containers/registries.conf': '[[registry]]\nlocation = "quay.io/a"\nblocked = true\n',
        '/etc/containers/registries.conf.d/01-image-searchRegistries.conf': null,
      },
    },
  }),
  encode({
    v: 1,
    type: 'snapshot',
    seq: 4,
    generatedAt: '2026-01-01T00:00:00Z',
    configHash: 'sha256:x',
    files: [],
    findingRefs: ['ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'],
    hosts: [],
    images: [],
    scan: null,
  }),
  encode({
    v: 1,
    type: 'findings-request',
    seq: 4,
    digests: ['ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'],
  }),
  encode({ v: 1, type: 'finding-bodies', seq: 4, bodies: ['{"key":"k"}'] }),
  encode({
    v: 1,
    type: 'welcome',
    collectorVersion: '0.3.0',
    heartbeatIntervalMs: 30000,
    findingDigests: true,
  }),
  encode({
    v: 1,
    type: 'welcome',
    collectorVersion: '0.3.0',
    heartbeatIntervalMs: 30000,
    findingDigests: true,
    findingFilter: { hashes: 16, bits: 'AgBAAAwAAAADAAAgAAAAAQCAAAAAQACEAIAAQAAEAAA' },
  }),
  encode({
    v: 1,
    type: 'snapshot',
    seq: 5,
    generatedAt: '2026-01-01T00:00:00Z',
    configHash: 'sha256:x',
    files: [],
    findingRefs: [
      'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0',
      'H5GDDyEIQxT_Ecg7vQ6YWQ2IlSV4fAqHZspFqrJBi7A',
    ],
    findingBodies: [
      '{"key":"k","id":"i","severity":"info","message":"m","file":null,"line":null,"scope":null,"fix":"f","image":null,"host":null}',
    ],
    hosts: [],
    images: [],
    scan: null,
  }),
];

/**
 * What the collector does with a snapshot by reference (its inline bodies checked against their
 * digests, then looked up) and the agent with a welcome's filter: a refusal is a ProtocolError.
 */
const fuzzTable = new FindingDigestTable({ entries: 1000, bytes: 1 << 20 });
function assembleSnapshot(text: string): void {
  if (text.includes('"welcome"')) {
    const m = parseCollectorMessage(text);
    if (m.type === 'welcome' && m.findingFilter !== undefined)
      FindingFilter.fromWire(m.findingFilter).has('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    return;
  }
  const m = parseAgentMessage(text);
  if (m.type !== 'snapshot') return;
  const assembly = new SnapshotAssembly({
    table: fuzzTable,
    intern: (f) => f,
    internerEpoch: () => 0,
    applySnapshot: () => undefined,
    applyDelta: () => undefined,
    send: () => undefined,
    refuse: (reason) => {
      throw new ProtocolError(reason);
    },
  });
  try {
    assembly.snapshot(m);
  } finally {
    assembly.dispose(); // a snapshot that waits for its bodies would hold a timer
  }
}

export const TARGETS: readonly Target[] = [
  fileTarget('registries.conf', TOML, registriesSeeds, [MAIN], (text) =>
    resolveAll(assembleRegistriesConfig({ main: { path: MAIN, text }, dropIns: [] })),
  ),
  fileTarget('registries.conf.d', TOML, registriesSeeds, [MAIN, DROP_IN], (text) =>
    resolveAll(
      assembleRegistriesConfig({
        main: { path: MAIN, text: registriesSeeds[0]! },
        dropIns: [{ path: DROP_IN, text }],
      }),
    ),
  ),
  fileTarget(
    'short-name-aliases.conf',
    TOML,
    ['[aliases]\n"app" = "quay.io/team/app"\n"x/y" = "reg.example.com/x/y"\n'],
    [ALIASES],
    (text) => {
      const loaded = loadMachineAliases({ path: ALIASES, text });
      if (!loaded.ok && (loaded.error.origin.file !== ALIASES || !loaded.error.message.startsWith(ALIASES)))
        throw new MirrorscopeError('config-invalid', `unnamed: ${loaded.error.message}`);
    },
  ),
  fileTarget(
    'registries.d',
    YAML,
    readAll(`${NODE}/etc/containers/registries.d`, /\.yaml$/),
    [REGISTRIES_D],
    (text) => {
      const config = parseRegistriesD([{ path: REGISTRIES_D, text }]);
      for (const ref of REFERENCES) lookasideFor(config, reference(ref));
    },
  ),
  fileTarget(
    'policy.json',
    JSON_DIALECT,
    [read(`${NODE}/etc/containers/policy.json`), ...readAll('test/fixtures/mco', /\.policy\.json$/)],
    [POLICY],
    (text) => {
      const policy = parsePolicy({ path: POLICY, text });
      for (const ref of REFERENCES) requirementsFor(policy, reference(ref));
    },
  ),
  fileTarget(
    'auth.json',
    JSON_DIALECT,
    [
      read(`${NODE}/var/lib/kubelet/config.json`),
      '{"auths":{"quay.io":{"auth":"dXNlcjpwYXNz","identitytoken":""}},"credHelpers":{"x.io":"pass"}}',
    ],
    [AUTH],
    (text) => {
      parseAuthFile({ path: AUTH, text });
      parseAuthFile({ path: AUTH, text }, { legacy: true });
    },
  ),
  fileTarget(
    'crio.conf',
    TOML,
    [
      read(`${NODE}/etc/crio/crio.conf.d/00-default`),
      '[crio.image]\nglobal_auth_file = "/etc/pull.json"\nsignature_policy = "/etc/p.json"\nshort_name_mode = "disabled"\n',
    ],
    [CRIO, CRIO_D],
    (text) => {
      readCrioImageConfig([{ path: CRIO, text }]);
      readCrioImageConfig([
        { path: CRIO, text: '[crio.image]\npause_image = "x"\n' },
        { path: CRIO_D, text },
      ]);
    },
  ),
  fileTarget('mirror objects', YAML, readAll('test/fixtures/mco', /\.yaml$/), [OBJECTS], (text) => {
    renderRegistries(parseClusterObjects([{ path: OBJECTS, text }]));
  }),
  messageTarget('agent message', protocolSeeds, parseAgentMessage),
  messageTarget('collector message', protocolSeeds, parseCollectorMessage),
  messageTarget('snapshot assembly', protocolSeeds, assembleSnapshot),
];

/** Targets that prove the runner itself notices each kind of failure (used by its own test). */
export const SELF_TEST_TARGETS: readonly Target[] = [
  {
    name: 'self-test crash',
    dialect: JSON_DIALECT,
    seeds: ['{}'],
    run: () => crash(new TypeError('planted')),
  },
  fileTarget('self-test unnamed', JSON_DIALECT, ['{}'], ['/the/file'], () => {
    throw new MirrorscopeError('config-invalid', 'an error without its file');
  }),
  {
    name: 'self-test hang',
    dialect: JSON_DIALECT,
    seeds: ['{}'],
    run: () => {
      for (;;) {
        // a parser that never returns
      }
    },
  },
];
