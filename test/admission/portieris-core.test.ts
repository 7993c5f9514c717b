// Portieris' policy choice, wildcard matching and decision texts. Vectors are Portieris' own unit tests
// (IBM/portieris 6eaaacaed7ba53af3002726fc0a25b5e5e1e2de0: helpers/wildcard/wildcard_test.go,
// pkg/apis/portieris.cloud.ibm.com/v1/types_test.go, pkg/policy/policy_test.go) and its e2e policies
// (test/e2e/testdata), rewritten as our own fixtures.
import { generateKey } from 'openpgp';
import { describe, expect, it } from 'vitest';
import { decodeArmoredKey } from '../../src/core/admission/armor.js';
import { parseAdmissionObjects, type AdmissionObjects } from '../../src/core/admission/objects.js';
import { concludePortieris, preparePortieris } from '../../src/core/admission/portieris-decision.js';
import { portierisImage } from '../../src/core/admission/portieris-image.js';
import { findPortierisPolicy, portierisPolicyToEnforce } from '../../src/core/admission/portieris-policy.js';
import {
  portierisCompare,
  portierisCompareAnyTag,
  portierisCompareImageRef,
} from '../../src/core/admission/portieris-wildcard.js';

const objects = (text: string): AdmissionObjects => parseAdmissionObjects([{ path: 'policies.yaml', text }]);

const clusterPolicy = (name: string, repos: string[], policy = '{}') =>
  `apiVersion: portieris.cloud.ibm.com/v1
kind: ClusterImagePolicy
metadata: {name: ${name}}
spec:
  repositories:
${repos.map((r) => `  - name: "${r}"\n    policy: ${policy}`).join('\n')}
---
`;
const imagePolicy = (name: string, namespace: string, repos: string[], policy = '{}') =>
  `apiVersion: portieris.cloud.ibm.com/v1
kind: ImagePolicy
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  repositories:
${repos.map((r) => `  - name: "${r}"\n    policy: ${policy}`).join('\n')}
---
`;

describe('Portieris wildcard (helpers/wildcard)', () => {
  it.each([
    ['', '', true],
    ['', 'abcdefgh', false],
    ['abcdefgh', 'abcdefgh', true],
    ['abcdefgh', 'stuvwxyz', false],
    ['*', 'stuvwxyz', true],
    ['*', 'abcd*fgh', true],
    ['*wxyz', 'stuvwxyz', true],
    ['*efgh', 'stuvwxyz', false],
    ['s*wx*z', 'stuvwxyz', true],
    ['a*de*h', 'stuvwxyz', false],
    ['a*de*h', 'abcwxyz', false],
    ['stuv*', 'stuvwxyz', true],
    ['efgh*', 'stuvwxyz', false],
  ])('Compare(%j, %j) = %s', (pattern, str, want) => {
    expect(portierisCompare(pattern, str)).toBe(want);
  });

  it.each([
    ['stuvwxyz', 'stuvwxyz:latest', true],
    ['stuvwxyz:*', 'stuvwxyz:latest', true],
    ['uk.icr.io/*', 'uk.icr.io/imagesec-demo/alpinegood:demo', true],
    ['uk.icr.io/imagesec-demo/alpinegood', 'uk.icr.io/imagesec-demo/alpinegood:demo', true],
    ['abcdefgh', 'stuvwxyz:latest', false],
  ])('CompareAnyTag(%j, %j) = %s', (pattern, str, want) => {
    expect(portierisCompareAnyTag(pattern, str)).toBe(want);
  });

  it.each([
    ['*.registry.example.com/myorg/*', 'us.registry.example.com/myorg/foo:latest', true],
    ['registry*.example.com/myorg/*', 'registry01.example.com/myorg/worker:v1', true],
    ['*', 'attacker.example.com/anything:latest', true],
    ['trusted.example.com/*', 'trusted.example.com/myorg/myimage:demo', true],
    ['*.registry.example.com/myorg/*', 'attacker.com/x.registry.example.com/myorg/malware:latest', false],
    ['registry*.example.com/myorg/*', 'registry.attacker.com/x.example.com/myorg/evil', false],
    ['registry.example.com/myorg/*', 'evilreg.io/myorg/foo:latest', false],
    ['trusted.example.com/*', 'evil.io/trusted.example.com/myorg/myimage:demo', false],
    // A host/path pattern never matches an image written without a host part.
    ['docker.io/library/*', 'nginx', false],
  ])('CompareImageRef(%j, %j) = %s', (pattern, image, want) => {
    expect(portierisCompareImageRef(pattern, image)).toBe(want);
  });
});

