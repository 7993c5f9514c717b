// A 15,000-node report is over 100 MiB of heap, held for a few seconds after each build and then let
// go (report-cache.ts). V8 keeps the pages it freed until its next major collection, which at the low
// allocation rate of a quiet collector can be minutes away; until then the container's RSS, which
// the memory limit and the kubelet see, stays at the build's peak. So when the report is let go and
// the heap is large, the collector collects once. The pause is that of a full collection (about
// 0.2 s at 15,000 nodes), which is why small heaps, where V8 frees soon enough on its own, are left
// alone, and why these collections may take at most RELEASE_SHARE of the collector's time: the next
// one waits 1/RELEASE_SHARE times the last one's pause, and never less than RELEASE_MIN_GAP_MS. A
// collector whose reconciles rebuild the report every 10 s then collects after each (about 2 % of
// its time at 15,000 nodes); a limit of once a minute left the garbage of the builds in between
// resident, and so did a floor of 10 s for the report a page read between two reconciles (its
// release waited for the gap the reconcile's had opened: up to 10 s at the build's peak, where the
// share alone asks 3–6 s at 15,000 nodes). A report let go before the budget allows a collection
// is not forgotten: the collection runs once it does (else that report's garbage stayed resident
// until V8's own next major collection, and the settled RSS at 15,000 nodes read some 60 MiB higher
// in one run of five). The global `gc` exists because the collector's relaunch (heap-limit.ts)
// passes --expose-gc; without it nothing happens.
import { v8Heap } from './memory-guard.js';

/** Collect only when the heap in use is at least this share of its limit. */
export const RELEASE_ABOVE = 0.4;
/** The share of the collector's time these collections may take. */
export const RELEASE_SHARE = 0.05;
/** However short the pause, collections are at least this far apart. */
export const RELEASE_MIN_GAP_MS = 2_000;

export interface HeapReleaseOptions {
  readonly log: (message: string) => void;
  /** V8's full collection; globalThis.gc by default (present with --expose-gc). */
  readonly gc?: () => void;
  /** Heap in use and its limit (bytes); V8's by default. */
  readonly heap?: () => { used: number; limit: number };
  readonly now?: () => number;
  /** Milliseconds of a monotonic clock, for the pause; performance.now by default. */
  readonly clock?: () => number;
  /** Runs `then` in `ms` (a timer that keeps no process alive, by default). */
  readonly later?: (then: () => void, ms: number) => void;
}

const unrefTimer = (then: () => void, ms: number): void => {
  setTimeout(then, ms).unref();
};

const MiB = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MiB`;

export class HeapRelease {
  /** When the next collection may run. */
  private nextAt = -Infinity;
  /** A collection waits for the budget. */
  private waiting = false;

  constructor(private readonly options: HeapReleaseOptions) {}

  /**
   * A large object graph was let go: collect now if the heap is large and the budget allows, else
   * once the budget does (true: collected now).
   */
  released(): boolean {
    const gc = this.options.gc ?? (globalThis as { gc?: () => void }).gc;
    if (gc === undefined) return false;
    const now = (this.options.now ?? Date.now)();
    if (now < this.nextAt) {
      if (!this.waiting) {
        this.waiting = true;
        (this.options.later ?? unrefTimer)(() => {
          this.waiting = false;
          this.released();
        }, this.nextAt - now);
      }
      return false;
    }
    const heap = this.options.heap ?? v8Heap;
    const before = heap();
    if (before.used < RELEASE_ABOVE * before.limit) return false;
    const clock = this.options.clock ?? (() => performance.now());
    const started = clock();
    gc();
    const pauseMs = clock() - started;
    this.nextAt = now + Math.max(RELEASE_MIN_GAP_MS, pauseMs / RELEASE_SHARE);
    this.options.log(
      `heap ${MiB(before.used)} → ${MiB(heap().used)} after the report was let go (a full collection, ${pauseMs.toFixed(0)} ms)`,
    );
    return true;
  }
}
