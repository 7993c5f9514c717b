// The agents' answers for each node group folded into one list of changes: one entry per image and
// verdict, with every node, pool, pod and namespace it concerns.
import { judge } from './classify.js';
import type { NodeGroup } from './cluster-plan.js';
import type { PullSide, WhatIfChange } from './types.js';

/** Pod names listed per change; the count is always whole. */
export const MAX_POD_NAMES = 50;

export interface TracedImage {
  readonly before: PullSide;
  readonly after: PullSide;
}

/**
 * The key of a traced answer: per image, and per pod namespace when namespaces can pull differently
 * (CRI-O's per-namespace signature policies); `null`: for every namespace.
 */
export function tracedKey(image: string, namespace: string | null): string {
  return namespace === null ? image : `${image}\u0000${namespace}`;
}

export interface GroupAnswers {
  readonly group: NodeGroup;
  /** By tracedKey, what the group's agent answered; an image missing here was not traced. */
  readonly traced: ReadonlyMap<string, TracedImage>;
  /** Why changed images are missing from `traced` (no agent, a bound, an error). */
  readonly untracedReason: string;
}

export interface NodeUse {
  readonly pool: string | null;
  /** Image → `namespace/name` of the pods that use it on the node. */
  readonly pods: ReadonlyMap<string, readonly string[]>;
  /** The node's agent's latest answer for the image (its scan), null when it has none. */
  status(image: string): PullSide | null;
}

interface Acc {
  image: string;
  before: PullSide;
  after: PullSide;
  nodes: Set<string>;
  pools: Set<string>;
  pods: Set<string>;
}

const UNTRACED_SAME: PullSide = {
  outcome: 'unknown',
  source: null,
  digest: null,
  reason: 'its sources do not change, and no agent has reported on it',
};

export function clusterChanges(
  answers: readonly GroupAnswers[],
  nodes: ReadonlyMap<string, NodeUse>,
): WhatIfChange[] {
  const acc = new Map<string, Acc>();
  const add = (
    image: string,
    node: string,
    before: PullSide,
    after: PullSide,
    pods: readonly string[] = nodes.get(node)?.pods.get(image) ?? [],
  ): void => {
    const key = JSON.stringify([image, before, after]);
    let a = acc.get(key);
    if (a === undefined)
      acc.set(key, (a = { image, before, after, nodes: new Set(), pools: new Set(), pods: new Set() }));
    const use = nodes.get(node);
    a.nodes.add(node);
    if (use?.pool) a.pools.add(use.pool);
    for (const p of pods) a.pods.add(p);
  };
  for (const { group, traced, untracedReason } of answers) {
    for (const node of group.nodes) {
      const use = nodes.get(node);
      for (const image of group.changed) {
        if (use !== undefined && !use.pods.has(image)) continue;
        const byNamespace = new Map<string | null, string[]>();
        for (const pod of use?.pods.get(image) ?? []) {
          const ns = pod.slice(0, pod.indexOf('/'));
          byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), pod]);
        }
        if (byNamespace.size === 0) byNamespace.set(null, []);
        const answers = [...byNamespace].map(([ns, pods]) => ({
          pods,
          t: traced.get(tracedKey(image, ns)) ?? traced.get(tracedKey(image, null)),
        }));
        if (answers.every((x) => x.t !== undefined))
          for (const { pods, t } of answers) add(image, node, t!.before, t!.after, pods);
        else {
          const before = use?.status(image) ?? { ...UNTRACED_SAME, reason: untracedReason };
          add(image, node, before, {
            outcome: 'unknown',
            source: null,
            digest: null,
            reason: untracedReason,
          });
        }
      }
      for (const image of group.same) {
        if (use !== undefined && !use.pods.has(image)) continue;
        const now = use?.status(image) ?? UNTRACED_SAME;
        add(image, node, now, now);
      }
    }
  }
  return [...acc.values()].map((a) => {
    const pods = [...a.pods].sort();
    return judge({
      image: a.image,
      before: a.before,
      after: a.after,
      pods: pods.length,
      podNames: pods.slice(0, MAX_POD_NAMES),
      namespaces: [...new Set(pods.map((p) => p.slice(0, p.indexOf('/'))))],
      nodes: [...a.nodes],
      pools: [...a.pools],
    });
  });
}
