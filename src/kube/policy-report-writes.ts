// The wgpolicyk8s.io PolicyReport and ClusterPolicyReport objects the collector owns: found by
// discovery (written only where the CRDs are installed), server-side applied whole under the field
// manager mirrorscope, listed by their label, deleted when their namespace has nothing left to say.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { REPORT_NAME, type ReportContent } from '../core/kube-writes/policy-reports.js';
import { MANAGED_BY } from './event-writes.js';
import type { KubeClients } from './kube-clients.js';
import { FIELD_MANAGER } from './node-status-apply.js';
import { servedResources, type OpenShiftResource } from './openshift-objects.js';

const GROUP = 'wgpolicyk8s.io';
/** v1alpha2 first: the version Kyverno writes and Policy Reporter and ACM read. */
const VERSIONS = ['v1alpha2', 'v1beta1'] as const;

function resources(version: string): OpenShiftResource[] {
  return [
    { group: GROUP, version, plural: 'policyreports', kind: 'PolicyReport' },
    { group: GROUP, version, plural: 'clusterpolicyreports', kind: 'ClusterPolicyReport' },
  ];
}

export interface PolicyReportApi {
  readonly version: string;
  /** RBAC lets the collector apply both kinds (the optional policy-reports component grants it). */
  readonly writable: boolean;
}

async function mayPatch(kube: KubeClients, resource: string): Promise<boolean> {
  const review = await kube.authorization.createSelfSubjectAccessReview({
    body: { spec: { resourceAttributes: { group: GROUP, resource, verb: 'patch' } } },
  });
  return review.status?.allowed === true;
}

/** The version serving both report kinds and whether the collector may write them; null without the CRDs. */
export async function discoverPolicyReports(kube: KubeClients): Promise<PolicyReportApi | null> {
  const served = await servedResources(kube, VERSIONS.flatMap(resources));
  const version = VERSIONS.find((v) => served.filter((r) => r.version === v).length === 2);
  if (version === undefined) return null;
  const writable = (await mayPatch(kube, 'policyreports')) && (await mayPatch(kube, 'clusterpolicyreports'));
  return { version, writable };
}

/** Applies the namespace's PolicyReport (namespace null: the ClusterPolicyReport). */
export async function applyPolicyReport(
  kube: KubeClients,
  version: string,
  namespace: string | null,
  content: ReportContent,
): Promise<void> {
  const body = {
    apiVersion: `${GROUP}/${version}`,
    kind: namespace === null ? 'ClusterPolicyReport' : 'PolicyReport',
    metadata: { name: REPORT_NAME, ...(namespace === null ? {} : { namespace }), labels: { ...MANAGED_BY } },
    summary: content.summary,
    results: content.results,
  };
  const options = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  const common = { group: GROUP, version, name: REPORT_NAME, body, fieldManager: FIELD_MANAGER, force: true };
  if (namespace === null)
    await kube.custom.patchClusterCustomObject({ ...common, plural: 'clusterpolicyreports' }, options);
  else
    await kube.custom.patchNamespacedCustomObject({ ...common, namespace, plural: 'policyreports' }, options);
}

/** The namespaces holding a PolicyReport of ours. */
export async function ownPolicyReportNamespaces(kube: KubeClients, version: string): Promise<string[]> {
  const list = (await kube.custom.listCustomObjectForAllNamespaces({
    group: GROUP,
    version,
    plural: 'policyreports',
    labelSelector: 'app.kubernetes.io/managed-by=mirrorscope',
  })) as { items?: { metadata?: { name?: string; namespace?: string } }[] };
  return (list.items ?? [])
    .filter((o) => o.metadata?.name === REPORT_NAME && o.metadata.namespace !== undefined)
    .map((o) => o.metadata!.namespace!);
}

export async function deletePolicyReport(
  kube: KubeClients,
  version: string,
  namespace: string,
): Promise<void> {
  await kube.custom.deleteNamespacedCustomObject({
    group: GROUP,
    version,
    namespace,
    plural: 'policyreports',
    name: REPORT_NAME,
  });
}
