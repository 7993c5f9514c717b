// ClusterImagePolicy / ImagePolicy rendered as the MCO renders them. The cases and expected documents
// restate the MCO's own unit tests (pkg/controller/container-runtime-config/helpers_test.go at
// openshift/machine-config-operator 7ff337a4ff: TestGeneratePolicyJSON, TestUpdateNamespacedPolicyJSONs,
// TestGenerateSigstoreRegistriesConfig, TestGetValidScopePolicies,
// TestValidateClusterImagePolicyWithAllowedBlockedRegistries) as YAML objects through our parser.
import { describe, expect, it } from 'vitest';
import { MirrorscopeError } from '../../src/core/errors.js';
import { parseClusterObjects } from '../../src/core/mco/parse-objects.js';
import { renderRegistries, type RenderOptions } from '../../src/core/mco/render.js';
import { yamlKeyOrder } from '../../src/core/mco/sigstore-render.js';
import { mcoProfile } from '../../src/core/mco/versions.js';

const FULCIO_CA = 'dGVzdC1jYS1kYXRhLWRhdGE=';
const REKOR = 'dGVzdC1yZWtvci1rZXktZGF0YQ==';
const KEY = 'dGVzdC1rZXktZGF0YQ==';
const CERTS = 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJBVEE9Ci0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0=';
const DIGEST_SCOPE = `a.com/a1/a2@sha256:${'0'.repeat(64)}`;

const REMAP = `  signedIdentity:
      matchPolicy: RemapIdentity
      remapIdentity: {prefix: test-remap-prefix, signedPrefix: test-remap-signed-prefix}`;
const POLICY = {
  fulcio: `rootOfTrust:
        policyType: FulcioCAWithRekor
        fulcioCAWithRekor:
          fulcioCAData: ${FULCIO_CA}
          rekorKeyData: ${REKOR}
          fulcioSubject: {oidcIssuer: "https://OIDC.example.com", signedEmail: test-user@example.com}
  ${REMAP}`,
  keyWithRekor: `rootOfTrust:
        policyType: PublicKey
        publicKey: {keyData: ${KEY}, rekorKeyData: ${REKOR}}
  ${REMAP}`,
  keyWithRekorNoIdentity: `rootOfTrust:
        policyType: PublicKey
        publicKey: {keyData: ${KEY}, rekorKeyData: ${REKOR}}`,
  key: `rootOfTrust:
        policyType: PublicKey
        publicKey: {keyData: ${KEY}}`,
  pki: `rootOfTrust:
        policyType: PKI
        pki:
          caRootsData: ${CERTS}
          caIntermediatesData: ${CERTS}
          pkiCertificateSubject: {email: test-user@example.com, hostname: my-host.example.com}`,
};

/** The requirements containers/image's JSON encoding writes for those policies, in field order. */
const REQ = {
  fulcio: {
    type: 'sigstoreSigned',
    fulcio: {
      caData: FULCIO_CA,
      oidcIssuer: 'https://OIDC.example.com',
      subjectEmail: 'test-user@example.com',
    },
    rekorPublicKeyData: REKOR,
    signedIdentity: {
      type: 'remapIdentity',
      prefix: 'test-remap-prefix',
      signedPrefix: 'test-remap-signed-prefix',
    },
  },
  keyWithRekor: {
    type: 'sigstoreSigned',
    keyData: KEY,
    rekorPublicKeyData: REKOR,
    signedIdentity: {
      type: 'remapIdentity',
      prefix: 'test-remap-prefix',
      signedPrefix: 'test-remap-signed-prefix',
    },
  },
  key: { type: 'sigstoreSigned', keyData: KEY, signedIdentity: { type: 'matchRepoDigestOrExact' } },
  pki: {
    type: 'sigstoreSigned',
    pki: {
      caRootsData: CERTS,
      caIntermediatesData: CERTS,
      subjectEmail: 'test-user@example.com',
      subjectHostname: 'my-host.example.com',
    },
    signedIdentity: { type: 'matchRepoDigestOrExact' },
  },
};
const TEMPLATE_TRANSPORT = { 'docker-daemon': { '': [{ type: 'insecureAcceptAnything' }] } };

function cip(name: string, scopes: readonly string[], policy: string, apiVersion = 'v1'): string {
  return `apiVersion: config.openshift.io/${apiVersion}
kind: ClusterImagePolicy
metadata: {name: ${name}}
spec:
  scopes: ${JSON.stringify(scopes)}
  policy:
    ${policy}
---
`;
}

function ip(namespace: string, name: string, scopes: readonly string[], policy: string): string {
  return `apiVersion: config.openshift.io/v1
kind: ImagePolicy
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  scopes: ${JSON.stringify(scopes)}
  policy:
    ${policy}
---
`;
}

