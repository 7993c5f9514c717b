// What the report is built from, gathered from the collector's state: the node list (every Node
// object with its pool and CRI-O version, the nodes named without a Kubernetes API, the nodes only
// an agent speaks for), the agents' findings, pull events, cluster intent and admission.
import type { V1Node } from '@kubernetes/client-node';
import type { ClusterInput, NodeInput } from '../core/report/types.js';
import { pullSourcesByImage } from './admission-inputs.js';
import type { ClusterWatch } from './cluster-watch.js';
import { poolOf as poolByRoleLabels } from './node-pools.js';
import type { NodeStore } from './node-store.js';
import { podCountsByNode } from './pod-images.js';

export interface NodeSources {
  readonly nodes: readonly V1Node[];
  /** The pool of a Node object (the MCO's rule, or role labels until pools are known). */
  readonly poolOf: (node: V1Node) => string | null;
  /** Without the Kubernetes API: node → pool of the nodes that exist. */
  readonly nodePools: ReadonlyMap<string, string> | undefined;
  readonly store: NodeStore;
}

export function nodeInputs({ nodes, poolOf, nodePools, store }: NodeSources): NodeInput[] {
  const out: NodeInput[] = [];
  const seen = new Set<string>();
  for (const n of nodes) {
    const name = n.metadata?.name;
    if (name === undefined) continue;
    seen.add(name);
    out.push({
      name,
      pool: poolOf(n),
      registered: true,
      agent: store.get(name) ?? null,
      runtimeVersion: n.status?.nodeInfo?.containerRuntimeVersion ?? null,
    });
  }
  for (const [name, pool] of nodePools ?? [])
    if (!seen.has(name)) {
      seen.add(name);
      out.push({ name, pool, registered: true, agent: store.get(name) ?? null });
    }
  for (const name of store.names())
    if (!seen.has(name))
      out.push({ name, pool: null, registered: false, agent: store.get(name)!, runtimeVersion: null });
  // By name: every per-node list the report builds is then sorted, and merges of them stay linear.
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export interface ReportSources {
  readonly store: NodeStore;
  readonly cluster: ClusterWatch;
  readonly nodePools: ReadonlyMap<string, string> | undefined;
  readonly silentAfterMs: number;
}

export function clusterInput(
  { store, cluster, nodePools, silentAfterMs }: ReportSources,
  nowMs: number,
): ClusterInput {
  // Role labels until (or unless) MachineConfigPools are listed: poolAssigner falls back to them.
  const nodes = nodeInputs({
    nodes: cluster.nodes(),
    poolOf: cluster.intent?.poolAssigner() ?? poolByRoleLabels,
    nodePools,
    store,
  });
  return {
    nowMs,
    silentAfterMs,
    nodes,
    events: cluster.pullEvents(),
    agentWitnesses: store.witnesses,
    intent: cluster.intent?.evaluate(nowMs) ?? null,
    admission: cluster.admission?.section(cluster.pods(), nowMs, () => pullSourcesByImage(nodes)) ?? null,
    ...(cluster.informers.pods === undefined ? {} : { pods: podCountsByNode(cluster.pods()) }),
    ...(cluster.podSecrets === null
      ? {}
      : {
          collectorFindings: cluster.podSecrets.findings(
            cluster.pods(),
            nodes,
            cluster.intent?.enabled === true ? true : null,
          ),
        }),
  };
}
