// The node a bound service-account token proves: the node its pod runs on. A projected token names
// its pod in the TokenReview's `user.extra` (`authentication.kubernetes.io/pod-name` and `pod-uid`);
// Kubernetes ≥ 1.30 also names the node (`…/node-name`), older servers (OpenShift 4.16 and before)
// do not, so the pod is looked up. A pod's `spec.nodeName` never changes once set, so answers are
// cached by pod uid.
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { kubeStatusCode } from './api-error.js';
import type { ReviewedUser } from './token-review.js';
import { TtlCache } from './ttl-cache.js';

export const NODE_NAME_EXTRA = 'authentication.kubernetes.io/node-name';
export const POD_NAME_EXTRA = 'authentication.kubernetes.io/pod-name';
export const POD_UID_EXTRA = 'authentication.kubernetes.io/pod-uid';

export type BoundNode =
  | { readonly kind: 'node'; readonly node: string }
  /** The token is bound to no pod (a legacy secret token, or one from `kubectl create token` without --bound-object). */
  | { readonly kind: 'unbound' }
  | { readonly kind: 'refused'; readonly reason: string };

export interface BoundNodeResolver {
  /** Throws when the API cannot be asked (the caller answers 503). */
  nodeOf(user: ReviewedUser): Promise<BoundNode>;
}

/** `system:serviceaccount:NS:NAME` → NS. */
function serviceAccountNamespace(username: string): string | null {
  const m = /^system:serviceaccount:([^:]+):[^:]+$/.exec(username);
  return m === null ? null : m[1]!;
}

export class PodBoundNodes implements BoundNodeResolver {
  private readonly byUid = new TtlCache<string>(10 * 60_000, 20_000);

  constructor(
    private readonly core: Pick<CoreV1Api, 'readNamespacedPod'>,
    /** A pod from an informer's cache, when the collector has one (saves the GET). */
    private readonly cached: (namespace: string, name: string) => V1Pod | undefined = () => undefined,
  ) {}

  async nodeOf(user: ReviewedUser): Promise<BoundNode> {
    const node = user.extra[NODE_NAME_EXTRA]?.[0];
    if (node !== undefined && node !== '') return { kind: 'node', node };
    const name = user.extra[POD_NAME_EXTRA]?.[0];
    const uid = user.extra[POD_UID_EXTRA]?.[0];
    const namespace = serviceAccountNamespace(user.username);
    if (name === undefined || namespace === null) return { kind: 'unbound' };
    const key = `${namespace}/${name}/${uid ?? ''}`;
    const known = this.byUid.get(key);
    if (known !== undefined) return { kind: 'node', node: known };
    let pod = this.cached(namespace, name);
    if (pod === undefined || (uid !== undefined && pod.metadata?.uid !== uid)) {
      try {
        pod = await this.core.readNamespacedPod({ name, namespace });
      } catch (err) {
        if (kubeStatusCode(err) === 404)
          return { kind: 'refused', reason: `the token's pod ${namespace}/${name} does not exist` };
        throw err;
      }
    }
    if (uid !== undefined && pod.metadata?.uid !== uid)
      return { kind: 'refused', reason: `the token's pod ${namespace}/${name} was replaced (uid differs)` };
    const nodeName = pod.spec?.nodeName;
    if (nodeName === undefined || nodeName === '')
      return { kind: 'refused', reason: `the token's pod ${namespace}/${name} is not scheduled on a node` };
    this.byUid.set(key, nodeName);
    return { kind: 'node', node: nodeName };
  }
}