function idms(entries: readonly [string, string][]): string {
  const items = entries.map(([s, m]) => `  - source: "${s}"\n    mirrors: ["${m}"]\n`).join('');
  return `apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: mirrors}\nspec:\n  imageDigestMirrors:\n${items}---\n`;
}

function render(yaml: string, options: RenderOptions = {}) {
  return renderRegistries(parseClusterObjects([{ path: 'objects.yaml', text: yaml }]), options);
}

/** The document, and its bytes as Go's json.MarshalIndent(v, "", "  ") writes them. */
function expectPolicy(text: string | null | undefined, doc: unknown): void {
  expect(JSON.parse(text!)).toEqual(doc);
  expect(text).toBe(JSON.stringify(doc, null, 2));
}

/** The scopes of sigstore-registries.yaml (each set to use-sigstore-attachments: true). */
function attachmentScopes(yaml: string | null): string[] {
  const lines = yaml!.trimEnd().split('\n');
  expect(lines[0]).toBe('docker:');
  const scopes: string[] = [];
  for (let i = 1; i < lines.length; i += 2) {
    expect(lines[i + 1]).toBe('    use-sigstore-attachments: true');
    scopes.push(lines[i]!.slice(2, -1).replace(/^'(.*)'$/, '$1'));
  }
  return scopes;
}

describe('ClusterImagePolicy → policy.json (TestGeneratePolicyJSON)', () => {
  it('adds each scope under docker and atomic, with Fulcio and PKI roots of trust', () => {
    const result = render(
      cip('test-cr0', ['test0.com'], POLICY.fulcio) + cip('test-cr3', ['test3.com/ns/repo'], POLICY.pki),
    );
    expect(result.errors).toEqual([]);
    const scopes = { 'test0.com': [REQ.fulcio], 'test3.com/ns/repo': [REQ.pki] };
    expectPolicy(result.policyJsonText, {
      default: [{ type: 'insecureAcceptAnything' }],
      transports: { atomic: scopes, docker: scopes, ...TEMPLATE_TRANSPORT },
    });
    expect(result.namespacedPolicies).toEqual([]);
    expect(attachmentScopes(result.sigstoreRegistriesYaml)).toEqual(['test0.com', 'test3.com/ns/repo']);
  });

  it('reads v1alpha1 objects the same way', () => {
    const v1 = render(cip('a', ['test0.com'], POLICY.fulcio));
    const alpha = render(cip('a', ['test0.com'], POLICY.fulcio, 'v1alpha1'));
    expect(alpha.policyJsonText).toBe(v1.policyJsonText);
  });

  it('keeps a scope with four segments out of the atomic transport', () => {
    const result = render(cip('deep', ['a.com/b/c/d'], POLICY.key));
    const doc = JSON.parse(result.policyJsonText!) as { transports: Record<string, object> };
    expect(Object.keys(doc.transports.docker!)).toEqual(['a.com/b/c/d']);
    expect(doc.transports.atomic).toEqual({});
  });

  it('an allowed registry a policy covers gets only the signature requirement', () => {
    const result = render(
      cip('p', ['allowed.io'], POLICY.key) +
        'apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n    allowedRegistries: [allowed.io, other.io]\n',
    );
    const doc = JSON.parse(result.policyJsonText!) as {
      default: unknown;
      transports: Record<string, unknown>;
    };
    expect(doc.default).toEqual([{ type: 'reject' }]);
    expect(doc.transports.docker).toEqual({
      'allowed.io': [REQ.key],
      'other.io': [{ type: 'insecureAcceptAnything' }],
    });
  });
});

