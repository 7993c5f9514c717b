// Bounded concurrency and per-host pacing for probes, so a 1,000-pod node does not hammer its mirrors.

/** Runs at most `max` tasks at once. */
export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * At most `perHost` tasks at once for each host, hosts independent of each other: a registry that is
 * slow or never answers holds only its own slots, and the probes of every other host go on.
 */
export class HostLimit {
  private readonly limits = new Map<string, ConcurrencyLimit>();
  private readonly active = new Map<string, number>();

  constructor(private readonly perHost: number) {}

  async run<T>(host: string, task: () => Promise<T>): Promise<T> {
    let limit = this.limits.get(host);
    if (limit === undefined) {
      limit = new ConcurrencyLimit(this.perHost);
      this.limits.set(host, limit);
    }
    this.active.set(host, (this.active.get(host) ?? 0) + 1);
    try {
      return await limit.run(task);
    } finally {
      const left = this.active.get(host)! - 1;
      // A host nobody waits for is forgotten: the map stays as small as the set of busy hosts.
      if (left === 0) {
        this.active.delete(host);
        this.limits.delete(host);
      } else this.active.set(host, left);
    }
  }
}

/**
 * At most `max` tasks at once in all, and at most `perKey` of them for one key; waiting tasks are let in
 * key by key in turn (first come first served within a key). The agent's image checks take a place
 * keyed by the first host each contacts: a scan then holds a bounded number of checks in memory, not
 * one per image, while the keys share the places fairly, so the checks of one slow registry never
 * keep those of the others waiting for more than the places that are not its own.
 */
export class FairLimit {
  private active = 0;
  private readonly activeByKey = new Map<string, number>();
  /** Keys with waiting tasks, in turn order: the key just served goes to the back. */
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(
    private readonly max: number,
    private readonly perKey: number,
  ) {}

  /** Tasks running now (for tests and metrics). */
  get running(): number {
    return this.active;
  }

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    if (this.waiting.has(key) || !this.free(key)) {
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(key);
        if (queue === undefined) this.waiting.set(key, [resolve]);
        else queue.push(resolve);
      });
    } else this.take(key);
    try {
      return await task();
    } finally {
      this.release(key);
    }
  }

  private free(key: string): boolean {
    return this.active < this.max && (this.activeByKey.get(key) ?? 0) < this.perKey;
  }

  private take(key: string): void {
    this.active++;
    this.activeByKey.set(key, (this.activeByKey.get(key) ?? 0) + 1);
  }

  private release(key: string): void {
    this.active--;
    const left = this.activeByKey.get(key)! - 1;
    if (left === 0) this.activeByKey.delete(key);
    else this.activeByKey.set(key, left);
    // Places go round the waiting keys in turn; a key at its own bound lets the next one have it.
    for (const [k, queue] of this.waiting) {
      if (this.active >= this.max) return;
      if (!this.free(k)) continue;
      this.take(k);
      this.waiting.delete(k);
      queue.shift()!();
      if (queue.length > 0) this.waiting.set(k, queue);
    }
  }
}

/** Spaces out request starts per host: at most `perSecond` per host, with a little jitter. */
export class HostPacer {
  private readonly next = new Map<string, number>();

  constructor(
    private readonly perSecond: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Resolves when a request to `host` may start. */
  async take(host: string): Promise<void> {
    const spacing = 1000 / this.perSecond;
    const now = Date.now();
    const slot = Math.max(now, this.next.get(host) ?? 0);
    this.next.set(host, slot + spacing);
    const wait = slot - now + (slot > now ? this.random() * spacing * 0.2 : 0);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** A random delay in [0, max) ms: spreads the scans of many nodes started at the same moment. */
export function jitter(maxMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * maxMs);
}
