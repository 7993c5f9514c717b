// A reconnect storm: thousands of agents sending their snapshots at once, after a collector restart
// or a network partition. It is the worst time for a Kubernetes-writes reconcile: its report build
// competes with every snapshot still to be read, and its predictions would leave out the nodes yet
// to report. While snapshots arrive faster than STORM_SNAPSHOTS_PER_S (and more than
// STORM_MIN_SNAPSHOTS of them since the last look), a reconcile waits and looks again after
// STORM_CHECK_MS, for at most STORM_MAX_WAIT_MS in a row. An agent rollout in a large cluster (the
// DaemonSet replaces 10 % of its pods at a time) can count as one too, and waiting is as right then.
import type { Log } from './log.js';

export const STORM_SNAPSHOTS_PER_S = 25;
export const STORM_MIN_SNAPSHOTS = 100;
export const STORM_CHECK_MS = 2_000;
export const STORM_MAX_WAIT_MS = 60_000;

/** Whether `snapshots` received over `overMs` are a reconnect storm. */
export function inStorm(snapshots: number, overMs: number): boolean {
  return snapshots > STORM_MIN_SNAPSHOTS && snapshots > (STORM_SNAPSHOTS_PER_S * overMs) / 1000;
}

export class ReconnectStorm {
  private sampleAt: number;
  private sampled: number;
  private since: number | null = null;

  /** `snapshots`: the snapshots received so far, a count that only grows. */
  constructor(
    private readonly snapshots: () => number,
    private readonly log: Log,
    now = performance.now(),
  ) {
    this.sampleAt = now;
    this.sampled = snapshots();
  }

  /** True when a storm is on (since the last call) and a reconcile should wait for it to pass. */
  holds(now: number): boolean {
    const received = this.snapshots() - this.sampled;
    const overMs = now - this.sampleAt;
    this.sampled += received;
    this.sampleAt = now;
    if (!inStorm(received, overMs) || (this.since !== null && now - this.since >= STORM_MAX_WAIT_MS)) {
      this.since = null;
      return false;
    }
    if (this.since === null) {
      this.since = now;
      this.log.info(
        `agents are reconnecting in bulk (${received} snapshots in ${(overMs / 1000).toFixed(1)} s): the Kubernetes writes wait until they have, at most ${STORM_MAX_WAIT_MS / 1000} s`,
      );
    }
    return true;
  }
}
