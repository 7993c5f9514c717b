// The report objects the collector owns, in whichever report API the cluster serves: wgpolicyk8s.io
// PolicyReport/ClusterPolicyReport (Kyverno's default, Policy Reporter, ACM) or their successor
// openreports.io Report/ClusterReport (Kyverno with openreports enabled, Policy Reporter 3). Found by
// discovery (written only where the CRDs are installed), server-side applied whole under the field
// manager mirrorscope, listed by their label, deleted when their namespace has nothing left to say or
// when they are in the API the collector no longer writes.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { REPORT_NAME, REPORT_SOURCE, type ReportContent } from '../core/kube-writes/policy-reports.js';
import { MANAGED_BY } from './event-writes.js';
import type { KubeClients } from './kube-clients.js';
import { FIELD_MANAGER } from './node-status-apply.js';
import { apiVersionOf, servedResources, type OpenShiftResource } from './openshift-objects.js';

interface ReportKind {
  readonly plural: string;
  readonly kind: string;
}

interface ReportApi {
  readonly group: 'wgpolicyk8s.io' | 'openreports.io';
  readonly version: string;
  readonly namespaced: ReportKind;
  readonly cluster: ReportKind;
}

const WGPOLICY_KINDS = {
  namespaced: { plural: 'policyreports', kind: 'PolicyReport' },
  cluster: { plural: 'clusterpolicyreports', kind: 'ClusterPolicyReport' },
};

/** In order of preference: v1alpha2 is the version Kyverno writes and Policy Reporter and ACM read. */
const REPORT_APIS: readonly ReportApi[] = [
  { group: 'wgpolicyk8s.io', version: 'v1alpha2', ...WGPOLICY_KINDS },
  { group: 'wgpolicyk8s.io', version: 'v1beta1', ...WGPOLICY_KINDS },
  {
    group: 'openreports.io',
    version: 'v1alpha1',
    namespaced: { plural: 'reports', kind: 'Report' },
    cluster: { plural: 'clusterreports', kind: 'ClusterReport' },
  },
];

/** Which report API to write: `auto` takes wgpolicyk8s.io where served, else openreports.io. */
export type ReportApiChoice = 'auto' | ReportApi['group'];
export const REPORT_API_CHOICES: readonly ReportApiChoice[] = ['auto', 'wgpolicyk8s.io', 'openreports.io'];

export function isReportApiChoice(value: string): value is ReportApiChoice {
  return (REPORT_API_CHOICES as readonly string[]).includes(value);
}

function reportApi(apiVersion: string): ReportApi {
  const api = REPORT_APIS.find((a) => apiVersionOf(a) === apiVersion);
  if (api === undefined) throw new Error(`not a report API mirrorscope writes: ${apiVersion}`);
  return api;
}

function resources(api: ReportApi): OpenShiftResource[] {
  return [api.namespaced, api.cluster].map((k) => ({ group: api.group, version: api.version, ...k }));
}

export interface PolicyReportApi {
  /** `group/version`, e.g. wgpolicyk8s.io/v1alpha2. */
  readonly version: string;
  /** RBAC lets the collector apply both kinds (the optional policy-reports component grants it). */
  readonly writable: boolean;
  /** The other report API, where it is served too (`group/version`): reports of ours there are stale. */
  readonly others: readonly string[];
}

async function mayPatch(kube: KubeClients, group: string, resource: string): Promise<boolean> {
  const review = await kube.authorization.createSelfSubjectAccessReview({
    body: { spec: { resourceAttributes: { group, resource, verb: 'patch' } } },
  });
  return review.status?.allowed === true;
}

/** The report API serving both kinds and whether the collector may write them; null without the CRDs. */
export async function discoverPolicyReports(
  kube: KubeClients,
  choice: ReportApiChoice = 'auto',
): Promise<PolicyReportApi | null> {
  const served = await servedResources(kube, REPORT_APIS.flatMap(resources));
  const servesBoth = (a: ReportApi): boolean =>
    served.filter((r) => r.group === a.group && r.version === a.version).length === 2;
  const api = REPORT_APIS.find((a) => (choice === 'auto' || a.group === choice) && servesBoth(a));
  if (api === undefined) return null;
  const writable =
    (await mayPatch(kube, api.group, api.namespaced.plural)) &&
    (await mayPatch(kube, api.group, api.cluster.plural));
  // One version per other group: the API server serves the same objects under each of its versions.
  const others = REPORT_APIS.filter((a) => a.group !== api.group && servesBoth(a))
    .filter((a, i, all) => all.findIndex((b) => b.group === a.group) === i)
    .map(apiVersionOf);
  return { version: apiVersionOf(api), writable, others };
}