describe('Portieris policy choice (pkg/policy GetPolicyToEnforce)', () => {
  const trustOn = '{trust: {enabled: true}}';
  const trustOff = '{trust: {enabled: false}}';
  const chosen = (text: string, image = 'icr.io/hello/world', namespace = 'default') => {
    const c = portierisPolicyToEnforce(objects(text).portierisPolicies, namespace, image);
    return c.ok ? c.match.repository.policy.trust.enabled : c.denial;
  };

  it('uses a matching ClusterImagePolicy when the namespace has no ImagePolicy', () => {
    expect(chosen(clusterPolicy('policy-one', ['icr.io/hello/world'], trustOn))).toBe(true);
  });
  it('denies with Portieris text when no cluster policy repository matches', () => {
    expect(chosen(clusterPolicy('policy-one', ['icr.io/hello/earth'], trustOn))).toBe(
      'Deny "icr.io/hello/world", no matching repositories in ClusterImagePolicy and no ImagePolicies in the "default" namespace',
    );
  });
  it('denies with the "polices" text when there are no policies at all', () => {
    expect(chosen('')).toBe('Deny "icr.io/hello/world", no image policies or cluster polices');
  });
  it('finds the matching repository across cluster policies and within one', () => {
    expect(
      chosen(
        clusterPolicy('policy-one', ['icr.io/hello/earth'], trustOff) +
          clusterPolicy('policy-two', ['icr.io/hello/world'], trustOn),
      ),
    ).toBe(true);
    expect(chosen(clusterPolicy('policy-one', ['icr.io/hello/earth', 'icr.io/hello/world'], trustOn))).toBe(
      true,
    );
  });
  it('prefers the namespace ImagePolicy over a ClusterImagePolicy', () => {
    expect(
      chosen(
        clusterPolicy('policy-one', ['icr.io/hello/world'], trustOff) +
          imagePolicy('policy-two', 'default', ['icr.io/hello/world'], trustOn),
      ),
    ).toBe(true);
  });
  it('ignores ImagePolicies of other namespaces', () => {
    expect(
      chosen(
        imagePolicy('policy-one', 'nonDefault', ['icr.io/hello/world'], trustOff) +
          imagePolicy('policy-two', 'default', ['icr.io/hello/world'], trustOn),
      ),
    ).toBe(true);
  });
  it('never falls back to cluster policies once the namespace has an ImagePolicy', () => {
    const deny = 'Deny "icr.io/hello/world", no matching repositories in the ImagePolicies';
    expect(chosen(imagePolicy('policy-one', 'default', ['icr.io/hello/earth'], trustOff))).toBe(deny);
    expect(
      chosen(
        imagePolicy('policy-one', 'default', ['icr.io/hello/earth'], trustOn) +
          clusterPolicy('policy-one', ['icr.io/hello/world'], trustOn),
      ),
    ).toBe(deny);
  });

  it('takes an exact name at once, otherwise the longest pattern not counting "*"', () => {
    const text =
      clusterPolicy('a', ['icr.io/*'], trustOff) +
      clusterPolicy('b', ['icr.io/cise/*'], trustOn) +
      clusterPolicy('c', ['*'], trustOff);
    const policies = objects(text).portierisPolicies;
    const m = findPortierisPolicy(policies, 'icr.io/cise/nginx:1');
    expect(m?.repository.name).toBe('icr.io/cise/*');
    expect(m?.quality).toBe('icr.io/cise/'.length);
    const exact = objects(
      clusterPolicy('a', ['icr.io/cise/*'], trustOff) + clusterPolicy('z', ['icr.io/cise/nginx:1'], trustOn),
    ).portierisPolicies;
    expect(findPortierisPolicy(exact, 'icr.io/cise/nginx:1')).toMatchObject({
      exact: true,
      quality: 'icr.io/cise/nginx:1'.length,
    });
  });

  it('matches the image as written, not normalised: "nginx" is not docker.io/library/nginx', () => {
    const policies = objects(clusterPolicy('hub', ['docker.io/library/*'])).portierisPolicies;
    expect(findPortierisPolicy(policies, 'nginx')).toBeNull();
    expect(findPortierisPolicy(policies, 'docker.io/library/nginx:1.25')).not.toBeNull();
  });

  it('finds a tagless repository name for a tagged image (types_test "adding :*")', () => {
    const policies = objects(imagePolicy('p', 'default', ['test.com/namespace/image'])).portierisPolicies;
    expect(findPortierisPolicy(policies, 'test.com/namespace/image:tag')).not.toBeNull();
    expect(findPortierisPolicy(policies, 'unknown.com/hello')).toBeNull();
  });

  it('embedded wildcards of the e2e policies', () => {
    const policies = objects(imagePolicy('p', 'default', ['icr.io/*/nginx'])).portierisPolicies;
    expect(findPortierisPolicy(policies, 'icr.io/team/nginx:1')).not.toBeNull();
    expect(findPortierisPolicy(policies, 'icr.io/team/redis:1')).toBeNull();
  });
});

