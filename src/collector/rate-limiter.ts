// Token buckets per caller: `burst` requests at once, refilled at `perSecond`.
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
    /** Past this many callers the table starts afresh (a flood of distinct callers cannot grow it). */
    private readonly maxCallers = 10_000,
  ) {}

  /** 0 when allowed (and a token is taken), else the seconds to wait. */
  take(caller: string, cost = 1): number {
    const now = this.now();
    const b = this.buckets.get(caller) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    if (this.buckets.size >= this.maxCallers && !this.buckets.has(caller)) this.buckets.clear();
    this.buckets.set(caller, b);
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return 0;
    }
    return Math.ceil((cost - b.tokens) / this.perSecond);
  }
}
