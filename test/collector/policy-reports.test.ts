// Policy reports: what they say (pure), and the writer against the fake API with the production
// client-node calls: discovery (nothing while the CRDs are absent, written once they appear),
// server-side apply only on change, pruning of namespaces with nothing left to report; wgpolicyk8s.io
// by default, openreports.io (github.com/openreports/reports-api, v1alpha1) where only it is served
// or where it is chosen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cause } from '../../src/core/causes/types.js';
import type { PodView } from '../../src/core/kube-writes/events.js';
import { clusterReport, MAX_RESOURCES, namespaceReports } from '../../src/core/kube-writes/policy-reports.js';
import { CauseIndex, predictNode, type NodePrediction } from '../../src/core/kube-writes/predictions.js';
import { silentLog } from '../../src/collector/log.js';
import { PolicyReports } from '../../src/collector/policy-reports.js';
import { loadKubeClients } from '../../src/kube/kube-clients.js';
import {
  applyPolicyReport,
  policyReportCalls,
  type ReportApiChoice,
} from '../../src/kube/policy-report-writes.js';
import { eventually } from '../support/eventually.js';
import { FakeKubeApi } from '../support/fake-kube-api.js';
import {
  CLUSTER_POLICY_REPORT_CRD,
  CLUSTER_REPORT_CRD,
  POLICY_REPORT_CRD,
  REPORT_CRD,
} from '../support/fake-kube-writes.js';

const MIRROR = 'mirror.corp.example:5000';
const APP = 'quay.example/shop/app:1.0';
const WEB = 'quay.example/shop/web:2.0';

const CA: Cause = {
  id: `tls-ca-missing:${MIRROR}`,
  kind: 'tls-ca-missing',
  severity: 'error',
  title: `The CA of ${MIRROR} is missing on the node`,
  explanation: '',
  fix: { text: 'Add the CA.', commands: [`mirrorscope trace --node worker-1 ${APP}`] },
  evidence: [],
  affects: { nodes: ['worker-1'], pods: 2, images: [APP], mirrors: [MIRROR] },
  findings: ['tls', 'pull-app'],
};
const TYPO: Cause = {
  ...CA,
  id: 'config-typo:/etc/containers/registries.conf:3',
  kind: 'config-typo',
  severity: 'warning',
  title: 'registries.conf line 3 has a key CRI-O ignores',
  affects: { nodes: ['worker-2'], pods: 0, images: [], mirrors: [] },
  findings: ['typo'],
};

function prediction(node: string, appPulls: boolean): NodePrediction {
  return predictNode(
    {
      node,
      agent: 'connected',
      lastSeenMs: 0,
      images: [
        { image: APP, pullable: appPulls, findingKeys: appPulls ? [] : ['tls', 'pull-app'] },
        { image: WEB, pullable: true, findingKeys: [] },
      ],
    },
    new CauseIndex([CA, TYPO]),
  );
}

function pod(namespace: string, name: string, node: string, image: string): PodView {
  return {
    namespace,
    name,
    uid: `uid-${name}`,
    node,
    containers: [{ name: 'c0', image, fieldPath: 'spec.containers{c0}', started: true }],
  };
}

const uid = (node: string): string => `uid-${node}`;
const at = (): number => 1_700_000_000;

