// The collector's admission reader against the fake API server: discovery decides what is read,
// Portieris policies, Gatekeeper templates and their constraints (status.violations included),
// Namespaces for namespaceSelector, and a ReplicaSet's FailedCreate event quoting a denial.
import { afterEach, describe, expect, it } from 'vitest';
import { AdmissionWatch } from '../../src/collector/admission-watch.js';
import { loadKubeClients } from '../../src/kube/kube-clients.js';
import { harborViolation, serveAllowedRepos, servePortieris } from '../support/admission-api.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';

let api: FakeKubeApi | null = null;
afterEach(async () => {
  await api?.stop();
  api = null;
});

const PORTIERIS = { group: 'portieris.cloud.ibm.com', version: 'v1' };
const logs: string[] = [];

async function watch(setup: (api: FakeKubeApi) => void) {
  api = await new FakeKubeApi().start();
  setup(api);
  const w = new AdmissionWatch(loadKubeClients(api.writeKubeconfig()), {
    intervalMs: 60_000,
    eventMaxAgeMs: 3_600_000,
    log: (level, message) => logs.push(`${level} ${message}`),
    onChange: () => undefined,
  });
  await w.refresh();
  return w;
}

const pod = (namespace: string, name: string, image: string, labels: Record<string, string> = {}) => ({
  metadata: { namespace, name, labels },
  spec: { containers: [{ name: 'app', image }] },
  status: { phase: 'Running' },
});

describe('AdmissionWatch', () => {
  it('reads nothing and shows no section when the cluster serves neither CRD', async () => {
    const w = await watch(() => undefined);
    expect(w.section([], Date.now())).toBeNull();
    expect(api!.count('GET', '/api/v1/events')).toBe(0);
  });

  it('builds the section from the CRDs, the audit status and a ReplicaSet FailedCreate event', async () => {
    const w = await watch((a) => {
      servePortieris(a, {
        namespaced: [
          {
            metadata: { name: 'shop-policy', namespace: 'shop' },
            spec: { repositories: [{ name: 'harbor.example.com/*', policy: {} }] },
          },
        ],
        cluster: [],
      });
      serveAllowedRepos(a, [
        {
          metadata: { name: 'require-harbor-repo' },
          spec: {
            match: {
              kinds: [{ apiGroups: [''], kinds: ['Pod'] }],
              namespaceSelector: { matchLabels: { tier: 'prod' } },
            },
            parameters: { repos: ['harbor.example.com/'] },
          },
          status: {
            totalViolations: 1,
            violations: [
              harborViolation({ namespace: 'shop', name: 'web-1', container: 'app', image: 'nginx:1.25' }),
            ],
          },
        },
      ]);
      a.namespaces.push(
        { metadata: { name: 'shop', labels: { tier: 'prod' } } },
        { metadata: { name: 'dev', labels: {} } },
      );
      a.upsert('events', {
        metadata: { name: 'web-7d9f.1', namespace: 'shop' },
        involvedObject: { kind: 'ReplicaSet', name: 'web-7d9f', namespace: 'shop' },
        reason: 'FailedCreate',
        type: 'Warning',
        count: 12,
        lastTimestamp: new Date().toISOString(),
        message:
          'Error creating: admission webhook "validation.gatekeeper.sh" denied the request: [require-harbor-repo] container <app> has an invalid image repo <nginx:1.26>, allowed repos are ["harbor.example.com/"]',
      });
      a.upsert('events', {
        metadata: { name: 'pulled', namespace: 'shop' },
        involvedObject: { kind: 'Pod', name: 'x', namespace: 'shop' },
        reason: 'Pulled',
        message: 'Successfully pulled image',
      });
    });
    const section = w.section(
      [pod('shop', 'web-1', 'nginx:1.25'), pod('dev', 'dev-1', 'nginx:1.25')] as never,
      Date.now(),
    )!;
    expect(section.controllers).toEqual({
      portieris: { imagePolicies: 1, clusterImagePolicies: 0 },
      gatekeeper: { templates: 1, constraints: 1 },
    });
    expect(section.denials).toEqual([
      expect.objectContaining({
        object: { kind: 'ReplicaSet', name: 'web-7d9f' },
        count: 12,
        constraint: 'require-harbor-repo',
        image: 'nginx:1.26',
        kind: 'admission-repo-not-allowed',
      }),
    ]);
    expect(section.violations).toEqual([
      expect.objectContaining({
        image: 'nginx:1.25',
        object: { kind: 'Pod', name: 'web-1', namespace: 'shop' },
      }),
    ]);
    // In shop: the ImagePolicy has no match and the allow-list (namespace labelled tier=prod) refuses.
    const shop = section.images.find((i) => i.namespace === 'shop')!;
    expect(shop.decisions.map((d) => [d.controller, d.allowed])).toEqual([
      ['portieris', false],
      ['gatekeeper', false],
    ]);
    // In dev: no ImagePolicy there and no ClusterImagePolicy → Portieris denies; Gatekeeper's selector excludes dev.
    const dev = section.images.find((i) => i.namespace === 'dev')!;
    expect(dev.decisions.map((d) => d.message)).toEqual([
      'Deny "nginx:1.25", no image policies or cluster polices',
    ]);
    // The events list asked the API server for FailedCreate only.
    expect(api!.count('GET', '/api/v1/events')).toBe(1);
  });

  it("honours Gatekeeper's Config: an exempt namespace's images are not refused", async () => {
    const w = await watch((a) => {
      serveAllowedRepos(a, [
        { metadata: { name: 'only-harbor' }, spec: { parameters: { repos: ['harbor.example.com/'] } } },
      ]);
      a.serveCustom(
        {
          group: 'config.gatekeeper.sh',
          version: 'v1alpha1',
          plural: 'configs',
          kind: 'Config',
          namespaced: true,
        },
        [
          {
            metadata: { name: 'config', namespace: 'gatekeeper-system' },
            spec: { match: [{ excludedNamespaces: ['kube-*'], processes: ['*'] }] },
          },
        ],
      );
    });
    const section = w.section(
      [pod('kube-system', 'dns', 'coredns:1'), pod('shop', 'web', 'nginx:1')] as never,
      Date.now(),
    )!;
    expect(section.images.map((i) => i.namespace)).toEqual(['shop']);
  });

  it('says what it could not read when a list is refused', async () => {
    const w = await watch((a) => {
      a.serveCustom(
        { ...PORTIERIS, plural: 'clusterimagepolicies', kind: 'ClusterImagePolicy', namespaced: false },
        [],
      );
      a.failNext('/apis/portieris.cloud.ibm.com/v1/clusterimagepolicies', 403, 1);
    });
    const section = w.section([], Date.now())!;
    expect(section.notes).toEqual([expect.stringMatching(/^not read: clusterimagepolicies: forbidden/)]);
    expect(logs.some((l) => l.startsWith('warn admission: clusterimagepolicies: forbidden'))).toBe(true);
  });
});
