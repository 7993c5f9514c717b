// A 15,000-node report is over 100 MiB of heap, held for a few seconds after each build and then let
// go (report-cache.ts). V8 keeps the pages it freed until its next major collection, which at the low
// allocation rate of a quiet collector can be minutes away; until then the container's RSS, which
// the memory limit and the kubelet see, stays at the build's peak. So when the report is let go and
// the heap is large, the collector collects once, at most once a minute. The pause is that of a full
// collection (about 0.2 s at 15,000 nodes), which is why small heaps, where V8 frees soon enough on
// its own, are left alone. The global `gc` exists because the collector's relaunch (heap-limit.ts)
// passes --expose-gc; without it nothing happens.
import { v8Heap } from './memory-guard.js';

/** Collect only when the heap in use is at least this share of its limit. */
export const RELEASE_ABOVE = 0.4;
export const RELEASE_EVERY_MS = 60_000;

export interface HeapReleaseOptions {
  readonly log: (message: string) => void;
  /** V8's full collection; globalThis.gc by default (present with --expose-gc). */
  readonly gc?: () => void;
  /** Heap in use and its limit (bytes); V8's by default. */
  readonly heap?: () => { used: number; limit: number };
  readonly now?: () => number;
}

const MiB = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MiB`;

export class HeapRelease {
  private lastAt = -Infinity;

  constructor(private readonly options: HeapReleaseOptions) {}

  /** A large object graph was let go: collect now if the heap is large and the last time was long ago. */
  released(): boolean {
    const gc = this.options.gc ?? (globalThis as { gc?: () => void }).gc;
    const now = (this.options.now ?? Date.now)();
    if (gc === undefined || now - this.lastAt < RELEASE_EVERY_MS) return false;
    const heap = this.options.heap ?? v8Heap;
    const before = heap();
    if (before.used < RELEASE_ABOVE * before.limit) return false;
    this.lastAt = now;
    const started = performance.now();
    gc();
    this.options.log(
      `heap ${MiB(before.used)} → ${MiB(heap().used)} after the report was let go (a full collection, ${(performance.now() - started).toFixed(0)} ms)`,
    );
    return true;
  }
}
