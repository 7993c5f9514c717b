// The three informers the collector runs: every pod (image sets per node), every node (who should
// have an agent, which pool each belongs to) and pod events (real pull failures). Pods and nodes can
// be cached as a projection (only the fields their readers use) of what the list and watch return.
import {
  ListWatch,
  Watch,
  type CoreV1Event,
  type KubeConfig,
  type KubernetesObject,
  type ListPromise,
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

/** What the cache keeps of each object: all of it, or a projection of the fields its readers use. */
export type Projection<T> = (object: T) => T;

/** A watch whose objects are projected before the informer's cache (and its listeners) see them. */
class ProjectingWatch<T> extends Watch {
  constructor(
    config: KubeConfig,
    private readonly project: Projection<T>,
  ) {
    super(config);
  }

  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    return super.watch(
      path,
      queryParams,
      (phase, object: T, watchObj) =>
        callback(
          phase,
          phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED' ? this.project(object) : object,
          watchObj,
        ),
      done,
    );
  }
}

/** client-node's informer (its list and watch calls), with every listed and watched object projected. */
function projectingInformer<T extends KubernetesObject>(
  config: KubeConfig,
  path: string,
  list: ListPromise<T>,
  project: Projection<T>,
): ListWatch<T> {
  const listProjected: ListPromise<T> = async () => {
    const listed = await list();
    return { ...listed, items: listed.items.map(project) };
  };
  return new ListWatch<T>(path, new ProjectingWatch(config, project), listProjected, false);
}

export function podInformer(
  kube: KubeClients,
  hooks: InformerHooks,
  onChange: () => void,
  project: Projection<V1Pod> = (pod) => pod,
): SupervisedInformer<V1Pod> {
  return new SupervisedInformer<V1Pod>({
    ...hooks,
    name: 'pod',
    onChange,
    create: () =>
      projectingInformer(kube.config, '/api/v1/pods', () => kube.core.listPodForAllNamespaces({}), project),
  });
}

export function nodeInformer(
  kube: KubeClients,
  hooks: InformerHooks,
  onChange: () => void,
  project: Projection<V1Node> = (node) => node,
): SupervisedInformer<V1Node> {
  return new SupervisedInformer<V1Node>({
    ...hooks,
    name: 'node',
    onChange,
    create: () => projectingInformer(kube.config, '/api/v1/nodes', () => kube.core.listNode({}), project),
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
