// Portieris and Gatekeeper objects served by the fake API server, as their CRDs define them.
import type { FakeKubeApi, Obj } from './fake-kube-api.js';

export function servePortieris(api: FakeKubeApi, policies: { namespaced: Obj[]; cluster: Obj[] }): void {
  const group = { group: 'portieris.cloud.ibm.com', version: 'v1' };
  api.serveCustom(
    { ...group, plural: 'imagepolicies', kind: 'ImagePolicy', namespaced: true },
    policies.namespaced,
  );
  api.serveCustom(
    { ...group, plural: 'clusterimagepolicies', kind: 'ClusterImagePolicy', namespaced: false },
    policies.cluster,
  );
}

/** The K8sAllowedRepos template (its name and kind: the collector lists constraints by them) and constraints. */
export function serveAllowedRepos(api: FakeKubeApi, constraints: Obj[]): void {
  api.serveCustom(
    {
      group: 'templates.gatekeeper.sh',
      version: 'v1',
      plural: 'constrainttemplates',
      kind: 'ConstraintTemplate',
      namespaced: false,
    },
    [
      {
        metadata: { name: 'k8sallowedrepos' },
        spec: { crd: { spec: { names: { kind: 'K8sAllowedRepos' } } } },
      },
    ],
  );
  api.serveCustom(
    {
      group: 'constraints.gatekeeper.sh',
      version: 'v1beta1',
      plural: 'k8sallowedrepos',
      kind: 'K8sAllowedRepos',
      namespaced: false,
    },
    constraints,
  );
}

/** Gatekeeper's audit entry for a Pod whose container uses an image outside `harbor.example.com/`. */
export function harborViolation(pod: {
  namespace: string;
  name: string;
  container: string;
  image: string;
}): Obj {
  return {
    metadata: { name: '' },
    enforcementAction: 'deny',
    kind: 'Pod',
    name: pod.name,
    namespace: pod.namespace,
    message: `container <${pod.container}> has an invalid image repo <${pod.image}>, allowed repos are ["harbor.example.com/"]`,
  };
}
