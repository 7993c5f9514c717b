// The informers keep a projection of each Node and Pod: every reader of those objects in the collector
// must answer the same on the projection as on the full object the API server sends (a field a reader
// uses and the projection drops fails here), while what nothing reads is gone.
import { describe, expect, it } from 'vitest';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { podAdmissionInputs } from '../../src/collector/admission-inputs.js';
import { podView } from '../../src/collector/kube-writes.js';
import { conditionOf } from '../../src/collector/node-conditions.js';
import { poolOf } from '../../src/collector/node-pools.js';
import { NodeViews } from '../../src/collector/node-view.js';
import {
  imagesByNode,
  podCountsByNode,
  runtimeVersionsByNode,
  withUpgradeImage,
} from '../../src/collector/pod-images.js';
import { podPulls, pullSecretNames } from '../../src/collector/pod-pull-secrets.js';
import { projectNode, projectPod } from '../../src/collector/watched-projections.js';
import { whatIfNodes } from '../../src/collector/what-if-nodes.js';
import { CONDITION_TYPE } from '../../src/core/kube-writes/node-condition.js';

const MCO = 'machineconfiguration.openshift.io/';
const MANAGED = [{ manager: 'kubelet', operation: 'Update', fieldsV1: { 'f:status': { 'f:images': {} } } }];

function fullNode(name: string, ovnAnnotation = '{"default":{"mode":"local"}}'): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: `uid-${name}`,
      resourceVersion: '41',
      creationTimestamp: new Date('2026-11-01T00:00:00Z'),
      labels: {
        'node-role.kubernetes.io/master': '',
        'node-role.kubernetes.io/control-plane': '',
        'kubernetes.io/hostname': name,
      },
      annotations: {
        [`${MCO}currentConfig`]: 'rendered-master-a',
        [`${MCO}desiredConfig`]: 'rendered-master-b',
        [`${MCO}state`]: 'Working',
        [`${MCO}reason`]: '',
        'k8s.ovn.org/l3-gateway-config': ovnAnnotation,
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
      managedFields: MANAGED as never,
    },
    spec: {
      podCIDR: '10.128.0.0/23',
      taints: [{ key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' }],
    },
    status: {
      nodeInfo: {
        architecture: 'amd64',
        bootID: 'b',
        containerRuntimeVersion: 'cri-o://1.29.4-2.rhaos4.16.el9',
        kernelVersion: '5.14.0',
        kubeProxyVersion: 'v1.29.5',
        kubeletVersion: 'v1.29.5',
        machineID: 'm',
        operatingSystem: 'linux',
        osImage: 'Red Hat Enterprise Linux CoreOS 416',
        systemUUID: 's',
      },
      conditions: [
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
        {
          type: CONDITION_TYPE,
          status: 'False',
          reason: 'MirrorTlsUntrusted',
          message: '3 images',
          lastTransitionTime: new Date('2026-11-02T00:00:00Z'),
          lastHeartbeatTime: new Date('2026-11-03T00:00:00Z'),
        },
      ],
      images: Array.from({ length: 50 }, (_, i) => ({
        names: [`quay.io/app${i}@sha256:${'a'.repeat(64)}`],
        sizeBytes: i,
      })),
      addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
      capacity: { cpu: '8', memory: '32Gi' },
    },
  };
}

function fullPod(name: string, node: string, phase = 'Running'): V1Pod {
  const container = (n: string, image: string) => ({
    name: n,
    image,
    env: [{ name: 'SECRET_REF', value: 'x' }],
    resources: { requests: { cpu: '100m' } },
    ports: [{ containerPort: 8080 }],
    volumeMounts: [{ name: 'data', mountPath: '/data' }],
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      uid: `uid-${name}`,
      resourceVersion: '7',
      labels: { app: 'shop', tier: 'web' },
      annotations: { 'k8s.v1.cni.cncf.io/network-status': '[{"name":"ovn-kubernetes"}]' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'rs' }],
      managedFields: MANAGED as never,
    },
    spec: {
      nodeName: node,
      serviceAccountName: 'default',
      imagePullSecrets: [{ name: 'shop-pull' }, { name: '' }],
      containers: [container('web', 'quay.io/shop/web:1'), container('side', 'quay.io/shop/side:2')],
      initContainers: [container('init', 'quay.io/shop/init:1')],
      ephemeralContainers: [{ name: 'debug', image: 'registry.example/debug:1' }],
      volumes: [{ name: 'data', emptyDir: {} }],
    },
    status: {
      phase,
      conditions: [{ type: 'Ready', status: 'True' }],
      podIP: '10.128.0.9',
      containerStatuses: [
        {
          name: 'web',
          image: 'quay.io/shop/web:1',
          imageID: 'quay.io/shop/web@sha256:aa',
          ready: true,
          restartCount: 0,
          state: { running: { startedAt: new Date('2026-11-02T00:00:00Z') } },
        },
        {
          // Started before (it has an image ID), waiting to restart now.
          name: 'side',
          image: 'quay.io/shop/side:2',
          imageID: 'quay.io/shop/side@sha256:cc',
          ready: false,
          restartCount: 3,
          state: { waiting: { reason: 'ImagePullBackOff' } },
        },
      ],
      initContainerStatuses: [
        {
          name: 'init',
          image: 'quay.io/shop/init:1',
          imageID: 'quay.io/shop/init@sha256:bb',
          ready: true,
          restartCount: 0,
          state: { terminated: { exitCode: 0 } },
        },
      ],
    },
  };
}

