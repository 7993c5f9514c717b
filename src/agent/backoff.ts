// Reconnect delays: exponential with full jitter, so agents restarted together do not reconnect together.
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 1_000,
    private readonly maxMs = 60_000,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const cap = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.max(100, Math.floor(this.random() * cap));
  }

  reset(): void {
    this.attempt = 0;
  }
}
