// The three informers the collector runs: every pod (image sets per node), every node (who should
// have an agent, which pool each belongs to) and pod events (real pull failures).
import {
  makeInformer,
  ListWatch,
  Watch,
  type CoreV1Event,
  type V1Node,
  type V1Pod,
} from '@kubernetes/client-node';
import type { KubeClients } from './kube-clients.js';
import { SupervisedInformer } from './supervised-informer.js';

export interface InformerHooks {
  readonly log: (level: 'info' | 'warn', message: string) => void;
  readonly watchdogMs?: number;
  readonly initialBackoffMs?: number;
}

export function podInformer(
  kube: KubeClients,
  hooks: InformerHooks,
  onChange: () => void,
): SupervisedInformer<V1Pod> {
  return new SupervisedInformer<V1Pod>({
    ...hooks,
    name: 'pod',
    onChange,
    create: () => makeInformer(kube.config, '/api/v1/pods', () => kube.core.listPodForAllNamespaces({})),
  });
}

export function nodeInformer(
  kube: KubeClients,
  hooks: InformerHooks,
  onChange: () => void,
): SupervisedInformer<V1Node> {
  return new SupervisedInformer<V1Node>({
    ...hooks,
    name: 'node',
    onChange,
    create: () => makeInformer(kube.config, '/api/v1/nodes', () => kube.core.listNode({})),
  });
}

/** Only events about pods: kubelet's pull failures are `Failed`/`ErrImagePull` events on the pod. */
export const POD_EVENT_SELECTOR = 'involvedObject.kind=Pod';

export function eventInformer(
  kube: KubeClients,
  hooks: InformerHooks,
  onChange: () => void,
): SupervisedInformer<CoreV1Event> {
  return new SupervisedInformer<CoreV1Event>({
    ...hooks,
    name: 'event',
    onChange,
    create: () =>
      new ListWatch<CoreV1Event>(
        '/api/v1/events',
        new Watch(kube.config),
        () => kube.core.listEventForAllNamespaces({ fieldSelector: POD_EVENT_SELECTOR }),
        false,
        undefined,
        POD_EVENT_SELECTOR,
      ),
  });
}
