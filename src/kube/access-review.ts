// May this user do that? (SubjectAccessReview). Answers are cached per user for a minute.
import type { AuthorizationV1Api } from '@kubernetes/client-node';
import type { ReviewedUser } from './token-review.js';
import { TtlCache } from './ttl-cache.js';

export interface ResourceAction {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
}

export interface AccessReviewer {
  allowed(user: ReviewedUser, action: ResourceAction): Promise<boolean>;
}

export class CachedAccessReviewer implements AccessReviewer {
  private readonly cache: TtlCache<boolean>;

  constructor(
    private readonly api: AuthorizationV1Api,
    options: { readonly ttlMs?: number } = {},
  ) {
    this.cache = new TtlCache(options.ttlMs ?? 60_000, 5_000);
  }

  async allowed(user: ReviewedUser, action: ResourceAction): Promise<boolean> {
    const key = JSON.stringify([user.username, user.groups, action]);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const review = await this.api.createSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.username,
          groups: [...user.groups],
          extra: Object.fromEntries(Object.entries(user.extra).map(([k, v]) => [k, [...v]])),
          resourceAttributes: {
            verb: action.verb,
            group: action.group,
            resource: action.resource,
            ...(action.subresource !== undefined ? { subresource: action.subresource } : {}),
          },
        },
      },
    });
    const allowed = review.status?.allowed === true;
    // Only grants are cached, so a RoleBinding added after a refusal takes effect at once.
    if (allowed) this.cache.set(key, true);
    return allowed;
  }
}