describe('ImagePolicy → /etc/crio/policies/<namespace>.json (TestUpdateNamespacedPolicyJSONs)', () => {
  const objects =
    cip('test-cr0', ['test0.com'], POLICY.fulcio) +
    cip('test-cr1', ['test0.com', 'test1.com'], POLICY.keyWithRekor) +
    ip('testnamespace', 'test-cr0', ['test0.com', 'test2.com'], POLICY.key) +
    ip('test-1-namespace', 'test-cr3', ['test3.com'], POLICY.key) +
    ip('testnamespace', 'test-cr4', ['test4.com/ns-policy/repo'], POLICY.pki);

  it('writes the cluster policy plus each namespace scopes, skipping scopes a cluster policy covers', () => {
    const result = render(objects);
    expect(result.errors).toEqual([]);
    const cluster = { 'test0.com': [REQ.fulcio, REQ.keyWithRekor], 'test1.com': [REQ.keyWithRekor] };
    expectPolicy(result.policyJsonText, {
      default: [{ type: 'insecureAcceptAnything' }],
      transports: { atomic: cluster, docker: cluster, ...TEMPLATE_TRANSPORT },
    });
    expect(result.namespacedPolicies.map((p) => p.path)).toEqual([
      '/etc/crio/policies/test-1-namespace.json',
      '/etc/crio/policies/testnamespace.json',
    ]);
    const ns = { ...cluster, 'test2.com': [REQ.key], 'test4.com/ns-policy/repo': [REQ.pki] };
    expectPolicy(result.namespacedPolicies[1]!.text, {
      default: [{ type: 'insecureAcceptAnything' }],
      transports: { atomic: ns, docker: ns, ...TEMPLATE_TRANSPORT },
    });
    const ns1 = { ...cluster, 'test3.com': [REQ.key] };
    expectPolicy(result.namespacedPolicies[0]!.text, {
      default: [{ type: 'insecureAcceptAnything' }],
      transports: { atomic: ns1, docker: ns1, ...TEMPLATE_TRANSPORT },
    });
    // TestGetValidScopePolicies: the nested scope is left out, and the object says so.
    expect(result.imagePolicyStatuses).toEqual([
      {
        namespace: 'testnamespace',
        name: 'test-cr0',
        type: 'Pending',
        status: 'False',
        reason: 'ConflictScopes',
        message:
          'has conflicting scope(s) ["test0.com"] that equal to or nest inside existing clusterimagepolicy, only policy from clusterimagepolicy scope(s) will be applied',
        scopes: ['test0.com'],
      },
    ]);
  });

  it('with ImagePolicies only, each namespace file starts from the template policy', () => {
    const result = render(ip('team', 'p', ['test2.com'], POLICY.key));
    expect(result.policyJsonText).toBeNull();
    expectPolicy(result.namespacedPolicies[0]!.text, {
      default: [{ type: 'insecureAcceptAnything' }],
      transports: {
        atomic: { 'test2.com': [REQ.key] },
        docker: { 'test2.com': [REQ.key] },
        ...TEMPLATE_TRANSPORT,
      },
    });
  });

  it('follows the MCO version: 4.17 ignores ImagePolicy, 4.12 both kinds', () => {
    const r417 = render(objects, { profile: mcoProfile('4.17') });
    expect(r417.namespacedPolicies).toEqual([]);
    expect(r417.imagePolicyStatuses).toEqual([]);
    expect(r417.warnings).toContain(
      'ImagePolicy "testnamespace/test-cr0" is ignored: MCO 4.17 does not render ImagePolicy objects',
    );
    const r412 = render(objects, { profile: mcoProfile('4.12') });
    expect(r412.policyJsonText).toBeNull();
    expect(r412.sigstoreRegistriesYaml).toBeNull();
  });
});

describe('sigstore-registries.yaml (TestGenerateSigstoreRegistriesConfig)', () => {
  const cr2 = cip(
    'test-cr2',
    ['a.com/a1/a2', DIGEST_SCOPE, '*.example.com', 'policy.scope', 'foo.example.com/ns/repo'],
    POLICY.keyWithRekorNoIdentity,
  );
  const base = ['*.example.com', 'a.com/a1/a2', DIGEST_SCOPE, 'foo.example.com/ns/repo', 'policy.scope'];

  it.each([
    ['no mirror sets', '', base],
    ['mirrors of unrelated scopes', idms([['x.com/x1/x2', 'x-x1-x2.mirror/x1/x2']]), base],
    [
      'a policy scope above mirrored sources',
      idms([
        ['a.com/a1/a2', 'a-a1-a2.mirror/a1/a2'],
        ['a.com/a1/a2/a3', 'a-a1-a2-a3.mirror/m1/m2/m3'],
        ['a.com/a1/a2/a3-1', 'a-a1-a2-a3-1.mirror/m1/m2/m3'],
        ['x.com/x1/x2', 'x-x1-x2.mirror/m1/m2'],
      ]),
      [
        ...base,
        'a-a1-a2-a3-1.mirror/m1/m2/m3',
        'a-a1-a2-a3.mirror/m1/m2/m3',
        'a-a1-a2.mirror/a1/a2',
        'a.com/a1/a2/a3',
        'a.com/a1/a2/a3-1',
      ],
    ],
    [
      'a policy scope inside mirrored sources',
      idms([
        ['a.com', 'a.mirror'],
        ['a.com/a1', 'a-a1.mirror/a1'],
        ['x.com/x1/x2', 'x-x1-x2.mirror/x1/x2'],
      ]),
      [...base, 'a-a1.mirror/a1/a2'],
    ],
    [
      'a wildcard policy scope as a mirrored source',
      idms([['*.example.com', 'our.mirror/example']]),
      [...base, 'our.mirror/example/ns/repo', 'our.mirror/example'],
    ],
    [
      'wildcard sources below the wildcard policy scope',
      idms([
        ['a.example.com', 'a-example.mirror'],
        ['*.x.example.com', 'star-x.example.mirror'],
        ['*.scope', 'start-scope.mirror'],
        ['x/x1/x2', 'x-x1-x2.mirror/x1/x2'],
      ]),
      [...base, 'a-example.mirror', 'a.example.com', 'star-x.example.mirror', 'start-scope.mirror'],
    ],
  ])('%s', (_name, sets, expected) => {
    const result = render(cr2 + sets);
    expect(result.errors).toEqual([]);
    const scopes = attachmentScopes(result.sigstoreRegistriesYaml);
    expect([...scopes].sort()).toEqual([...expected].sort());
    expect(scopes).toEqual([...scopes].sort(yamlKeyOrder));
  });

  it('lists only the policy scopes before 4.17 (OCPBUGS-36344)', () => {
    const result = render(cr2 + idms([['a.com/a1/a2', 'a-a1-a2.mirror/a1/a2']]), {
      profile: mcoProfile('4.16'),
    });
    expect([...attachmentScopes(result.sigstoreRegistriesYaml)].sort()).toEqual([...base].sort());
  });

  it('quotes the wildcard key as yaml.v2 does and sorts keys in its natural order', () => {
    const result = render(cip('w', ['*.example.com', 'r10.io', 'r9.io'], POLICY.key));
    expect(result.sigstoreRegistriesYaml).toBe(
      "docker:\n  '*.example.com':\n    use-sigstore-attachments: true\n  r9.io:\n    use-sigstore-attachments: true\n  r10.io:\n    use-sigstore-attachments: true\n",
    );
  });
});