describe('Portieris image reading (helpers/image NewReference)', () => {
  it('keeps the string as written, normalises the name, defaults the tag', () => {
    expect(portierisImage('nginx')).toEqual({
      ok: true,
      image: {
        original: 'nginx',
        name: 'docker.io/library/nginx',
        tag: 'latest',
        digest: '',
        hostname: 'docker.io',
      },
    });
    const withPort = portierisImage('localhost:5000/app');
    expect(withPort.ok && withPort.image.hostname).toBe('localhost');
    expect(withPort.ok && withPort.image.tag).toBe('latest');
  });
});

describe('Portieris decisions', () => {
  const decide = (text: string, image: string, namespace = 'default') =>
    concludePortieris(preparePortieris(image, namespace, objects(text)), null);

  it('an invalid image name', () => {
    const d = decide(clusterPolicy('all', ['*']), 'UPPER/Case');
    expect(d).toMatchObject({ allowed: false, message: 'Deny "UPPER/Case", invalid image name' });
  });

  it('a policy without requirements admits, naming the policy', () => {
    const d = decide(clusterPolicy('allow-all', ['*']), 'icr.io/x/y:1');
    expect(d).toMatchObject({
      allowed: true,
      policy: { kind: 'ClusterImagePolicy', name: 'allow-all', namespace: null },
      message: 'Allow for images: [icr.io/x/y:1]',
    });
  });

  it('trust (Notary v1) is not checked here, and says why', () => {
    const d = decide(
      imagePolicy(
        'pinned',
        'default',
        ['de.icr.io/testing-authn/nginx'],
        '{trust: {enabled: true, trustServer: "https://notary.de.icr.io", signerSecrets: [{name: signer1}]}}',
      ),
      'de.icr.io/testing-authn/nginx:1',
    );
    expect(d.allowed).toBeNull();
    expect(d.checks.find((c) => c.kind === 'trust')).toMatchObject({ outcome: 'unknown' });
    expect(d.checks.find((c) => c.kind === 'trust')!.detail).toContain('Notary v1');
  });

  it('Vulnerability Advisor: denied outright for a non-IBM registry, not checked for icr.io', () => {
    const policy = '{vulnerability: {ICCRVA: {enabled: true}}}';
    expect(decide(clusterPolicy('va', ['*'], policy), 'quay.io/x/y:1')).toMatchObject({
      allowed: false,
      message: 'Cannot use Vulnerability Advisor for IBM Cloud Container Registry with image "quay.io/x/y:1"',
    });
    const ibm = decide(clusterPolicy('va', ['*'], policy), 'de.icr.io/x/y:1');
    expect(ibm.allowed).toBeNull();
    expect(ibm.checks.find((c) => c.kind === 'vulnerability')?.outcome).toBe('unknown');
  });

  const signedBy = (extra = '') =>
    `{simple: {requirements: [{type: signedBy, keySecret: simple1pubkey${extra}}]}}`;

  it('signedBy with a missing key Secret fails as Portieris does (Kubernetes NotFound text)', () => {
    expect(decide(clusterPolicy('s', ['icr.io/cise/*'], signedBy()), 'icr.io/cise/nginx:1')).toMatchObject({
      allowed: false,
      message: 'secrets "simple1pubkey" not found',
    });
    expect(
      decide(
        clusterPolicy('s', ['icr.io/cise/*'], '{simple: {requirements: [{type: signedBy}]}}'),
        'icr.io/cise/nginx:1',
      ).message,
    ).toBe('KeySecret missing in signedBy requirement');
    expect(
      decide(
        clusterPolicy('s', ['icr.io/cise/*'], '{simple: {requirements: [{type: cosign}]}}'),
        'icr.io/cise/nginx:1',
      ).message,
    ).toBe('simple policy invalid Type: cosign');
  });

  it('reads the key Secret from keySecretNamespace when set, else the pod namespace', async () => {
    const { publicKey } = await generateKey({ userIDs: [{ name: 'Lab' }], format: 'armored' });
    const secret = (ns: string) =>
      `apiVersion: v1\nkind: Secret\nmetadata: {name: simple1pubkey, namespace: ${ns}}\nstringData:\n  key: |\n${publicKey
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n')}\n---\n`;
    const inOther = secret('secretnamespace');
    const base = clusterPolicy('s', ['icr.io/cise/*'], signedBy());
    expect(decide(base + inOther, 'icr.io/cise/nginx:1').message).toBe('secrets "simple1pubkey" not found');
    const override = preparePortieris(
      'icr.io/cise/nginx:1',
      'default',
      objects(
        clusterPolicy('s', ['icr.io/cise/*'], signedBy(', keySecretNamespace: secretnamespace')) + inOther,
      ),
    );
    expect(override.denials).toEqual([]);
    expect(override.signature?.requirements.requirements[0]).toMatchObject({
      type: 'signedBy',
      signedIdentity: { type: 'matchRepoDigestOrExact' },
    });
    expect(override.signature?.store).toBeNull();
    // Without a conclusion from the network, the decision is "cannot tell".
    expect(concludePortieris(override, null).allowed).toBeNull();
    expect(
      concludePortieris(override, {
        kind: 'denied',
        reason: 'A signature was required, but no signature exists',
        detail: 'no signature',
      }),
    ).toMatchObject({
      allowed: false,
      message: 'simple: policy denied the request: A signature was required, but no signature exists',
    });
    const digest = `sha256:${'a'.repeat(64)}`;
    const ok = concludePortieris(override, { kind: 'verified', digest, detail: 'verified' });
    expect(ok.allowed).toBe(true);
    expect(ok.checks.find((c) => c.kind === 'mutate-image')?.detail).toContain(
      `icr.io/cise/nginx@sha256:${'a'.repeat(64)}`,
    );
  });

  it('storeURL must be http(s); the store Secret is read from the pod namespace', async () => {
    const { publicKey } = await generateKey({ userIDs: [{ name: 'Lab' }], format: 'armored' });
    const key = `apiVersion: v1\nkind: Secret\nmetadata: {name: k}\nstringData: {key: ${JSON.stringify(publicKey)}}\n---\n`;
    const pol = (store: string) =>
      clusterPolicy(
        's',
        ['icr.io/*'],
        `{simple: {storeURL: "${store}", storeSecret: store, requirements: [{type: signedBy, keySecret: k}]}}`,
      );
    expect(decide(pol('ftp://x') + key, 'icr.io/a/b:1').message).toBe('secrets "store" not found');
    const store = 'apiVersion: v1\nkind: Secret\nmetadata: {name: store}\nstringData: {username: u}\n---\n';
    expect(decide(pol('https://sigs.example') + key + store, 'icr.io/a/b:1').message).toBe(
      'secret: store, does not contain password',
    );
    const full =
      'apiVersion: v1\nkind: Secret\nmetadata: {name: store}\nstringData: {username: u, password: p}\n---\n';
    expect(decide(pol('ftp://x') + key + full, 'icr.io/a/b:1').message).toBe(
      'expecting https:// or http:// URL, got: ftp://x',
    );
    const prep = preparePortieris(
      'icr.io/a/b:1',
      'default',
      objects(pol('https://sigs.example') + key + full),
    );
    expect(prep.signature?.store).toEqual({ url: 'https://sigs.example', username: 'u', password: 'p' });
    expect(JSON.stringify(concludePortieris(prep, null))).not.toContain('"p"');
  });

  it('a tag and a digest together: containers/image refuses the reference', async () => {
    const { publicKey } = await generateKey({ userIDs: [{ name: 'Lab' }], format: 'armored' });
    const key = `apiVersion: v1\nkind: Secret\nmetadata: {name: simple1pubkey}\nstringData: {key: ${JSON.stringify(publicKey)}}\n---\n`;
    const d = decide(
      clusterPolicy('s', ['icr.io/*'], signedBy()) + key,
      `icr.io/a/b:1@sha256:${'b'.repeat(64)}`,
    );
    expect(d.message).toBe(
      'simple: Docker references with both a tag and digest are currently not supported',
    );
  });

  it('notes fields the CRD schema prunes (the e2e simpleStore block is never read)', () => {
    const o = objects(clusterPolicy('s', ['icr.io/*'], '{simpleStore: {url: "https://foo.com/x"}}'));
    expect(o.notes.map((n) => n.message)).toEqual([
      expect.stringContaining('simpleStore is not in the CRD schema'),
    ]);
  });
});

describe('decodeArmoredKey (pkg/verifier/simple/gpgArmour.go)', () => {
  it('accepts a public key block and refuses anything else with Portieris wording', async () => {
    const { publicKey, privateKey } = await generateKey({ userIDs: [{ name: 'Lab' }], format: 'armored' });
    expect(decodeArmoredKey(new TextEncoder().encode(publicKey)).ok).toBe(true);
    expect(decodeArmoredKey(new Uint8Array())).toEqual({ ok: false, error: 'Key: empty' });
    expect(decodeArmoredKey(new TextEncoder().encode('not armor'))).toEqual({
      ok: false,
      error: 'Unable to decode key: EOF',
    });
    expect(decodeArmoredKey(new TextEncoder().encode(privateKey))).toEqual({
      ok: false,
      error: 'Expected "PGP PUBLIC KEY BLOCK" not found: PGP PRIVATE KEY BLOCK',
    });
  });
});
