// The CRI-O version model: parsing what users and the kubelet write, the containers/image table
// (go.mod of cri-o/cri-o at every v1.25.0–v1.36.3 patch tag: v1.25.2 5.23.1, v1.25.5 5.25.0,
// v1.26.2 5.24.2, v1.32.3 5.34.1, v1.35.0 go.podman.io/image 5.38.0), the behaviour boundaries, and
// the skew finding of the cluster report.
import { describe, expect, it } from 'vitest';
import {
  containersImageText,
  crioReleasesBefore,
  hasNamespacedAuth,
  hasNamespacedPolicies,
  insecureRegistriesRule,
  parseCrioVersion,
  parsesPolicyFeature,
  shortNameRule,
  versionNote,
} from '../../src/core/crio/versions.js';
import { matchInsecureRegistry } from '../../src/core/crio/insecure-registries.js';
import { MirrorscopeError } from '../../src/core/errors.js';
import type { ImageStatus } from '../../src/protocol/messages.js';
import type { AgentView, NodeInput } from '../../src/core/report/types.js';
import { nodeRuntimeVersion, versionSkew } from '../../src/core/report/version-skew.js';

const v = parseCrioVersion;

describe('parseCrioVersion', () => {
  it.each([
    ['1.29', { major: 1, minor: 29, patch: null }],
    ['1.29.4', { major: 1, minor: 29, patch: 4 }],
    ['v1.34.0', { major: 1, minor: 34, patch: 0 }],
    ['cri-o://1.29.4-2.rhaos4.16.git1234.el9', { major: 1, minor: 29, patch: 4 }],
    ['cri-o://1.33.2', { major: 1, minor: 33, patch: 2 }],
    [' 1.30.1 ', { major: 1, minor: 30, patch: 1 }],
  ])('%s', (text, expected) => {
    expect(v(text)).toMatchObject(expected);
  });

  it.each(['', '1', 'x.y', '1.29.4.5', 'containerd://1.7.2', 'docker://24.0.5', 'cri-o://', '1.29 4'])(
    'refuses %j with a usage error',
    (text) => {
      expect(() => v(text)).toThrow(MirrorscopeError);
    },
  );
});

describe('the table', () => {
  it('gives the containers/image each CRI-O vendors, as a range where the patch decides', () => {
    expect(containersImageText(v('1.25'))).toBe('5.22–5.25');
    expect(containersImageText(v('1.25.0'))).toBe('5.22');
    expect(containersImageText(v('1.25.1'))).toBe('5.22');
    expect(containersImageText(v('1.25.3'))).toBe('5.23');
    expect(containersImageText(v('1.25.5'))).toBe('5.25');
    expect(containersImageText(v('1.26.1'))).toBe('5.23');
    expect(containersImageText(v('1.26.2'))).toBe('5.24');
    expect(containersImageText(v('1.30.2'))).toBe('5.29');
    expect(containersImageText(v('1.32.0'))).toBe('5.33');
    expect(containersImageText(v('1.32.2'))).toBe('5.33');
    expect(containersImageText(v('1.32.3'))).toBe('5.34');
    expect(containersImageText(v('1.32'))).toBe('5.33–5.34');
    expect(containersImageText(v('1.35.0'))).toBe('5.38');
    expect(containersImageText(v('1.24.6'))).toBeNull();
    expect(containersImageText(v('1.40.0'))).toBeNull();
  });

  it('places each behaviour boundary where CRI-O changed it', () => {
    expect(shortNameRule(v('1.33.9'))).toBe('forced-disabled');
    expect(shortNameRule(v('1.34.0'))).toBe('crio-conf');
    expect(shortNameRule(null)).toBe('crio-conf');
    expect(hasNamespacedPolicies(v('1.27.8'))).toBe(false);
    expect(hasNamespacedPolicies(v('1.28.0'))).toBe(true);
    expect(hasNamespacedAuth(v('1.34.2'))).toBe(false);
    expect(hasNamespacedAuth(v('1.34.3'))).toBe(true);
    expect(hasNamespacedAuth(v('1.35.0'))).toBe(true);
    expect(insecureRegistriesRule(v('1.33.9'))).toBe('honoured');
    expect(insecureRegistriesRule(v('1.34.0'))).toBe('deprecated');
    expect(insecureRegistriesRule(v('1.35.0'))).toBe('ignored');
    expect(insecureRegistriesRule(null)).toBe('ignored');
    expect(parsesPolicyFeature(v('1.26'), 'fulcio')).toBe('unknown'); // 1.26.0–1.26.1 no, 1.26.2 yes
    expect(parsesPolicyFeature(v('1.24.1'), 'fulcio')).toBe('no');
    expect(parsesPolicyFeature(v('1.41.0'), 'pki')).toBe('yes');
    expect(parsesPolicyFeature(null, 'pki')).toBe('unknown');
    expect(crioReleasesBefore([5, 24])).toBe('1.25 before 1.25.5, 1.26 before 1.26.2');
    expect(crioReleasesBefore([5, 35])).toBe('1.25–1.32');
  });

  it('notes an unknown version and one outside the table, never a version it models', () => {
    expect(versionNote(v('1.29.4'))).toBeNull();
    expect(versionNote(null)?.behaviours).toHaveLength(5);
    expect(versionNote(v('1.24.3'))?.message).toContain('older than the versions mirrorscope models');
    expect(versionNote(v('1.37.0'))?.message).toContain('newer than the versions mirrorscope models');
  });
});

