// What the collector keeps of each watched Node and Pod: exactly the fields it reads, not the whole
// object. A real Node carries its image list, managed fields and the network plugin's annotations
// (tens of KiB), a Pod its environment, volumes, probes and conditions; across 15,000 nodes and their
// hundreds of thousands of pods the informers' copies would outweigh everything the agents report.
// Readers of Nodes: node-view, cluster-intent, node-pools, pod-images (runtime version, control-plane
// labels), report-input, kube-writes (our condition). Readers of Pods: pod-images, kube-writes
// (podView), pod-pull-secrets, what-if-nodes, admission-inputs, bound-pod, pull-events.
// test/collector/watched-projections.test.ts runs each reader on a full object and on its projection.
import type {
  V1Container,
  V1ContainerStatus,
  V1EphemeralContainer,
  V1LocalObjectReference,
  V1Node,
  V1NodeSystemInfo,
  V1ObjectMeta,
  V1Pod,
} from '@kubernetes/client-node';
import { CONDITION_TYPE } from '../core/kube-writes/node-condition.js';
import { StringPool } from '../kube/string-pool.js';

/** The MachineConfig daemon's annotations (current and desired config, state, reason). */
const MCO_ANNOTATION_PREFIX = 'machineconfiguration.openshift.io/';

// Absent fields stay as undefined properties (as in client-node's own objects): one shape per kind.
// Values many objects repeat (namespaces, node names, images, label and MCO annotation values, the
// CRI-O version) come from one pool, so each is held once.
const pool = new StringPool();

function meta(m: V1ObjectMeta | undefined, annotations?: Record<string, string>): V1ObjectMeta | undefined {
  if (m === undefined) return undefined;
  return {
    name: m.name,
    namespace: pool.get(m.namespace),
    uid: m.uid,
    resourceVersion: m.resourceVersion,
    deletionTimestamp: m.deletionTimestamp,
    labels: pool.record(m.labels),
    annotations,
  };
}

function mcoAnnotations(all: Record<string, string> | undefined): Record<string, string> | undefined {
  if (all === undefined) return undefined;
  const kept: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) if (k.startsWith(MCO_ANNOTATION_PREFIX)) kept[k] = pool.get(v);
  return kept;
}

/** Of the node's system info only the CRI-O version is read (report, agents' `images` message). */
function nodeInfo(info: V1NodeSystemInfo | undefined): V1NodeSystemInfo | undefined {
  if (info === undefined) return undefined;
  return { containerRuntimeVersion: pool.get(info.containerRuntimeVersion) } as V1NodeSystemInfo;
}

export function projectNode(node: V1Node): V1Node {
  const conditions = node.status?.conditions?.filter((c) => c.type === CONDITION_TYPE);
  return {
    apiVersion: node.apiVersion,
    kind: node.kind,
    metadata: meta(node.metadata, mcoAnnotations(node.metadata?.annotations)),
    status:
      node.status === undefined
        ? undefined
        : {
            nodeInfo: nodeInfo(node.status.nodeInfo),
            conditions: conditions?.length ? conditions : undefined,
          },
  };
}

function containers<C extends V1Container | V1EphemeralContainer>(list: C[] | undefined): C[] | undefined {
  return list?.map((c) => ({ name: pool.get(c.name), image: pool.get(c.image) }) as C);
}

/** Whether and when a container started is all that is read: its name, imageID and state. */
function statuses(list: V1ContainerStatus[] | undefined): V1ContainerStatus[] | undefined {
  return list?.map(
    (s) => ({ name: pool.get(s.name), imageID: pool.get(s.imageID), state: s.state }) as V1ContainerStatus,
  );
}

function secretRefs(list: V1LocalObjectReference[] | undefined): V1LocalObjectReference[] | undefined {
  return list?.map((r) => ({ name: pool.get(r.name) }));
}

export function projectPod(pod: V1Pod): V1Pod {
  const { spec, status } = pod;
  return {
    apiVersion: pod.apiVersion,
    kind: pod.kind,
    metadata: meta(pod.metadata),
    spec:
      spec === undefined
        ? undefined
        : {
            nodeName: pool.get(spec.nodeName),
            imagePullSecrets: secretRefs(spec.imagePullSecrets),
            containers: containers(spec.containers) ?? [],
            initContainers: containers(spec.initContainers),
            ephemeralContainers: containers(spec.ephemeralContainers),
          },
    status:
      status === undefined
        ? undefined
        : {
            phase: pool.get(status.phase),
            containerStatuses: statuses(status.containerStatuses),
            initContainerStatuses: statuses(status.initContainerStatuses),
          },
  };
}
