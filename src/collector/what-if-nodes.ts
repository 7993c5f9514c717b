// The nodes a what-if judges: every node the collector knows, with its pool, the pods on it per
// image (`namespace/name`), and its agent's latest answer per image. Without pods (no Kubernetes
// API), the images are those the agents check.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { ImageStatus } from '../protocol/messages.js';

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

export interface WhatIfNode {
  readonly pool: string | null;
  readonly pods: ReadonlyMap<string, readonly string[]>;
  readonly images: readonly ImageStatus[];
  /** The agent's hash of the node's files; null without an agent. */
  readonly configHash: string | null;
}

export function whatIfNodes(input: {
  readonly nodes: readonly V1Node[];
  readonly poolOf: (node: V1Node) => string | null;
  readonly nodePools?: ReadonlyMap<string, string>;
  readonly agentNodes: Iterable<string>;
  readonly agentImages: (node: string) => readonly ImageStatus[];
  readonly agentConfigHash: (node: string) => string | null;
  /** null: no Kubernetes API. */
  readonly pods: readonly V1Pod[] | null;
}): Map<string, WhatIfNode> {
  const pools = new Map<string, string | null>();
  for (const n of input.nodes) if (n.metadata?.name) pools.set(n.metadata.name, input.poolOf(n));
  for (const [name, pool] of input.nodePools ?? []) if (!pools.has(name)) pools.set(name, pool);
  for (const name of input.agentNodes) if (!pools.has(name)) pools.set(name, null);
  const podsByNode = new Map<string, Map<string, string[]>>();
  for (const pod of input.pods ?? []) {
    const node = pod.spec?.nodeName;
    if (!node || TERMINAL_PHASES.has(pod.status?.phase ?? '')) continue;
    let perImage = podsByNode.get(node);
    if (perImage === undefined) podsByNode.set(node, (perImage = new Map()));
    const name = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
    const images = new Set<string>();
    for (const list of [pod.spec?.containers, pod.spec?.initContainers, pod.spec?.ephemeralContainers])
      for (const c of list ?? []) if (c.image) images.add(c.image);
    for (const image of images) {
      const list = perImage.get(image);
      if (list === undefined) perImage.set(image, [name]);
      else list.push(name);
    }
  }
  const out = new Map<string, WhatIfNode>();
  for (const [name, pool] of pools) {
    const images = input.agentImages(name);
    const pods =
      input.pods === null
        ? new Map(images.map((s) => [s.image, [] as string[]]))
        : (podsByNode.get(name) ?? new Map<string, string[]>());
    out.set(name, { pool, pods, images, configHash: input.agentConfigHash(name) });
  }
  return out;
}