describe('what the reports say', () => {
  const predictions = [prediction('worker-1', false), prediction('worker-2', true)];
  const pods = [
    pod('shop', 'app-1', 'worker-1', APP),
    pod('shop', 'app-2', 'worker-1', APP),
    pod('shop', 'app-3', 'worker-2', APP),
    pod('shop', 'web', 'worker-1', WEB),
    pod('other', 'elsewhere', 'worker-9', APP),
  ];

  it('a namespace: one fail result per cause and image with every pod it affects, one pass result', () => {
    const reports = namespaceReports(predictions, pods, at);
    expect([...reports.keys()]).toEqual(['shop']); // worker-9 has no prediction
    const shop = reports.get('shop')!;
    expect(shop.summary).toEqual({ pass: 2, fail: 2, warn: 0, error: 0, skip: 0 });
    expect(shop.results[0]).toEqual({
      source: 'mirrorscope',
      policy: 'tls-ca-missing',
      rule: `tls-ca-missing:${MIRROR} ${APP}`,
      category: 'Image pulls',
      result: 'fail',
      severity: 'high',
      message: `Image ${APP} is predicted to fail to pull on node worker-1: The CA of ${MIRROR} is missing on the node.`,
      scored: true,
      timestamp: { seconds: 1_700_000_000, nanos: 0 },
      resources: [
        { apiVersion: 'v1', kind: 'Pod', name: 'app-1', namespace: 'shop', uid: 'uid-app-1' },
        { apiVersion: 'v1', kind: 'Pod', name: 'app-2', namespace: 'shop', uid: 'uid-app-2' },
      ],
      properties: {
        image: APP,
        nodes: 'worker-1',
        cause: CA.id,
        trace: `mirrorscope trace --node worker-1 ${APP}`,
      },
    });
    expect(shop.results[1]).toMatchObject({
      policy: 'image-pulls-predicted',
      result: 'pass',
      resources: [{ name: 'app-3' }, { name: 'web' }],
    });
  });

  it('the cluster: each cause with its nodes (fail by error, warn by warning), then the passing nodes', () => {
    const cluster = clusterReport(predictions, [CA, TYPO], uid, at);
    expect(
      cluster.results.map((r) => [r.policy, r.result, r.severity, r.resources.map((x) => x.name)]),
    ).toEqual([
      ['tls-ca-missing', 'fail', 'high', ['worker-1']],
      ['config-typo', 'warn', 'medium', ['worker-2']],
      ['image-pulls-predicted', 'pass', 'info', ['worker-2']],
    ]);
    expect(cluster.summary).toEqual({ pass: 1, fail: 1, warn: 1, error: 0, skip: 0 });
  });

  it('bounds a result: 5,000 nodes of one cause list MAX_RESOURCES and count the rest', () => {
    const nodes = Array.from({ length: 5000 }, (_, i) => `n${i}`);
    const wide = { ...CA, affects: { ...CA.affects, nodes } };
    const cluster = clusterReport(
      nodes.map((n) => prediction(n, false)),
      [wide],
      uid,
      at,
    );
    expect(cluster.results[0]!.resources).toHaveLength(MAX_RESOURCES);
    expect(cluster.results[0]!.properties.resourcesOmitted).toBe(String(5000 - MAX_RESOURCES));
    expect(cluster.summary.fail).toBe(5000);
    expect(JSON.stringify(cluster).length).toBeLessThan(256 * 1024);
  });
});

describe('the writer against the API', () => {
  let api: FakeKubeApi;
  let reports: PolicyReports;
  const logged: string[] = [];
  const reconcile = (p: NodePrediction[], pods: PodView[]): Promise<void> =>
    reports.reconcile(p, pods, [CA], uid);

  beforeAll(async () => {
    api = await new FakeKubeApi().start();
    const kube = loadKubeClients(api.writeKubeconfig());
    reports = new PolicyReports({
      ...policyReportCalls(kube),
      rediscoverMs: 100,
      perSecond: 100,
      log: { ...silentLog, info: (m) => logged.push(m) },
    });
    await reports.start();
  });
  afterAll(async () => {
    reports?.stop();
    await api?.stop();
  });

  it('writes nothing while the CRDs are not installed', async () => {
    expect(reports.servedVersion).toBeNull();
    await reconcile([prediction('worker-1', false)], [pod('shop', 'app-1', 'worker-1', APP)]);
    expect(
      api.count('PATCH', '/apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports/mirrorscope'),
    ).toBe(0);
  });

  it('writes nothing where the CRDs exist but RBAC does not allow it, and says what grants it', async () => {
    api.writes.forbidden.add('patch wgpolicyk8s.io/clusterpolicyreports');
    api.writes.serveCrd(POLICY_REPORT_CRD);
    api.writes.serveCrd(CLUSTER_POLICY_REPORT_CRD);
    await eventually(
      () => expect(logged.join('\n')).toContain('apply daemonset/components/policy-reports'),
      'the RBAC hint',
    );
    expect(reports.servedVersion).toBeNull();
    await reconcile([prediction('worker-1', false)], [pod('shop', 'app-1', 'worker-1', APP)]);
    expect(api.writes.objects(POLICY_REPORT_CRD)).toEqual([]);
  });

  it('finds the CRDs once installed, prunes what a previous collector left, and writes the reports', async () => {
    api.writes.forbidden.clear();
    // Left by a previous collector in a namespace that has no pod any more; Kyverno's own stays.
    const kube = loadKubeClients(api.writeKubeconfig());
    await applyPolicyReport(kube, 'wgpolicyk8s.io/v1alpha2', 'gone', {
      results: [],
      summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 },
    });
    await kube.custom.createNamespacedCustomObject({
      group: 'wgpolicyk8s.io',
      version: 'v1alpha2',
      namespace: 'gone',
      plural: 'policyreports',
      body: {
        apiVersion: 'wgpolicyk8s.io/v1alpha2',
        kind: 'PolicyReport',
        metadata: { name: 'kyverno-pod-abc' },
      },
    });
    await eventually(() => expect(reports.servedVersion).toBe('wgpolicyk8s.io/v1alpha2'), 'discovery');
    await reconcile(
      [prediction('worker-1', false)],
      [pod('shop', 'app-1', 'worker-1', APP), pod('batch', 'job', 'worker-1', WEB)],
    );
    const stored = api.writes.objects(POLICY_REPORT_CRD);
    expect(stored.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([
      'batch/mirrorscope',
      'gone/kyverno-pod-abc',
      'shop/mirrorscope',
    ]);
    const shop = stored.find((o) => o.metadata.namespace === 'shop')!;
    expect(shop).toMatchObject({
      kind: 'PolicyReport',
      metadata: { labels: { 'app.kubernetes.io/managed-by': 'mirrorscope' } },
      summary: { fail: 1, pass: 0 },
      results: [{ policy: 'tls-ca-missing', result: 'fail', resources: [{ kind: 'Pod', name: 'app-1' }] }],
    });
    const [cluster] = api.writes.objects(CLUSTER_POLICY_REPORT_CRD);
    expect(cluster).toMatchObject({
      kind: 'ClusterPolicyReport',
      metadata: { name: 'mirrorscope' },
      results: [
        {
          policy: 'tls-ca-missing',
          result: 'fail',
          resources: [{ kind: 'Node', name: 'worker-1', uid: 'uid-worker-1' }],
        },
      ],
    });
  });

  it('applies a report again only when its results change, and keeps each result timestamp', async () => {
    const path = '/apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports/mirrorscope';
    const before = api.count('PATCH', path);
    const first = api.writes.objects(POLICY_REPORT_CRD).find((o) => o.metadata.namespace === 'shop')!;
    await reconcile(
      [prediction('worker-1', false)],
      [pod('shop', 'app-1', 'worker-1', APP), pod('batch', 'job', 'worker-1', WEB)],
    );
    expect(api.count('PATCH', path)).toBe(before);
    await reconcile(
      [prediction('worker-1', true)],
      [pod('shop', 'app-1', 'worker-1', APP), pod('batch', 'job', 'worker-1', WEB)],
    );
    expect(api.count('PATCH', path)).toBe(before + 1);
    const shop = api.writes.objects(POLICY_REPORT_CRD).find((o) => o.metadata.namespace === 'shop')!;
    expect(shop).toMatchObject({ summary: { fail: 0, pass: 1 }, results: [{ result: 'pass' }] });
    expect(first.metadata.uid).toBe(shop.metadata.uid);
  });

  it('deletes the report of a namespace with nothing left to report', async () => {
    await reconcile([prediction('worker-1', true)], [pod('shop', 'app-1', 'worker-1', APP)]);
    expect(
      api.writes
        .objects(POLICY_REPORT_CRD)
        .map((o) => `${o.metadata.namespace}/${o.metadata.name}`)
        .sort(),
    ).toEqual(['gone/kyverno-pod-abc', 'shop/mirrorscope']);
  });
});

