import { describe, expect, it } from 'vitest';
import { MirrorscopeError } from '../../src/core/errors.js';
import {
  policyConfigurationIdentity,
  policyConfigurationNamespaces,
} from '../../src/core/reference/policy-scopes.js';
import { parseNormalizedNamed } from '../../src/core/reference/reference.js';
import {
  BUILTIN_DEFAULT_LOOKASIDE,
  formatLookasideUrl,
  redactUrl,
  isLocalLookaside,
  lookasideBase,
  lookasideFor,
  parseRegistriesD,
  signatureUrl,
  sigstoreAttachmentsFor,
} from '../../src/core/signatures/registries-d.js';

const DIR = '/etc/containers/registries.d';
const ref = (s: string) => parseNormalizedNamed(s);

function loadError(files: { path: string; text: string }[]): MirrorscopeError {
  try {
    parseRegistriesD(files);
  } catch (err) {
    if (err instanceof MirrorscopeError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('policy scope strings (PolicyConfigurationIdentity / Namespaces)', () => {
  it('lists the repository, its parents, the host and the wildcard domains without the port', () => {
    const r = ref('a.b.example.com:5000/ns/repo:tag');
    expect(policyConfigurationIdentity(r)).toBe('a.b.example.com:5000/ns/repo:tag');
    expect(policyConfigurationNamespaces(r)).toEqual([
      'a.b.example.com:5000/ns/repo',
      'a.b.example.com:5000/ns',
      'a.b.example.com:5000',
      '*.b.example.com',
      '*.example.com',
      '*.com',
    ]);
  });
  it('gives no wildcard for a dot-less host, and name@digest for digests', () => {
    expect(policyConfigurationNamespaces(ref('localhost/busybox:1'))).toEqual([
      'localhost/busybox',
      'localhost',
    ]);
    const d = `sha256:${'a'.repeat(64)}`;
    expect(policyConfigurationIdentity(ref(`quay.io/x/y@${d}`))).toBe(`quay.io/x/y@${d}`);
    expect(() => policyConfigurationIdentity(ref(`quay.io/x/y:1@${d}`))).toThrow(
      /with both a name and a digest/,
    );
  });
});

describe('registries.d loading', () => {
  it('merges the .yaml files, ignores other suffixes and unknown keys, keeps lines', () => {
    const config = parseRegistriesD([
      {
        path: `${DIR}/a.yaml`,
        text: 'default-docker:\n  lookaside: https://sigs.example/default\ndocker:\n  quay.io:\n    lookaside: https://sigs.example/quay\n    unknown: 1\n',
      },
      { path: `${DIR}/b.yaml`, text: 'docker:\n  reg.example:5000/ns:\n    use-sigstore-attachments: yes\n' },
      { path: `${DIR}/c.yml`, text: 'default-docker:\n  lookaside: ignored\n' },
      { path: `${DIR}/default.yaml`, text: 'default-docker:\n' },
    ]);
    expect(config.files).toEqual([`${DIR}/a.yaml`, `${DIR}/b.yaml`, `${DIR}/default.yaml`]);
    expect(config.defaultDocker?.values.lookaside).toEqual({
      value: 'https://sigs.example/default',
      origin: { file: `${DIR}/a.yaml`, line: 2 },
    });
    expect(config.docker.get('quay.io')?.origin).toEqual({ file: `${DIR}/a.yaml`, line: 4 });
    expect(config.docker.get('reg.example:5000/ns')?.useSigstoreAttachments?.value).toBe(true);
  });

  it('refuses a scope defined in two files with the upstream text', () => {
    const err = loadError([
      { path: `${DIR}/a.yaml`, text: 'docker:\n  quay.io:\n    lookaside: https://x\n' },
      { path: `${DIR}/b.yaml`, text: '\ndocker:\n  quay.io: {}\n' },
    ]);
    expect(err.location).toEqual({ file: `${DIR}/b.yaml`, line: 3 });
    expect(err.upstream).toBe(
      `Error parsing signature storage configuration: "docker" namespace "quay.io" defined both in "${DIR}/a.yaml" and "${DIR}/b.yaml"`,
    );
  });

  it('refuses two default-docker sections', () => {
    const err = loadError([
      { path: `${DIR}/a.yaml`, text: 'default-docker:\n  lookaside: https://x\n' },
      { path: `${DIR}/b.yaml`, text: 'default-docker:\n  sigstore: https://y\n' },
    ]);
    expect(err.upstream).toBe(
      `Error parsing signature storage configuration: "default-docker" defined both in "${DIR}/a.yaml" and "${DIR}/b.yaml"`,
    );
  });

  it.each([
    ['docker:\n  quay.io:\n    lookaside: [a, b]\n', 3, 'cannot unmarshal !!seq into string'],
    [
      'docker:\n  quay.io:\n    use-sigstore-attachments: maybe\n',
      3,
      'cannot unmarshal !!str `maybe` into bool',
    ],
    ['docker: [1]\n', 1, 'cannot unmarshal !!seq into map[string]docker.registryNamespace'],
    ['docker:\n  quay.io: {lookaside: x\n', 'any', null],
    ['docker:\n  quay.io: {}\n  quay.io: {}\n', 3, null],
  ])('a bad file names file and line: %s', (text, line, detail) => {
    const err = loadError([{ path: `${DIR}/bad.yaml`, text }]);
    expect(err.code).toBe('config-invalid');
    expect(err.location?.file).toBe(`${DIR}/bad.yaml`);
    if (line === 'any') expect(err.location?.line).toBeGreaterThanOrEqual(2);
    else expect(err.location?.line).toBe(line);
    if (detail !== null) expect(err.message).toContain(detail);
    expect(err.upstream).toMatch(new RegExp(`^parsing ${DIR}/bad.yaml: yaml: `));
  });
});

describe('which section applies (physical reference, fall-through)', () => {
  const config = parseRegistriesD([
    {
      path: `${DIR}/lab.yaml`,
      text: [
        'default-docker:',
        '  lookaside: https://default.example/sigs',
        'docker:',
        '  reg.example:5000:',
        '    sigstore: https://host.example/legacy',
        '    use-sigstore-attachments: false',
        '  reg.example:5000/ns:',
        '    use-sigstore-attachments: true',
        '    lookaside-staging: file:///var/lib/staging',
        '  reg.example:5000/ns/app:v1:',
        '    lookaside: https://identity.example/',
        '  "*.example":',
        '    lookaside: file:///wild',
      ].join('\n'),
    },
  ]);

  it('the identity wins, then a namespace that has a value; an empty section falls through', () => {
    expect(lookasideFor(config, ref('reg.example:5000/ns/app:v1'))).toMatchObject({
      topLevel: 'https://identity.example/',
      scope: 'reg.example:5000/ns/app:v1',
      key: 'lookaside',
    });
    const v2 = lookasideFor(config, ref('reg.example:5000/ns/app:v2'));
    expect(v2).toMatchObject({
      topLevel: 'https://host.example/legacy',
      scope: 'reg.example:5000',
      key: 'sigstore',
      skippedScopes: ['reg.example:5000/ns'],
    });
    expect(v2.origin).toEqual({ file: `${DIR}/lab.yaml`, line: 5 });
    expect(lookasideFor(config, ref('other.example/x:1'))).toMatchObject({
      topLevel: 'file:///wild',
      scope: '*.example',
    });
    expect(lookasideFor(config, ref('quay.io/x:1'))).toMatchObject({
      topLevel: 'https://default.example/sigs',
      scope: 'default-docker',
    });
  });

  it('writers prefer the staging location', () => {
    expect(lookasideFor(config, ref('reg.example:5000/ns/app:v2'), true)).toMatchObject({
      topLevel: 'file:///var/lib/staging',
      key: 'lookaside-staging',
    });
  });

  it('use-sigstore-attachments: the first scope that sets it decides', () => {
    expect(sigstoreAttachmentsFor(config, ref('reg.example:5000/ns/app:v2')).value).toBe(true);
    expect(sigstoreAttachmentsFor(config, ref('reg.example:5000/other:v2'))).toMatchObject({
      value: false,
      scope: 'reg.example:5000',
    });
    expect(sigstoreAttachmentsFor(config, ref('quay.io/x:1'))).toEqual({
      value: false,
      scope: null,
      origin: null,
    });
  });

  it('without any configuration the built-in local default applies', () => {
    const empty = parseRegistriesD([]);
    const choice = lookasideFor(empty, ref('quay.io/x:1'));
    expect(choice).toMatchObject({ topLevel: BUILTIN_DEFAULT_LOOKASIDE, key: null, scope: null });
    expect(isLocalLookaside(choice.topLevel)).toBe(true);
    expect(isLocalLookaside('https://sigs.example/')).toBe(false);
  });
});

describe('signature URLs', () => {
  const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;
  it('appends /REPO@sha256=HEX/signature-N with no slash de-duplication', () => {
    const base = lookasideBase('https://lookaside.example/', ref('quay.io/centos/x:1'));
    expect(formatLookasideUrl(signatureUrl(base, digest, 0))).toBe(
      `https://lookaside.example//centos/x@sha256=${'0123456789abcdef'.repeat(4)}/signature-1`,
    );
    const file = lookasideBase(BUILTIN_DEFAULT_LOOKASIDE, ref('busybox'));
    expect(formatLookasideUrl(signatureUrl(file, digest, 2))).toBe(
      `file:///var/lib/containers/sigstore/library/busybox@sha256=${'0123456789abcdef'.repeat(4)}/signature-3`,
    );
  });
  it('keeps a query after the path and refuses what url.Parse refuses', () => {
    expect(formatLookasideUrl(lookasideBase('https://s.example/a?x=1', ref('quay.io/n/r:1')))).toBe(
      'https://s.example/a/n/r?x=1',
    );
    expect(() => lookasideBase(':emptyscheme', ref('quay.io/n/r:1'))).toThrow(
      'Invalid signature storage URL :emptyscheme: parse ":emptyscheme": missing protocol scheme',
    );
  });
});

describe('passwords in lookaside URLs', () => {
  it('are redacted as url.Redacted() does', () => {
    expect(redactUrl('https://bot:s3cret@sigs.example/x')).toBe('https://bot:xxxxx@sigs.example/x');
    expect(redactUrl('https://bot@sigs.example/x')).toBe('https://bot@sigs.example/x');
    expect(redactUrl('file:///var/lib/containers/sigstore')).toBe('file:///var/lib/containers/sigstore');
  });
});
