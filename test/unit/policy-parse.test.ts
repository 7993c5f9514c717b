import { describe, expect, it } from 'vitest';
import { MirrorscopeError } from '../../src/core/errors.js';
import { parsePolicy } from '../../src/core/policy/parse-policy.js';
import { describeRequirementList, requirementsFor } from '../../src/core/policy/select-scope.js';
import { parseNormalizedNamed } from '../../src/core/reference/reference.js';

const FILE = '/etc/containers/policy.json';

function parse(text: string) {
  return parsePolicy({ path: FILE, text });
}

function parseError(text: string): MirrorscopeError {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof MirrorscopeError) return err;
    throw err;
  }
  throw new Error('expected the policy to be refused');
}

describe('policy.json parsing (paranoid, upstream texts, file:line)', () => {
  it('parses every requirement type and keeps the lines', () => {
    const policy = parse(`{
  "default": [{"type": "reject"}],
  "transports": {
    "docker": {
      "a.example/ns": [
        {"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k.gpg",
         "signedIdentity": {"type": "remapIdentity", "prefix": "a.example", "signedPrefix": "b.example"}}
      ],
      "": [{"type": "insecureAcceptAnything"}],
      "c.example": [{"type": "sigstoreSigned", "keyData": "QUJD"}]
    },
    "atomic": {"x": [{"type": "insecureAcceptAnything"}]}
  }
}`);
    expect(policy.default.requirements).toEqual([{ type: 'reject', line: 2 }]);
    const ns = policy.transports.get('docker')!.get('a.example/ns')!;
    expect(ns.line).toBe(5);
    expect(ns.requirements[0]).toMatchObject({
      type: 'signedBy',
      line: 6,
      keyType: 'GPGKeys',
      keys: { kind: 'keyPath', path: '/k.gpg', line: 6 },
      signedIdentity: { type: 'remapIdentity', prefix: 'a.example', signedPrefix: 'b.example' },
    });
    const cosign = policy.transports.get('docker')!.get('c.example')!.requirements[0]!;
    expect(cosign).toMatchObject({
      type: 'sigstoreSigned',
      keys: { kind: 'keyData' },
      signedIdentity: { type: 'matchRepoDigestOrExact' },
    });
    if (cosign.type === 'sigstoreSigned' && cosign.keys?.kind === 'keyData')
      expect(Buffer.from(cosign.keys.data).toString()).toBe('ABC');
  });

  const DID_YOU_MEAN: Readonly<Record<string, string>> = {
    'Unknown key "transport"': '; did you mean "transports"?',
    'Unknown policy requirement type "rejected"': '; did you mean "reject"?',
  };
  it.each([
    ['{"transports": {}}', 1, 'Default policy is missing'],
    ['{"default": [], "x": 1}', 1, 'List of verification policy requirements must not be empty'],
    ['{"default": [{"type":"reject"}],\n "default": [{"type":"reject"}]}', 2, 'Duplicate key "default"'],
    ['{"default": [{"type":"reject"}],\n "transport": {}}', 2, 'Unknown key "transport"'],
    ['{"default": [{"type":"reject", "keyPath": "/x"}]}', 1, 'Unknown key "keyPath"'],
    ['{"default": [{"type":"rejected"}]}', 1, 'Unknown policy requirement type "rejected"'],
    [
      '{"default": [{"type":"signedBy", "keyType":"GPGKeys"}]}',
      1,
      'Exactly one of keyPath, keyPaths and keyData must be specified, none of them present',
    ],
    [
      '{"default": [{"type":"signedBy", "keyType":"GPGKeys", "keyPath":"/a",\n "keyData":"QQ=="}]}',
      2,
      'Exactly one of keyPath, keyPaths and keyData must be specified, more than one present',
    ],
    [
      '{"default": [{"type":"signedBy", "keyType":"PGP", "keyPath":"/a"}]}',
      1,
      'Unrecognized keyType value "PGP"',
    ],
    ['{"default": [{"type":"signedBy", "keyPath":"/a"}]}', 1, 'invalid keyType ""'],
    [
      '{"default": [{"type":"signedBy", "keyType":"GPGKeys", "keyPath":"/a", "signedIdentity": {"type":"matchAll"}}]}',
      1,
      'Unknown policy reference match type "matchAll"',
    ],
    [
      '{"default": [{"type":"signedBy", "keyType":"GPGKeys", "keyPath":"/a", "signedIdentity": {"type":"exactReference", "dockerReference":"busybox"}}]}',
      1,
      'dockerReference "busybox" contains neither a tag nor digest',
    ],
    [
      '{"default": [{"type":"signedBy", "keyType":"GPGKeys", "keyPath":"/a", "signedIdentity": {"type":"exactRepository", "dockerRepository":"Busy"}}]}',
      1,
      'Invalid format of dockerRepository "Busy": invalid reference format: repository name must be lowercase',
    ],
    [
      '{"default": [{"type":"signedBy", "keyType":"GPGKeys", "keyPath":"/a", "signedIdentity": {"type":"remapIdentity", "prefix":"example.com/", "signedPrefix":"x.io"}}]}',
      1,
      'prefix "example.com/" is not valid',
    ],
    [
      '{"default": [{"type":"signedBy", "keyType":"GPGKeys", "keyPath":"/a", "signedIdentity": {"type":"matchExact", "x": 1}}]}',
      1,
      'Unknown key "x"',
    ],
    [
      '{"default": [{"type":"signedBy", "keyType":"GPGKeys", "keyPath": 5}]}',
      1,
      'json: cannot unmarshal number into Go value of type string',
    ],
    [
      '{"default": [{"type":"sigstoreSigned"}]}',
      1,
      'exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, and pki must be specified',
    ],
    ['{"default": [{"type":"sigstoreSigned", "keyPaths": []}]}', 1, '"keyPaths" contains no entries'],
    [
      '{"default": [{"type":"sigstoreSigned", "fulcio": {"caPath":"/a", "oidcIssuer":"i", "subjectEmail":"e"}}]}',
      1,
      'At least one of rekorPublickeyPath, rekorPublicKeyPaths, rekorPublickeyData and rekorPublicKeyDatas must be specified if fulcio is used',
    ],
    [
      '{"default": {"type":"reject"}}',
      1,
      'json: cannot unmarshal object into Go value of type []json.RawMessage',
    ],
    ['[]', 1, 'JSON object expected, got 91'],
    ['{"default": [{"type":"reject"}]} {}', 1, 'Unexpected data after JSON object'],
    ['{"default": [{"type":"reject"}\n\n', 3, 'unexpected end of JSON input'],
    ['{"default": [{"type":"reject"},]}', 1, "invalid character ']' looking for beginning of value"],
  ])('%s → line %i: %s', (text, line, message) => {
    const err = parseError(text);
    expect(err.code).toBe('config-invalid');
    expect(err.location).toEqual({ file: FILE, line });
    expect(err.upstream).toBe(`invalid policy in "${FILE}": ${message}`);
    // Our message adds the name that was probably meant; the upstream text stays containers/image's.
    expect(err.message).toBe(`${FILE}:${line}: ${message}${DID_YOU_MEAN[message] ?? ''}`);
  });

  it('accepts the scope strings the docker transport does not validate', () => {
    const policy = parse(
      '{"default":[{"type":"reject"}],"transports":{"docker":{"not a reference!":[{"type":"reject"}]}}}',
    );
    expect([...policy.transports.get('docker')!.keys()]).toEqual(['not a reference!']);
  });
});

