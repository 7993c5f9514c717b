// Standalone mode without a collector (`--images-from-kube`): the images of every pod scheduled on
// this node, init and ephemeral containers included. The Kubernetes client is heavy (~73 MiB RSS,
// ~300 ms to load), so it is imported here, lazily, and only when this mode is asked for.
export interface PodLike {
  readonly spec?: {
    readonly containers?: readonly { readonly image?: string }[];
    readonly initContainers?: readonly { readonly image?: string }[];
    readonly ephemeralContainers?: readonly { readonly image?: string }[];
  };
}

export function imagesOfPods(pods: readonly PodLike[]): string[] {
  const images = new Set<string>();
  for (const pod of pods) {
    for (const list of [pod.spec?.containers, pod.spec?.initContainers, pod.spec?.ephemeralContainers]) {
      for (const c of list ?? []) if (c.image) images.add(c.image);
    }
  }
  return [...images].sort();
}

export async function listNodeImages(node: string): Promise<string[]> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  const api = kc.makeApiClient(k8s.CoreV1Api);
  const pods: PodLike[] = [];
  let next: string | undefined;
  do {
    const page = await api.listPodForAllNamespaces({
      fieldSelector: `spec.nodeName=${node}`,
      limit: 500,
      ...(next ? { _continue: next } : {}),
    });
    pods.push(...page.items);
    next = page.metadata?._continue || undefined;
  } while (next);
  return imagesOfPods(pods);
}
