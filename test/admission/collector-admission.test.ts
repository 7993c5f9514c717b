// End to end: the collector process with --admission against the fake API server holding Portieris
// and Gatekeeper CRDs, a constraint with status violations and a ReplicaSet's FailedCreate event; the
// Admission section reaches the JSON report, the page, `mirrorscope report` and the ConfigMap.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterReport } from '../../src/core/report/types.js';
import { kubeFlags, startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';
import { runCli } from '../support/cli.js';
import { eventually } from '../support/eventually.js';
import { harborViolation, serveAllowedRepos, servePortieris } from '../support/admission-api.js';
import { FakeKubeApi, nodeObject, podObject } from '../support/fake-kube-api.js';

const NS = 'mirrorscope';
let api: FakeKubeApi;
let collector: CollectorProcess;

const DENIAL =
  'Error creating: admission webhook "validation.gatekeeper.sh" denied the request: [require-harbor-repo] container <web> has an invalid image repo <nginx:1.26>, allowed repos are ["harbor.example.com/"]';

beforeAll(async () => {
  api = await new FakeKubeApi().start();
  api.upsert('nodes', nodeObject('node-a'));
  api.upsert('pods', podObject('shop', 'web-1', 'node-a', { containers: ['nginx:1.25'] }));
  servePortieris(api, {
    namespaced: [],
    cluster: [
      {
        metadata: { name: 'harbor-only' },
        spec: { repositories: [{ name: 'harbor.example.com/*', policy: {} }] },
      },
    ],
  });
  serveAllowedRepos(api, [
    {
      metadata: { name: 'require-harbor-repo' },
      spec: {
        match: { kinds: [{ apiGroups: [''], kinds: ['Pod'] }] },
        parameters: { repos: ['harbor.example.com/'] },
      },
      status: {
        violations: [
          harborViolation({ namespace: 'shop', name: 'web-1', container: 'web', image: 'nginx:1.25' }),
        ],
      },
    },
  ]);
  api.upsert('events', {
    metadata: { name: 'web-7d9f.1', namespace: 'shop' },
    involvedObject: { kind: 'ReplicaSet', name: 'web-7d9f', namespace: 'shop' },
    reason: 'FailedCreate',
    type: 'Warning',
    count: 4,
    lastTimestamp: new Date().toISOString(),
    message: DENIAL,
  });
  collector = await startCollectorProcess([
    ...kubeFlags(api, NS, 'none'),
    '--configmap-interval',
    '1',
    '--admission',
  ]);
});

afterAll(async () => {
  await collector?.stop();
  await api?.stop();
});

describe('collector --admission', () => {
  it('reports the denial, the audit violation and the running image a new pod could not use', async () => {
    const report = await eventually(async () => {
      const r = (await (await fetch(`${collector.url}/api/v1/report`)).json()) as ClusterReport;
      expect(r.admission?.denials.length).toBe(1);
      return r;
    }, 'admission section');
    const a = report.admission!;
    expect(a.denials[0]).toMatchObject({
      namespace: 'shop',
      object: { kind: 'ReplicaSet', name: 'web-7d9f' },
      image: 'nginx:1.26',
      kind: 'admission-repo-not-allowed',
      count: 4,
    });
    expect(a.violations[0]).toMatchObject({ image: 'nginx:1.25', object: { name: 'web-1' } });
    expect(a.images.map((i) => [i.namespace, i.image, i.allowed])).toEqual([['shop', 'nginx:1.25', false]]);
    expect(a.images[0]!.decisions.map((d) => d.message)).toEqual([
      'Deny "nginx:1.25", no matching repositories in ClusterImagePolicy and no ImagePolicies in the "shop" namespace',
      '[require-harbor-repo] container <web> has an invalid image repo <nginx:1.25>, allowed repos are ["harbor.example.com/"]',
    ]);
    // The refusals are causes of the report like any pull failure: the pod never reaches a pull.
    const kinds = report.causes.map((c) => c.kind);
    expect(kinds).toContain('admission-repo-not-allowed');
    expect(kinds).toContain('admission-no-policy');
  });

  it('shows the section on the page, in `mirrorscope report` and in the ConfigMap', async () => {
    const page = await (await fetch(`${collector.url}/`)).text();
    expect(page).toContain('<section id="admission">');
    expect(page).toContain('web-7d9f');
    const text = await runCli(['report', '--collector', collector.url]);
    expect(text.stdout).toContain(
      'Admission (Portieris: 0 ImagePolicies, 1 ClusterImagePolicies; Gatekeeper: 1 ConstraintTemplates, 1 constraints)',
    );
    expect(text.stdout).toContain('shop/ReplicaSet/web-7d9f (4×');
    await eventually(() => {
      const cm = api.get('configmaps', 'mirrorscope-report', NS) as
        { data?: Record<string, string> } | undefined;
      const summary = JSON.parse(cm?.data?.['summary.json'] ?? '{}') as {
        admission?: { counts: { denials: number } };
      };
      expect(summary.admission?.counts.denials).toBe(1);
    }, 'ConfigMap with the admission digest');
  });
});