describe('crio.conf insecure_registries matching', () => {
  const entries = [
    { value: 'quay.io', origin: { file: '/etc/crio/crio.conf', line: 3 } },
    { value: '10.0.0.0/8', origin: { file: '/etc/crio/crio.conf', line: 3 } },
  ];
  it('matches the exact registry name, or a literal IP inside a CIDR', () => {
    expect(matchInsecureRegistry(entries, 'quay.io')?.how).toBe('name');
    expect(matchInsecureRegistry(entries, 'quay.io:443')).toBeNull();
    expect(matchInsecureRegistry(entries, 'sub.quay.io')).toBeNull();
    expect(matchInsecureRegistry(entries, '10.200.3.4:5000')?.how).toBe('cidr');
    expect(matchInsecureRegistry(entries, '11.0.0.1')).toBeNull();
    const loopback = [{ value: '127.0.0.0/8', origin: null }];
    expect(matchInsecureRegistry(loopback, 'localhost:5000')?.how).toBe('cidr');
    expect(matchInsecureRegistry(loopback, '127.3.4.5')?.how).toBe('cidr');
    expect(matchInsecureRegistry(loopback, 'registry.local')).toBeNull();
  });
});

describe('runtime-version-skew', () => {
  const status = (image: string, resolution: string): ImageStatus => ({
    image,
    pullable: !resolution.startsWith('fails'),
    source: null,
    digest: null,
    findingKeys: [],
    resolution,
  });
  const node = (name: string, pool: string, runtime: string | null, images: ImageStatus[]): NodeInput => ({
    name,
    pool,
    registered: true,
    runtimeVersion: runtime,
    agent: { images, findings: [], hosts: [], files: [] } as unknown as AgentView,
  });
  const both = 'a.example/app:1 | then b.example/app:1';
  const fails = 'fails: short name mode is enforcing, but image name app:1 returns ambiguous list';

  it('needs two versions in one pool that answer differently, each version agreeing with itself', () => {
    const skew = versionSkew([
      node('w1', 'worker', 'cri-o://1.33.2-3.el9', [status('app:1', both), status('x.io/y:1', 'x.io/y:1')]),
      node('w2', 'worker', 'cri-o://1.33.2-3.el9', [status('app:1', both)]),
      node('w3', 'worker', 'cri-o://1.34.1-1.el9', [status('app:1', fails), status('x.io/y:1', 'x.io/y:1')]),
      node('m1', 'master', 'cri-o://1.34.1-1.el9', [status('app:1', fails)]),
    ]);
    expect(skew).toHaveLength(1);
    expect(skew[0]!.nodes).toEqual(['w1', 'w2', 'w3']);
    expect(skew[0]!.finding.message).toBe(
      `Pool worker runs CRI-O 1.33.2 and 1.34.1, which resolve app:1 differently: on CRI-O 1.33.2 (w1, w2): ${both}; on CRI-O 1.34.1 (w3): ${fails}.`,
    );
  });

  it('leaves a difference among nodes of the same version to the drift finding', () => {
    expect(
      versionSkew([
        node('w1', 'worker', '1.33.2', [status('app:1', both)]),
        node('w2', 'worker', '1.33.2', [status('app:1', 'a.example/app:1')]),
        node('w3', 'worker', '1.34.1', [status('app:1', fails)]),
      ]),
    ).toEqual([]);
    // Same answer on both versions: no skew.
    expect(
      versionSkew([
        node('w1', 'worker', '1.33.2', [status('app:1', both)]),
        node('w3', 'worker', '1.34.1', [status('app:1', both)]),
      ]),
    ).toEqual([]);
  });

  it("shows the Node's CRI-O, else the agent's, else the kubelet's text for another runtime", () => {
    expect(nodeRuntimeVersion(node('a', 'w', 'cri-o://1.29.4-2.rhaos4.16.el9', []))).toBe('1.29.4');
    expect(nodeRuntimeVersion(node('a', 'w', 'containerd://1.7.2', []))).toBe('containerd://1.7.2');
    const viaAgent = node('a', 'w', null, []);
    (viaAgent.agent as { runtime?: unknown }).runtime = { name: 'crio', version: '1.31', source: 'flag' };
    expect(nodeRuntimeVersion(viaAgent)).toBe('1.31');
    expect(nodeRuntimeVersion(node('a', 'w', null, []))).toBeNull();
  });
});
