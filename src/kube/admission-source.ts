// What the collector reads for the Admission section, read-only and only what discovery shows the
// cluster serves: Portieris' ImagePolicies and ClusterImagePolicies, Gatekeeper's ConstraintTemplates
// and every constraint kind they define (with status.violations, Gatekeeper's audit), Namespaces
// (labels, for namespaceSelector) when a constraint uses them, and FailedCreate events. Never Secrets.
import type { CoreV1Event } from '@kubernetes/client-node';
import type { ApiObject } from '../core/mco/parse-objects.js';
import { describeKubeError, kubeStatusCode } from './api-error.js';
import type { KubeClients } from './kube-clients.js';
import { servedResources, type OpenShiftResource } from './openshift-objects.js';

export const PORTIERIS_RESOURCES: readonly OpenShiftResource[] = [
  { group: 'portieris.cloud.ibm.com', version: 'v1', plural: 'imagepolicies', kind: 'ImagePolicy' },
  {
    group: 'portieris.cloud.ibm.com',
    version: 'v1',
    plural: 'clusterimagepolicies',
    kind: 'ClusterImagePolicy',
  },
];
export const TEMPLATE_RESOURCE: OpenShiftResource = {
  group: 'templates.gatekeeper.sh',
  version: 'v1',
  plural: 'constrainttemplates',
  kind: 'ConstraintTemplate',
};
const CONSTRAINTS_GROUP = 'constraints.gatekeeper.sh';
const CONSTRAINTS_VERSION = 'v1beta1';

/** Workload controllers report a refused pod as `FailedCreate` on themselves. */
export const FAILED_CREATE_SELECTOR = 'reason=FailedCreate';

export interface AdmissionApiState {
  readonly portieris: boolean;
  readonly gatekeeper: boolean;
  readonly objects: readonly ApiObject[];
  readonly events: readonly CoreV1Event[];
  /** Lists that failed (RBAC not granted, …): the section says what it could not read. */
  readonly errors: readonly string[];
}

async function listAll(kube: KubeClients, r: OpenShiftResource): Promise<ApiObject[]> {
  const list = (await kube.custom.listClusterCustomObject({
    group: r.group,
    version: r.version,
    plural: r.plural,
  })) as {
    items?: unknown[];
  };
  return (list.items ?? []).map((object) => {
    const meta = (object as { metadata?: { name?: string; namespace?: string } }).metadata;
    return {
      object,
      label: `${r.plural}/${meta?.namespace === undefined ? '' : `${meta.namespace}/`}${meta?.name ?? '?'}`,
      kind: r.kind,
      apiVersion: `${r.group}/${r.version}`,
    };
  });
}

/** One pass over everything the section needs; a failing list is recorded, the others still count. */
export async function readAdmissionState(kube: KubeClients): Promise<AdmissionApiState> {
  const errors: string[] = [];
  const attempt = async <T>(what: string, f: () => Promise<T>, empty: T): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      errors.push(
        `${what}: ${kubeStatusCode(err) === 403 ? 'forbidden (grant the admission read-only role)' : describeKubeError(err)}`,
      );
      return empty;
    }
  };
  const served = await servedResources(kube, [...PORTIERIS_RESOURCES, TEMPLATE_RESOURCE]);
  const portieris = PORTIERIS_RESOURCES.some((r) => served.includes(r));
  const gatekeeper = served.includes(TEMPLATE_RESOURCE);
  const objects: ApiObject[] = [];
  for (const r of served) objects.push(...(await attempt(r.plural, () => listAll(kube, r), [])));
  if (gatekeeper) {
    const kinds = objects
      .filter((o) => o.kind === 'ConstraintTemplate')
      .map(
        (o) =>
          (o.object as { spec?: { crd?: { spec?: { names?: { kind?: string } } } } }).spec?.crd?.spec?.names
            ?.kind,
      )
      .filter((k): k is string => typeof k === 'string' && k !== '');
    // Gatekeeper names each constraint CRD after the lower-cased kind.
    for (const kind of new Set(kinds)) {
      const r = { group: CONSTRAINTS_GROUP, version: CONSTRAINTS_VERSION, plural: kind.toLowerCase(), kind };
      objects.push(...(await attempt(`${r.plural}.${r.group}`, () => listAll(kube, r), [])));
    }
    const needsNamespaces = objects.some(
      (o) =>
        o.apiVersion.startsWith(`${CONSTRAINTS_GROUP}/`) &&
        (o.object as { spec?: { match?: { namespaceSelector?: unknown } } }).spec?.match?.namespaceSelector !=
          null,
    );
    if (needsNamespaces) {
      const namespaces = await attempt('namespaces', () => kube.core.listNamespace({}), { items: [] });
      for (const ns of namespaces.items)
        objects.push({
          object: ns,
          label: `namespaces/${ns.metadata?.name ?? '?'}`,
          kind: 'Namespace',
          apiVersion: 'v1',
        });
    }
  }
  const events =
    portieris || gatekeeper
      ? (
          await attempt(
            'events',
            () => kube.core.listEventForAllNamespaces({ fieldSelector: FAILED_CREATE_SELECTOR }),
            { items: [] },
          )
        ).items
      : [];
  return { portieris, gatekeeper, objects, events, errors };
}