describe('scope selection for the logical reference', () => {
  const policy = parse(`{
  "default": [{"type": "reject"}],
  "transports": {"docker": {
    "reg.example.com:5000/ns/app:v1": [{"type": "insecureAcceptAnything"}],
    "reg.example.com:5000/ns": [{"type": "insecureAcceptAnything"}],
    "reg.example.com:5000": [{"type": "insecureAcceptAnything"}],
    "*.example.com": [{"type": "insecureAcceptAnything"}],
    "docker.io/library": [{"type": "insecureAcceptAnything"}],
    "": [{"type": "insecureAcceptAnything"}]
  }}
}`);
  it.each([
    ['reg.example.com:5000/ns/app:v1', 'transports.docker["reg.example.com:5000/ns/app:v1"]'],
    ['reg.example.com:5000/ns/app:v2', 'transports.docker["reg.example.com:5000/ns"]'],
    ['reg.example.com:5000/other/app:v2', 'transports.docker["reg.example.com:5000"]'],
    ['reg.example.com/other/app:v2', 'transports.docker["*.example.com"]'],
    ['a.b.example.com:443/x:1', 'transports.docker["*.example.com"]'],
    ['busybox:latest', 'transports.docker["docker.io/library"]'],
    ['quay.io/x/y:1', 'transports.docker[""]'],
  ])('%s uses %s', (ref, scope) => {
    expect(describeRequirementList(requirementsFor(policy, parseNormalizedNamed(ref)))).toBe(scope);
  });

  it('falls back to default when the transport has no matching scope (no merging)', () => {
    const p = parse(
      '{"default":[{"type":"reject"}],"transports":{"docker":{"a.io":[{"type":"insecureAcceptAnything"}]}}}',
    );
    expect(requirementsFor(p, parseNormalizedNamed('b.io/x:1')).isDefault).toBe(true);
    expect(requirementsFor(p, parseNormalizedNamed('a.io/x:1')).isDefault).toBe(false);
  });
});