const nodes = [fullNode('master-0'), fullNode('worker-1')];
const leaving = fullPod('leaving', 'master-0');
leaving.metadata!.deletionTimestamp = new Date('2026-11-03T00:00:00Z');
const pods = [
  leaving,
  fullPod('web-a', 'master-0'),
  fullPod('web-b', 'worker-1', 'Pending'),
  fullPod('done', 'worker-1', 'Succeeded'),
];
const slimNodes = nodes.map(projectNode);
const slimPods = pods.map(projectPod);

describe('informer projections', () => {
  it('every Node reader answers the same on the projection', () => {
    expect(runtimeVersionsByNode(slimNodes)).toEqual(runtimeVersionsByNode(nodes));
    const upgrade = (list: V1Node[]) =>
      withUpgradeImage(new Map([['worker-1', ['a']]]), list, 'quay.io/release:4.17');
    expect(upgrade(slimNodes)).toEqual(upgrade(nodes));
    expect(slimNodes.map(poolOf)).toEqual(nodes.map(poolOf));
    expect(slimNodes.map((n) => conditionOf(n.status?.conditions))).toEqual(
      nodes.map((n) => conditionOf(n.status?.conditions)),
    );
    for (const [i, n] of nodes.entries()) {
      const slim = slimNodes[i]!;
      expect(slim.metadata?.name).toBe(n.metadata?.name);
      expect(slim.metadata?.uid).toBe(n.metadata?.uid);
      expect(slim.metadata?.resourceVersion).toBe(n.metadata?.resourceVersion);
      expect(slim.metadata?.labels).toEqual(n.metadata?.labels);
      expect(slim.status?.nodeInfo?.containerRuntimeVersion).toBe(
        n.status?.nodeInfo?.containerRuntimeVersion,
      );
      for (const k of ['currentConfig', 'desiredConfig', 'state', 'reason'])
        expect(slim.metadata?.annotations?.[`${MCO}${k}`]).toBe(n.metadata?.annotations?.[`${MCO}${k}`]);
    }
  });

  it('a change to what nothing reads is no change; a change to what is read is one', () => {
    const views = new NodeViews();
    expect(views.changed([projectNode(fullNode('worker-1'))])).toBe(true);
    expect(views.changed([projectNode(fullNode('worker-1', '{"default":{"mode":"shared"}}'))])).toBe(false);
    const moved = fullNode('worker-1');
    moved.metadata!.annotations![`${MCO}desiredConfig`] = 'rendered-master-c';
    expect(views.changed([projectNode(moved)])).toBe(true);
  });

  it('every Pod reader answers the same on the projection', () => {
    expect(imagesByNode(slimPods)).toEqual(imagesByNode(pods));
    expect(podCountsByNode(slimPods)).toEqual(podCountsByNode(pods));
    expect(slimPods.map(podView)).toEqual(pods.map(podView));
    expect(podAdmissionInputs(slimPods)).toEqual(podAdmissionInputs(pods));
    expect(slimPods.map(pullSecretNames)).toEqual(pods.map(pullSecretNames));
    expect(podPulls(slimPods)).toEqual(podPulls(pods));
    const whatIf = (n: V1Node[], p: V1Pod[]) =>
      whatIfNodes({
        nodes: n,
        poolOf,
        agentNodes: ['master-0', 'worker-1'],
        agentImages: () => [],
        agentConfigHash: () => 'h',
        pods: p,
      });
    expect(whatIf(slimNodes, slimPods)).toEqual(whatIf(nodes, pods));
    for (const [i, p] of pods.entries()) {
      expect(slimPods[i]!.metadata?.uid).toBe(p.metadata?.uid);
      expect(slimPods[i]!.spec?.nodeName).toBe(p.spec?.nodeName);
    }
  });

  it('drops what nothing reads: managed fields, image lists, foreign annotations, container details', () => {
    const node = slimNodes[0]!;
    expect(node.metadata?.managedFields).toBeUndefined();
    expect(node.status?.images).toBeUndefined();
    expect(node.status?.conditions?.map((c) => c.type)).toEqual([CONDITION_TYPE]);
    // Of the system info (kernel, OS image, machine and boot ids, …) only the CRI-O version is read.
    expect(Object.keys(node.status?.nodeInfo ?? {})).toEqual(['containerRuntimeVersion']);
    expect(Object.keys(node.metadata?.annotations ?? {}).every((k) => k.startsWith(MCO))).toBe(true);
    const pod = slimPods[0]!;
    expect(pod.metadata?.managedFields).toBeUndefined();
    expect(pod.spec?.volumes).toBeUndefined();
    expect(pod.spec?.containers[0]).toEqual({ name: 'web', image: 'quay.io/shop/web:1' });
    expect(JSON.stringify(pod).length).toBeLessThan(JSON.stringify(pods[0]).length / 2);
  });
});
