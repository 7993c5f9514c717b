// The three informers the collector runs: every pod (image sets per node), every node (who should
// have an agent, which pool each belongs to) and pod events (real pull failures). Pods and nodes can
// be cached as a projection (only the fields their readers use) of what the list and watch return.
// All three list in pages, each page projected before the next is read: a cluster's whole pod list
// (hundreds of thousands of full Pods at 15,000 nodes) is never held parsed at once.
import {
  ListWatch,
  Watch,
  type CoreV1Event,
  type KubeConfig,
  type KubernetesListObject,
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
  /** Objects per list page of the projected informers; default LIST_PAGE_SIZE. */
  readonly listPageSize?: number;
}

/** As kubectl and client-go's reflector page their lists. */
export const LIST_PAGE_SIZE = 500;

/** One page of a list call: client-node's list parameters and what it answers. */
type PagedList<T extends KubernetesObject> = (page: {
  limit: number;
  _continue?: string;
}) => Promise<KubernetesListObject<T>>;

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

/**
 * The whole list, page by page, each page's objects projected before the next page is asked for.
 * The API server serves every page of one list from the first page's snapshot (an expired continue
 * token fails the list, and the supervised informer starts again); the watch starts at its version.
 */
export function pagedProjectedList<T extends KubernetesObject>(
  list: PagedList<T>,
  project: Projection<T>,
  pageSize: number,
): ListPromise<T> {
  return async () => {
    const first = await list({ limit: pageSize });
    const items = first.items.map(project);
    let next = first.metadata?._continue;
    while (next) {
      const page = await list({ limit: pageSize, _continue: next });
      for (const item of page.items) items.push(project(item));
      next = page.metadata?._continue;
    }
    return { ...first, metadata: { ...first.metadata, _continue: undefined }, items };
  };
}

/** client-node's informer (its list and watch calls), with every listed and watched object projected. */
function projectingInformer<T extends KubernetesObject>(
  config: KubeConfig,
  path: string,
  list: PagedList<T>,
  project: Projection<T>,
  pageSize: number,
): ListWatch<T> {
  return new ListWatch<T>(
    path,
    new ProjectingWatch(config, project),
    pagedProjectedList(list, project, pageSize),
    false,
  );
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
      projectingInformer(
        kube.config,
        '/api/v1/pods',
        (page) => kube.core.listPodForAllNamespaces(page),
        project,
        hooks.listPageSize ?? LIST_PAGE_SIZE,
      ),
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
    create: () =>
      projectingInformer(
        kube.config,
        '/api/v1/nodes',
        (page) => kube.core.listNode(page),
        project,
        hooks.listPageSize ?? LIST_PAGE_SIZE,
      ),
  });
}

/**
 * Only Warning events about pods: kubelet's pull failures are `Failed`/`ErrImagePull` Warning events
 * on the pod. A pod's Normal events (Scheduled, Pulling, Pulled, Created, Started, Killing), most of
 * a cluster's events, are never listed or held.
 */
export const POD_EVENT_SELECTOR = 'involvedObject.kind=Pod,type=Warning';

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
        pagedProjectedList(
          (page) => kube.core.listEventForAllNamespaces({ ...page, fieldSelector: POD_EVENT_SELECTOR }),
          (event) => event,
          hooks.listPageSize ?? LIST_PAGE_SIZE,
        ),
        false,
        undefined,
        POD_EVENT_SELECTOR,
      ),
  });
}