describe('openreports.io, the successor API', () => {
  let api: FakeKubeApi;
  const started: PolicyReports[] = [];
  beforeAll(async () => {
    api = await new FakeKubeApi().start();
  });
  afterAll(async () => {
    for (const r of started) r.stop();
    await api?.stop();
  });

  async function writer(choice?: ReportApiChoice): Promise<PolicyReports> {
    const kube = loadKubeClients(api.writeKubeconfig());
    const reports = new PolicyReports({
      ...policyReportCalls(kube, choice),
      perSecond: 100,
      log: silentLog,
    });
    started.push(reports);
    await reports.start();
    return reports;
  }

  it('where only openreports.io is served, writes Report and ClusterReport with the report-level source', async () => {
    api.writes.serveCrd(REPORT_CRD);
    api.writes.serveCrd(CLUSTER_REPORT_CRD);
    const reports = await writer();
    expect(reports.servedVersion).toBe('openreports.io/v1alpha1');
    await reports.reconcile(
      [prediction('worker-1', false)],
      [pod('shop', 'app-1', 'worker-1', APP)],
      [CA],
      (node) => `uid-${node}`,
    );
    const [shop] = api.writes.objects(REPORT_CRD);
    expect(shop).toMatchObject({
      apiVersion: 'openreports.io/v1alpha1',
      kind: 'Report',
      metadata: { name: 'mirrorscope', namespace: 'shop' },
      source: 'mirrorscope',
      summary: { fail: 1 },
      results: [{ policy: 'tls-ca-missing', result: 'fail', resources: [{ kind: 'Pod', name: 'app-1' }] }],
    });
    expect(api.writes.objects(CLUSTER_REPORT_CRD)).toMatchObject([
      { kind: 'ClusterReport', source: 'mirrorscope', results: [{ resources: [{ name: 'worker-1' }] }] },
    ]);
    reports.stop();
  });

  it('a write RBAC refuses later says which component grants it', async () => {
    const warned: string[] = [];
    const kube = loadKubeClients(api.writeKubeconfig());
    const reports = new PolicyReports({
      ...policyReportCalls(kube),
      perSecond: 100,
      log: { ...silentLog, warn: (m) => warned.push(m) },
    });
    started.push(reports);
    await reports.start();
    expect(reports.servedVersion).toBe('openreports.io/v1alpha1');
    api.writes.forbidden.add('patch openreports.io/reports');
    await reports.reconcile(
      [prediction('worker-1', false)],
      [pod('shop', 'app-2', 'worker-1', APP)],
      [CA],
      (node) => `uid-${node}`,
    );
    api.writes.forbidden.clear();
    expect(warned.join('\n')).toContain('cannot apply the policy report in shop: ');
    expect(warned.join('\n')).toContain(
      '(apply daemonset/components/policy-reports, which grants the mirrorscope-collector-policy-reports ClusterRole, or pass --no-policy-reports)',
    );
  });

  it('where both are served, auto keeps wgpolicyk8s.io (Kyverno, ACM) and the flag picks openreports.io', async () => {
    api.writes.serveCrd(POLICY_REPORT_CRD);
    api.writes.serveCrd(CLUSTER_POLICY_REPORT_CRD);
    expect((await writer()).servedVersion).toBe('wgpolicyk8s.io/v1alpha2');
    expect((await writer('openreports.io')).servedVersion).toBe('openreports.io/v1alpha1');
    api.writes.unserve(REPORT_CRD);
    expect((await writer('openreports.io')).servedVersion).toBeNull();
  });
});

