// Every image each node's pods use, init and ephemeral containers included (they are pulled too).
import type { V1Node, V1Pod } from '@kubernetes/client-node';

/** Pods that will never start a container again do not make their node pull anything. */
const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

export function imagesByNode(pods: readonly V1Pod[]): Map<string, string[]> {
  const sets = new Map<string, Set<string>>();
  for (const pod of pods) {
    const node = pod.spec?.nodeName;
    if (node === undefined || node === '' || TERMINAL_PHASES.has(pod.status?.phase ?? '')) continue;
    let set = sets.get(node);
    if (set === undefined) sets.set(node, (set = new Set()));
    for (const c of pod.spec?.containers ?? []) if (c.image) set.add(c.image);
    for (const c of pod.spec?.initContainers ?? []) if (c.image) set.add(c.image);
    for (const c of pod.spec?.ephemeralContainers ?? []) if (c.image) set.add(c.image);
  }
  return new Map([...sets].map(([node, set]) => [node, [...set].sort()]));
}

/** Per node, how many live pods use each image (the impact order of the report's causes). */
export function podCountsByNode(pods: readonly V1Pod[]): Map<string, Map<string, number>> {
  const counts = new Map<string, Map<string, number>>();
  for (const pod of pods) {
    const node = pod.spec?.nodeName;
    if (node === undefined || node === '' || TERMINAL_PHASES.has(pod.status?.phase ?? '')) continue;
    let perImage = counts.get(node);
    if (perImage === undefined) counts.set(node, (perImage = new Map()));
    const images = new Set<string>();
    for (const list of [pod.spec?.containers, pod.spec?.initContainers, pod.spec?.ephemeralContainers])
      for (const c of list ?? []) if (c.image) images.add(c.image);
    for (const image of images) perImage.set(image, (perImage.get(image) ?? 0) + 1);
  }
  return counts;
}

const CONTROL_PLANE_LABELS = ['node-role.kubernetes.io/master', 'node-role.kubernetes.io/control-plane'];

/**
 * The release an upgrade is set to (ClusterVersion spec.desiredUpdate) is pulled by the
 * cluster-version-operator on a control-plane node before anything else: checking it there ahead of
 * time says whether its mirror serves it, signature included (release-signature-missing-on-mirror).
 */
export function withUpgradeImage(
  byNode: Map<string, string[]>,
  nodes: readonly V1Node[],
  image: string | null,
): Map<string, string[]> {
  if (image === null) return byNode;
  for (const node of nodes) {
    const name = node.metadata?.name;
    const labels = node.metadata?.labels ?? {};
    if (name === undefined || !CONTROL_PLANE_LABELS.some((l) => l in labels)) continue;
    const images = byNode.get(name) ?? [];
    if (!images.includes(image)) byNode.set(name, [...images, image].sort());
  }
  return byNode;
}

/** What one node's agent was last told: its images and the runtime version its Node reports. */
export interface NodeImageSet {
  readonly generation: number;
  readonly images: readonly string[];
  readonly runtimeVersion: string | null;
}

/** Tracks what each node's agent was last told, and bumps the generation on every change. */
export class ImageSets {
  private readonly sets = new Map<string, { generation: number; images: readonly string[] }>();
  private readonly runtimes = new Map<string, string>();
  private generation = 0;

  /** Replaces every node's set; returns the nodes whose set changed. */
  update(next: Map<string, string[]>): string[] {
    const changed: string[] = [];
    for (const [node, images] of next) {
      const prev = this.sets.get(node);
      if (
        prev !== undefined &&
        prev.images.length === images.length &&
        prev.images.every((x, i) => x === images[i])
      )
        continue;
      this.sets.set(node, { generation: ++this.generation, images });
      changed.push(node);
    }
    for (const node of [...this.sets.keys()])
      if (!next.has(node)) {
        this.sets.delete(node);
        this.generation++;
        changed.push(node);
      }
    return changed;
  }

  /** Replaces every node's `containerRuntimeVersion`; returns the nodes whose version changed. */
  updateRuntimes(next: ReadonlyMap<string, string>): string[] {
    const changed: string[] = [];
    for (const [node, version] of next) {
      if (this.runtimes.get(node) === version) continue;
      this.runtimes.set(node, version);
      changed.push(node);
    }
    for (const node of [...this.runtimes.keys()])
      if (!next.has(node)) {
        this.runtimes.delete(node);
        changed.push(node);
      }
    // The agent ignores an images message whose generation it has seen: a new version is a new generation.
    for (const node of changed) {
      const set = this.sets.get(node);
      if (set !== undefined) set.generation = ++this.generation;
      else this.generation++;
    }
    return changed;
  }

  get(node: string): NodeImageSet {
    const set = this.sets.get(node);
    return {
      generation: set?.generation ?? this.generation,
      images: set?.images ?? [],
      runtimeVersion: this.runtimes.get(node) ?? null,
    };
  }
}

/** Every Node's `status.nodeInfo.containerRuntimeVersion` (nodes that report none are left out). */
export function runtimeVersionsByNode(nodes: readonly V1Node[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of nodes) {
    const name = n.metadata?.name;
    const version = n.status?.nodeInfo?.containerRuntimeVersion;
    if (name !== undefined && version !== undefined && version !== '') out.set(name, version);
  }
  return out;
}
