// FailedCreate messages as the ReplicaSet/Job/DaemonSet controllers write them around the API
// server's webhook denial, and the Admission section built from API objects, pods and events.
import { describe, expect, it } from 'vitest';
import { harborViolation } from '../support/admission-api.js';
import { buildAdmissionSection } from '../../src/core/admission/cluster-section.js';
import { parseAdmissionDenials } from '../../src/core/admission/denial-events.js';
import { admissionObjectsFromApi } from '../../src/core/admission/objects.js';
import { denialEventInputs, podAdmissionInputs } from '../../src/collector/admission-inputs.js';

const GK = 'Error creating: admission webhook "validation.gatekeeper.sh" denied the request: ';

describe('parseAdmissionDenials', () => {
  it('splits Gatekeeper constraint lines and classifies the library repo messages', () => {
    const message = `${GK}[require-harbor-repo] container <web> has an invalid image repo <nginx:1.25>, allowed repos are ["harbor.example.com/"]\n[must-have-owner] you must provide labels: {"owner"}`;
    expect(parseAdmissionDenials(message)).toEqual([
      {
        controller: 'gatekeeper',
        webhook: 'validation.gatekeeper.sh',
        constraint: 'require-harbor-repo',
        image: 'nginx:1.25',
        container: 'web',
        message:
          '[require-harbor-repo] container <web> has an invalid image repo <nginx:1.25>, allowed repos are ["harbor.example.com/"]',
        kind: 'admission-repo-not-allowed',
      },
      expect.objectContaining({ constraint: 'must-have-owner', image: null, kind: null }),
    ]);
  });
  it('reads the older "[denied by NAME]" form', () => {
    const [d] = parseAdmissionDenials(
      `${GK}[denied by require-harbor-repo] initContainer <i> has an invalid image repo <busybox>, allowed repos are ["h/"]`,
    );
    expect(d).toMatchObject({
      constraint: 'require-harbor-repo',
      image: 'busybox',
      kind: 'admission-repo-not-allowed',
    });
  });
  it('reads Portieris denials (its message starts with a newline)', () => {
    const text =
      'Error creating: admission webhook "trust.hooks.securityenforcement.admission.cloud.ibm.com" denied the request: \nDeny "docker.io/library/nginx:1.25", no image policies or cluster polices\nsimple: policy denied the request: A signature was required, but no signature exists';
    expect(parseAdmissionDenials(text).map((d) => [d.controller, d.image, d.kind])).toEqual([
      ['portieris', 'docker.io/library/nginx:1.25', 'admission-no-policy'],
      ['portieris', null, 'admission-signature-missing'],
    ]);
  });
  it('other webhooks are kept unclassified; other events quote nothing', () => {
    expect(
      parseAdmissionDenials('Error creating: admission webhook "x.example.com" denied the request: no'),
    ).toEqual([
      {
        controller: 'other',
        webhook: 'x.example.com',
        constraint: null,
        image: null,
        container: null,
        message: 'no',
        kind: null,
      },
    ]);
    expect(parseAdmissionDenials('Error creating: pods "web-1" is forbidden: exceeded quota: q')).toEqual([]);
  });
});

const api = (object: object, kind: string, apiVersion: string) => ({
  object,
  kind,
  apiVersion,
  label: `${kind}/x`,
});

