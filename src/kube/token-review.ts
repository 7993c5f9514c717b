// Who a bearer token belongs to, as the API server says (TokenReview). Positive answers are cached
// for a minute so a mass reconnect of every agent is not a TokenReview storm; the cache is keyed by
// the token's SHA-256, so no token is kept in memory longer than the request that carried it.
// Refusals are cached for 10 s, and a throttle (the `admit` option) may hold back a review that
// neither cache answers.
import { createHash } from 'node:crypto';
import type { AuthenticationV1Api } from '@kubernetes/client-node';
import { TtlCache } from './ttl-cache.js';

export interface ReviewedUser {
  readonly username: string;
  readonly groups: readonly string[];
  /** `user.extra` (e.g. `authentication.kubernetes.io/node-name` on bound service-account tokens). */
  readonly extra: Readonly<Record<string, readonly string[]>>;
  readonly audiences: readonly string[];
}

export type TokenReviewAnswer =
  | { readonly ok: true; readonly user: ReviewedUser }
  /** `retryAfterSeconds`: not reviewed at all, the caller sent too many unknown tokens. */
  | { readonly ok: false; readonly reason: string; readonly retryAfterSeconds?: number };

export interface TokenReviewer {
  /** `source`: the caller's address, for the throttle of reviews. */
  review(token: string, source?: string): Promise<TokenReviewAnswer>;
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class CachedTokenReviewer implements TokenReviewer {
  private readonly cache: TtlCache<ReviewedUser>;
  /** Refusals are remembered briefly, so one bad client retrying fast is not a TokenReview each time. */
  private readonly refused: TtlCache<string>;
  private readonly inflight = new Map<string, Promise<TokenReviewAnswer>>();
  private readonly admit: (source: string) => number;
  /** TokenReview calls actually sent (the cache's effect is visible in metrics and tests). */
  calls = 0;

  constructor(
    private readonly api: AuthenticationV1Api,
    /** Empty: the API server's own audiences (a user's token for API calls). */
    private readonly audiences: readonly string[],
    options: {
      readonly ttlMs?: number;
      readonly maxEntries?: number;
      readonly refusedTtlMs?: number;
      /** Asked before each TokenReview actually sent: 0 to send it, else the seconds to wait. */
      readonly admit?: (source: string) => number;
    } = {},
  ) {
    this.admit = options.admit ?? (() => 0);
    this.cache = new TtlCache(options.ttlMs ?? 60_000, options.maxEntries ?? 20_000);
    this.refused = new TtlCache(options.refusedTtlMs ?? 10_000, 5_000);
  }

  async review(token: string, source = ''): Promise<TokenReviewAnswer> {
    const key = tokenDigest(token);
    const cached = this.cache.get(key);
    if (cached !== undefined) return { ok: true, user: cached };
    const refusal = this.refused.get(key);
    if (refusal !== undefined) return { ok: false, reason: refusal };
    const pending = this.inflight.get(key);
    if (pending !== undefined) return pending;
    const wait = this.admit(source);
    if (wait > 0)
      return { ok: false, reason: 'too many unknown tokens; retry later', retryAfterSeconds: wait };
    const request = this.send(token).finally(() => this.inflight.delete(key));
    this.inflight.set(key, request);
    const answer = await request;
    if (answer.ok) this.cache.set(key, answer.user);
    else this.refused.set(key, answer.reason);
    return answer;
  }

  private async send(token: string): Promise<TokenReviewAnswer> {
    this.calls++;
    const review = await this.api.createTokenReview({
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token, ...(this.audiences.length > 0 ? { audiences: [...this.audiences] } : {}) },
      },
    });
    const status = review.status;
    if (status?.authenticated !== true || status.user?.username === undefined)
      return { ok: false, reason: status?.error ?? 'the API server did not authenticate the token' };
    const audiences = status.audiences ?? [];
    if (this.audiences.length > 0 && !this.audiences.some((a) => audiences.includes(a)))
      return { ok: false, reason: `the token is not for audience ${this.audiences.join(', ')}` };
    return {
      ok: true,
      user: {
        username: status.user.username,
        groups: status.user.groups ?? [],
        extra: status.user.extra ?? {},
        audiences,
      },
    };
  }
}