describe('the API not written to', () => {
  let api: FakeKubeApi;
  let reports: PolicyReports | null = null;
  const logged: string[] = [];
  const warned: string[] = [];
  beforeAll(async () => {
    api = await new FakeKubeApi().start();
    for (const crd of [REPORT_CRD, CLUSTER_REPORT_CRD, POLICY_REPORT_CRD, CLUSTER_POLICY_REPORT_CRD])
      api.writes.serveCrd(crd);
  });
  afterAll(async () => {
    reports?.stop();
    await api?.stop();
  });

  const content = { results: [], summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 } };

  it('loses the reports of ours a collector wrote there (after a switch), and nothing of another tool', async () => {
    const kube = loadKubeClients(api.writeKubeconfig());
    // What a collector run with --policy-report-api openreports.io left, beside another tool's reports.
    for (const namespace of ['shop', 'gone', null])
      await applyPolicyReport(kube, 'openreports.io/v1alpha1', namespace, content);
    await kube.custom.createNamespacedCustomObject({
      group: 'openreports.io',
      version: 'v1alpha1',
      namespace: 'shop',
      plural: 'reports',
      body: { apiVersion: 'openreports.io/v1alpha1', kind: 'Report', metadata: { name: 'kyverno-pod-abc' } },
    });
    await kube.custom.createClusterCustomObject({
      group: 'openreports.io',
      version: 'v1alpha1',
      plural: 'clusterreports',
      body: { apiVersion: 'openreports.io/v1alpha1', kind: 'ClusterReport', metadata: { name: 'kyverno' } },
    });
    api.writes.forbidden.add('delete openreports.io/reports');
    reports = new PolicyReports({
      ...policyReportCalls(kube),
      perSecond: 100,
      log: { ...silentLog, info: (m) => logged.push(m), warn: (m) => warned.push(m) },
    });
    await reports.start();
    expect(reports.servedVersion).toBe('wgpolicyk8s.io/v1alpha2');
    expect(logged).toContain(
      'deleting the 3 mirrorscope report(s) in openreports.io/v1alpha1: the collector writes wgpolicyk8s.io/v1alpha2, and a result in both APIs would show twice',
    );
    const names = (crd: typeof REPORT_CRD): string[] =>
      api.writes
        .objects(crd)
        .map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`)
        .sort();
    const reconcile = (): Promise<void> =>
      reports!.reconcile([prediction('worker-1', false)], [pod('shop', 'app-1', 'worker-1', APP)], [CA], uid);

    // RBAC refuses: said with what grants it, and tried again at the next reconcile.
    await reconcile();
    expect(warned.join('\n')).toContain('cannot delete the openreports.io/v1alpha1 report in shop: ');
    expect(warned.join('\n')).toContain('apply daemonset/components/policy-reports');
    expect(names(REPORT_CRD)).toEqual(['gone/mirrorscope', 'shop/kyverno-pod-abc', 'shop/mirrorscope']);
    expect(names(POLICY_REPORT_CRD)).toEqual(['shop/mirrorscope']);

    api.writes.forbidden.clear();
    await reconcile();
    expect(names(REPORT_CRD)).toEqual(['shop/kyverno-pod-abc']);
    expect(names(CLUSTER_REPORT_CRD)).toEqual(['/kyverno']);
    expect(names(POLICY_REPORT_CRD)).toEqual(['shop/mirrorscope']);
    expect(names(CLUSTER_POLICY_REPORT_CRD)).toEqual(['/mirrorscope']);
  });
});