describe('buildAdmissionSection', () => {
  const objects = admissionObjectsFromApi([
    api(
      {
        metadata: { name: 'require-harbor-repo' },
        spec: {
          match: { kinds: [{ apiGroups: [''], kinds: ['Pod'] }], excludedNamespaces: ['kube-system'] },
          parameters: { repos: ['harbor.example.com/'] },
        },
        status: {
          auditTimestamp: '2026-12-03T09:00:00Z',
          totalViolations: 1,
          violations: [
            harborViolation({ namespace: 'shop', name: 'web-1', container: 'web', image: 'nginx:1.25' }),
          ],
        },
      },
      'K8sAllowedRepos',
      'constraints.gatekeeper.sh/v1beta1',
    ),
    api(
      {
        metadata: { name: 'signed' },
        spec: {
          repositories: [
            {
              name: 'harbor.example.com/*',
              policy: { simple: { requirements: [{ type: 'signedBy', keySecret: 'k' }] } },
            },
          ],
        },
      },
      'ClusterImagePolicy',
      'portieris.cloud.ibm.com/v1',
    ),
  ]);
  const pods = podAdmissionInputs([
    {
      metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] },
      status: { phase: 'Running' },
    },
    {
      metadata: { name: 'api-1', namespace: 'shop' },
      spec: { containers: [{ name: 'api', image: 'harbor.example.com/shop/api:2' }] },
      status: { phase: 'Running' },
    },
    {
      metadata: { name: 'done', namespace: 'shop' },
      spec: { containers: [{ name: 'x', image: 'busybox' }] },
      status: { phase: 'Succeeded' },
    },
  ]);
  const now = Date.parse('2026-12-03T10:00:00Z');
  const events = denialEventInputs(
    [
      {
        metadata: { name: 'e1', namespace: 'shop' },
        involvedObject: { kind: 'ReplicaSet', name: 'web-7d9f', namespace: 'shop' },
        reason: 'FailedCreate',
        message: `${GK}[require-harbor-repo] container <web> has an invalid image repo <nginx:1.26>, allowed repos are ["harbor.example.com/"]`,
        count: 7,
        lastTimestamp: new Date('2026-12-03T09:58:00Z'),
      },
      {
        metadata: { name: 'old', namespace: 'shop' },
        involvedObject: { kind: 'ReplicaSet', name: 'old', namespace: 'shop' },
        reason: 'FailedCreate',
        message: `${GK}[x] y`,
        lastTimestamp: new Date('2026-12-01T00:00:00Z'),
      },
    ],
    now,
    3_600_000,
  );
  const section = buildAdmissionSection({
    portieris: true,
    gatekeeper: true,
    objects,
    pods,
    events,
    pulledFrom: (image) => (image === 'nginx:1.25' ? ['harbor.example.com/mirror/nginx:1.25'] : []),
  });

  it('lists the recent denial events with their workload', () => {
    expect(section.denials).toEqual([
      expect.objectContaining({
        namespace: 'shop',
        object: { kind: 'ReplicaSet', name: 'web-7d9f' },
        count: 7,
        image: 'nginx:1.26',
        kind: 'admission-repo-not-allowed',
      }),
    ]);
    expect(section.counts.byKind).toEqual({ 'admission-repo-not-allowed': 1 });
  });
  it("attaches the audit's violations to the pod's image", () => {
    expect(section.violations).toEqual([
      expect.objectContaining({
        object: { kind: 'Pod', name: 'web-1', namespace: 'shop' },
        image: 'nginx:1.25',
        enforcementAction: 'deny',
      }),
    ]);
  });
  it('shows running images a new pod could not use now, and the undecided signature checks', () => {
    expect(section.images.map((i) => [i.namespace, i.image, i.allowed])).toEqual([
      ['shop', 'nginx:1.25', false],
      ['shop', 'harbor.example.com/shop/api:2', null],
    ]);
    const portieris = section.images[0]!.decisions.find((d) => d.controller === 'portieris')!;
    expect(portieris.message).toBe(
      'Deny "nginx:1.25", no matching repositories in ClusterImagePolicy and no ImagePolicies in the "shop" namespace',
    );
    expect(section.counts).toMatchObject({ imagesDenied: 1, imagesUndecided: 1, violations: 1, denials: 1 });
    // The nodes pull nginx from the harbor mirror, which the allow-list would accept if the pod named it.
    expect(section.images[0]!.pulledFrom).toEqual(['harbor.example.com/mirror/nginx:1.25']);
    expect(section.images[0]!.notes).toContain(
      'naming the mirror harbor.example.com/mirror/nginx:1.25 in the pod spec would pass require-harbor-repo: mirroring into the allowed registry only helps when the pod spec names the mirror',
    );
    expect(section.controllers).toEqual({
      portieris: { imagePolicies: 0, clusterImagePolicies: 1 },
      gatekeeper: { templates: 0, constraints: 1 },
    });
  });
});

describe('admissionFindings', () => {
  it('turns classified denials into errors and would-be refusals into warnings, once each', async () => {
    const { admissionFindings } = await import('../../src/core/admission/findings.js');
    const objects = admissionObjectsFromApi([
      api(
        { metadata: { name: 'only-harbor' }, spec: { parameters: { repos: ['harbor.example.com/'] } } },
        'K8sAllowedRepos',
        'constraints.gatekeeper.sh/v1beta1',
      ),
    ]);
    const section = buildAdmissionSection({
      portieris: false,
      gatekeeper: true,
      objects,
      pods: podAdmissionInputs([
        {
          metadata: { name: 'web-1', namespace: 'shop' },
          spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] },
        },
      ]),
      events: denialEventInputs(
        [
          {
            metadata: { name: 'e', namespace: 'shop' },
            involvedObject: { kind: 'ReplicaSet', name: 'web-1a', namespace: 'shop' },
            reason: 'FailedCreate',
            message: `${GK}[only-harbor] container <web> has an invalid image repo <nginx:1.26>, allowed repos are ["harbor.example.com/"]`,
            lastTimestamp: new Date('2026-12-03T09:59:00Z'),
          },
        ],
        Date.parse('2026-12-03T10:00:00Z'),
        3_600_000,
      ),
    });
    expect(admissionFindings(section).map((f) => [f.id, f.severity, f.image, f.scope])).toEqual([
      ['admission-repo-not-allowed', 'error', 'nginx:1.26', 'only-harbor'],
      ['admission-repo-not-allowed', 'warning', 'nginx:1.25', 'only-harbor'],
    ]);
  });
});
