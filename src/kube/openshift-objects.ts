// The OpenShift objects the collector watches to compare cluster intent with node reality: the mirror
// objects the MCO renders, the cluster singletons it reads, and the MachineConfigPools. MachineConfigs
// themselves are fetched by name (machine-configs.ts): watching them all would cache every rendered
// config a cluster ever had, each a whole node's files.
import { makeInformer, type KubernetesObject } from '@kubernetes/client-node';
import { describeKubeError } from './api-error.js';
import type { KubeClients } from './kube-clients.js';
import { SupervisedInformer } from './supervised-informer.js';
import type { InformerHooks } from './watched-objects.js';

export interface OpenShiftResource {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
}

export const MIRROR_RESOURCES = {
  icsp: {
    group: 'operator.openshift.io',
    version: 'v1alpha1',
    plural: 'imagecontentsourcepolicies',
    kind: 'ImageContentSourcePolicy',
  },
  idms: {
    group: 'config.openshift.io',
    version: 'v1',
    plural: 'imagedigestmirrorsets',
    kind: 'ImageDigestMirrorSet',
  },
  itms: {
    group: 'config.openshift.io',
    version: 'v1',
    plural: 'imagetagmirrorsets',
    kind: 'ImageTagMirrorSet',
  },
  image: { group: 'config.openshift.io', version: 'v1', plural: 'images', kind: 'Image' },
  // Signature policies: v1 from 4.20, v1alpha1 in 4.16–4.21 (the same objects where both are served).
  clusterImagePolicies: {
    group: 'config.openshift.io',
    version: 'v1',
    plural: 'clusterimagepolicies',
    kind: 'ClusterImagePolicy',
  },
  clusterImagePoliciesAlpha: {
    group: 'config.openshift.io',
    version: 'v1alpha1',
    plural: 'clusterimagepolicies',
    kind: 'ClusterImagePolicy',
  },
  imagePolicies: {
    group: 'config.openshift.io',
    version: 'v1',
    plural: 'imagepolicies',
    kind: 'ImagePolicy',
  },
  imagePoliciesAlpha: {
    group: 'config.openshift.io',
    version: 'v1alpha1',
    plural: 'imagepolicies',
    kind: 'ImagePolicy',
  },
  clusterVersion: {
    group: 'config.openshift.io',
    version: 'v1',
    plural: 'clusterversions',
    kind: 'ClusterVersion',
  },
} as const satisfies Record<string, OpenShiftResource>;

export const POOL_RESOURCE: OpenShiftResource = {
  group: 'machineconfiguration.openshift.io',
  version: 'v1',
  plural: 'machineconfigpools',
  kind: 'MachineConfigPool',
};

export const MACHINE_CONFIG_RESOURCE: OpenShiftResource = {
  group: 'machineconfiguration.openshift.io',
  version: 'v1',
  plural: 'machineconfigs',
  kind: 'MachineConfig',
};

export function apiVersionOf(r: Pick<OpenShiftResource, 'group' | 'version'>): string {
  return `${r.group}/${r.version}`;
}

/**
 * Which of the resources the API server serves (a plain Kubernetes serves none; an OpenShift before
 * 4.13 has no IDMS/ITMS). Discovery failures are errors, never "not OpenShift".
 */
export async function servedResources(
  kube: KubeClients,
  resources: readonly OpenShiftResource[],
): Promise<OpenShiftResource[]> {
  const groups = await kube.apis.getAPIVersions();
  const versions = new Set(groups.groups.flatMap((g) => g.versions.map((v) => v.groupVersion)));
  const served: OpenShiftResource[] = [];
  for (const groupVersion of new Set(
    resources.filter((r) => versions.has(apiVersionOf(r))).map(apiVersionOf),
  )) {
    const [group, version] = groupVersion.split('/') as [string, string];
    const list = (await kube.custom.getAPIResources({ group, version })) as {
      resources?: { name?: string }[];
    };
    const names = new Set((list.resources ?? []).map((r) => r.name));
    served.push(...resources.filter((r) => apiVersionOf(r) === groupVersion && names.has(r.plural)));
  }
  // One version of a resource is enough: the API server serves the same objects under each.
  return served.filter(
    (r) => !served.some((o) => o !== r && o.group === r.group && o.plural === r.plural && o.version === 'v1'),
  );
}

export function openShiftInformer(
  kube: KubeClients,
  resource: OpenShiftResource,
  hooks: InformerHooks,
  onChange: () => void,
): SupervisedInformer<KubernetesObject> {
  const { group, version, plural } = resource;
  return new SupervisedInformer<KubernetesObject>({
    ...hooks,
    name: plural,
    onChange,
    create: () =>
      makeInformer<KubernetesObject>(kube.config, `/apis/${group}/${version}/${plural}`, () =>
        kube.custom.listClusterCustomObject({ group, version, plural }),
      ),
  });
}

/** One MachineConfig by name; null when it does not exist. Other failures throw. */
export async function getMachineConfig(kube: KubeClients, name: string): Promise<unknown> {
  const { group, version, plural } = MACHINE_CONFIG_RESOURCE;
  try {
    return (await kube.custom.getClusterCustomObject({ group, version, plural, name })) as unknown;
  } catch (err) {
    if ((err as { code?: unknown }).code === 404) return null;
    throw new Error(`MachineConfig ${name}: ${describeKubeError(err)}`, { cause: err });
  }
}