describe('what the MCO refuses (TestValidateClusterImagePolicyWithAllowedBlockedRegistries)', () => {
  const imageConfig = (list: string) =>
    `apiVersion: config.openshift.io/v1\nkind: Image\nmetadata: {name: cluster}\nspec:\n  registrySources:\n${list}\n---\n`;

  it('a cluster policy scope outside allowedRegistries', () => {
    const result = render(
      cip('p', ['allowed.io/policysigned'], POLICY.key) +
        imageConfig('    allowedRegistries: [allowed.io/namespace1/namespace2]'),
    );
    expect(result.errors.map((e) => e.message)).toEqual([
      'clusterimagePolicy configured for the scope allowed.io/policysigned is not nested inside allowedRegistries',
    ]);
    expect(result.errors[0]!.mcoLog).toContain('could not update policy json with new changes: ');
  });

  it('an image policy scope inside blockedRegistries', () => {
    const result = render(
      ip('ns', 'p', ['blocker-reg.com/namespace1/policysigned'], POLICY.key) +
        imageConfig('    blockedRegistries: [blocked.io, blocker-reg.com/namespace1]'),
    );
    expect(result.errors[0]!.message).toBe(
      'imagePolicy configured for the scope blocker-reg.com/namespace1/policysigned is nested inside blockedRegistries',
    );
    expect(result.errors[0]!.mcoLog).toContain('could not update namespace policy JSON from imagepolicy: ');
  });

  it('accepts scopes nested in allowed registries and beside blocked ones', () => {
    const result = render(
      cip('p', ['allowed.io/namespace1/policysigned', 'example.com'], POLICY.key) +
        imageConfig('    allowedRegistries: [example.com, allowed.io/namespace1]'),
    );
    expect(result.errors).toEqual([]);
  });
});

describe('reading the objects as the API server does', () => {
  const bad = (yaml: string) => {
    try {
      parseClusterObjects([{ path: 'p.yaml', text: yaml }]);
    } catch (err) {
      if (err instanceof MirrorscopeError) return err.message;
      throw err;
    }
    throw new Error('accepted');
  };

  it('names the file, line and field of what the CRD refuses', () => {
    expect(bad(cip('p', ['*.example.com/path'], POLICY.key))).toMatch(
      /^p\.yaml:5: ClusterImagePolicy "p": spec\.scopes\[0\]: Invalid value: "\*\.example\.com\/path": invalid image scope with wildcard/,
    );
    expect(bad(cip('p', ['registry'], POLICY.key))).toContain(
      'scope must contain a fully qualified domain name',
    );
    expect(bad(cip('p', ['a.io'], 'rootOfTrust:\n        policyType: PublicKey'))).toContain(
      'spec.policy.rootOfTrust.publicKey: Required value',
    );
    expect(bad(cip('p', ['a.io'], 'rootOfTrust:\n        policyType: Keyless'))).toContain(
      'Unsupported value: "Keyless"',
    );
    expect(bad(ip('', 'p', ['a.io'], POLICY.key).replace('namespace: ,', ''))).toContain(
      'metadata.namespace: Required value',
    );
  });
});
