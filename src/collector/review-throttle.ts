// TokenReviews the collector may send for tokens it has no cached answer for: per source address
// and in total. Every unknown token costs an API-server round trip, so a client cycling through
// invented tokens is slowed to a trickle and a flood from many addresses cannot pass the global
// bucket. Cached answers (positive for a minute, refusals for 10 s) cost nothing.
import { RateLimiter } from './rate-limiter.js';

/** Per source address: a burst of 20, then one a second. */
export const REVIEWS_PER_SOURCE = { burst: 20, perSecond: 1 } as const;
/** All sources together: a burst of 200, then 100 a second (5,000 agents re-authenticate in ~50 s). */
export const REVIEWS_GLOBAL = { burst: 200, perSecond: 100 } as const;

export class ReviewThrottle {
  private readonly perSource = new RateLimiter(REVIEWS_PER_SOURCE.burst, REVIEWS_PER_SOURCE.perSecond);
  private readonly global = new RateLimiter(REVIEWS_GLOBAL.burst, REVIEWS_GLOBAL.perSecond);
  /** Reviews refused by the throttle (for metrics and tests). */
  refused = 0;

  /** 0 when a TokenReview may be sent for `source` now, else the seconds to wait. */
  admit(source: string): number {
    const wait = this.perSource.take(source) || this.global.take('*');
    if (wait > 0) this.refused++;
    return wait;
  }
}