/** Applies the namespace's report (namespace null: the cluster-scoped one). */
export async function applyPolicyReport(
  kube: KubeClients,
  apiVersion: string,
  namespace: string | null,
  content: ReportContent,
): Promise<void> {
  const api = reportApi(apiVersion);
  const kind = namespace === null ? api.cluster : api.namespaced;
  const body = {
    apiVersion,
    kind: kind.kind,
    metadata: { name: REPORT_NAME, ...(namespace === null ? {} : { namespace }), labels: { ...MANAGED_BY } },
    // openreports.io names the producer once for the report; wgpolicyk8s.io only per result.
    ...(api.group === 'openreports.io' ? { source: REPORT_SOURCE } : {}),
    summary: content.summary,
    results: content.results,
  };
  const options = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  const common = {
    group: api.group,
    version: api.version,
    plural: kind.plural,
    name: REPORT_NAME,
    body,
    fieldManager: FIELD_MANAGER,
    force: true,
  };
  if (namespace === null) await kube.custom.patchClusterCustomObject(common, options);
  else await kube.custom.patchNamespacedCustomObject({ ...common, namespace }, options);
}

type ListedReports = { items?: { metadata?: { name?: string; namespace?: string } }[] };

/** Reports of ours (by label; then by name, so a same-labelled one of another name is not ours). */
async function listOwn(kube: KubeClients, api: ReportApi, scope: 'namespaced' | 'cluster') {
  const request = {
    group: api.group,
    version: api.version,
    plural: api[scope].plural,
    labelSelector: 'app.kubernetes.io/managed-by=mirrorscope',
  };
  const list = (await (scope === 'namespaced'
    ? kube.custom.listCustomObjectForAllNamespaces(request)
    : kube.custom.listClusterCustomObject(request))) as ListedReports;
  return (list.items ?? []).filter((o) => o.metadata?.name === REPORT_NAME);
}

/** The namespaces holding a report of ours. */
export async function ownPolicyReportNamespaces(kube: KubeClients, apiVersion: string): Promise<string[]> {
  const own = await listOwn(kube, reportApi(apiVersion), 'namespaced');
  return own.flatMap((o) => (o.metadata?.namespace === undefined ? [] : [o.metadata.namespace]));
}

/** Whether the cluster-scoped report of ours exists (by its label: a same-named one of another tool is not ours). */
export async function ownClusterPolicyReport(kube: KubeClients, apiVersion: string): Promise<boolean> {
  return (await listOwn(kube, reportApi(apiVersion), 'cluster')).length > 0;
}

/** Deletes the namespace's report (namespace null: the cluster-scoped one). */
export async function deletePolicyReport(
  kube: KubeClients,
  apiVersion: string,
  namespace: string | null,
): Promise<void> {
  const api = reportApi(apiVersion);
  const common = { group: api.group, version: api.version, name: REPORT_NAME };
  if (namespace === null)
    await kube.custom.deleteClusterCustomObject({ ...common, plural: api.cluster.plural });
  else
    await kube.custom.deleteNamespacedCustomObject({ ...common, namespace, plural: api.namespaced.plural });
}

/** The calls the policy report writer makes, against this cluster. */
export function policyReportCalls(kube: KubeClients, choice: ReportApiChoice = 'auto') {
  return {
    discover: () => discoverPolicyReports(kube, choice),
    apply: (version: string, namespace: string | null, content: ReportContent) =>
      applyPolicyReport(kube, version, namespace, content),
    existing: (version: string) => ownPolicyReportNamespaces(kube, version),
    existingCluster: (version: string) => ownClusterPolicyReport(kube, version),
    remove: (version: string, namespace: string | null) => deletePolicyReport(kube, version, namespace),
  };
}
