// Once the cached report is let go, a large heap is collected at once (within a budget of the
// collector's time), so the container's RSS does not stay at the build's peak until V8's next major
// collection.
import { describe, expect, it } from 'vitest';
import {
  HeapRelease,
  RELEASE_ABOVE,
  RELEASE_MIN_GAP_MS,
  RELEASE_SHARE,
} from '../../src/collector/heap-release.js';
import { ReportCache } from '../../src/collector/report-cache.js';
import type { ClusterInput } from '../../src/core/report/types.js';

const MiB = 2 ** 20;

/**
 * A release whose collections pause `pauseMs` (on its own clock) and leave 300 MiB in use; what it
 * defers is in `deferred` (run by hand).
 */
function release(used: number, at: { now: number }, pauseMs = 150) {
  const collections: number[] = [];
  const logs: string[] = [];
  const deferred: { then: () => void; ms: number }[] = [];
  const heap = { used, limit: 780 * MiB };
  let clock = 0;
  const r = new HeapRelease({
    gc: () => {
      collections.push(at.now);
      heap.used = 300 * MiB;
      clock += pauseMs;
    },
    heap: () => ({ ...heap }),
    now: () => at.now,
    clock: () => clock,
    later: (then, ms) => deferred.push({ then, ms }),
    log: (m) => logs.push(m),
  });
  return { r, collections, logs, heap, deferred };
}

describe('HeapRelease', () => {
  it('collects a large heap, says what it freed, and waits at least the minimum gap', () => {
    const at = { now: 0 };
    // A pause short enough that the share alone would allow the next collection sooner.
    const pauseMs = 50;
    expect(pauseMs / RELEASE_SHARE).toBeLessThan(RELEASE_MIN_GAP_MS);
    const { r, collections, logs, heap } = release(450 * MiB, at, pauseMs);
    expect(r.released()).toBe(true);
    expect(logs).toEqual(['heap 450 MiB → 300 MiB after the report was let go (a full collection, 50 ms)']);
    heap.used = 450 * MiB;
    at.now += RELEASE_MIN_GAP_MS - 1;
    expect(r.released()).toBe(false);
    at.now += 1;
    expect(r.released()).toBe(true);
    expect(collections).toEqual([0, RELEASE_MIN_GAP_MS]);
  });

  it('keeps its collections to RELEASE_SHARE of the time when they pause long', () => {
    const at = { now: 0 };
    const pauseMs = 1_000;
    const { r, collections, heap } = release(450 * MiB, at, pauseMs);
    expect(r.released()).toBe(true);
    const gap = pauseMs / RELEASE_SHARE;
    expect(gap).toBeGreaterThan(RELEASE_MIN_GAP_MS);
    heap.used = 450 * MiB;
    at.now += gap - 1;
    expect(r.released()).toBe(false);
    at.now += 1;
    expect(r.released()).toBe(true);
    expect(collections).toEqual([0, gap]);
  });

  it('collects a report let go before the budget allows once it does, with one wait for any number let go', () => {
    const at = { now: 0 };
    const { r, collections, heap, deferred } = release(450 * MiB, at, 50);
    expect(r.released()).toBe(true);
    heap.used = 450 * MiB;
    at.now = RELEASE_MIN_GAP_MS * 0.4;
    expect(r.released()).toBe(false);
    at.now = RELEASE_MIN_GAP_MS * 0.6;
    expect(r.released()).toBe(false);
    expect(deferred.map((d) => d.ms)).toEqual([RELEASE_MIN_GAP_MS * 0.6]);
    at.now = RELEASE_MIN_GAP_MS;
    deferred.shift()!.then();
    expect(collections).toEqual([0, RELEASE_MIN_GAP_MS]);
    expect(heap.used).toBe(300 * MiB);
    // Garbage V8 collected on its own by then leaves nothing to do.
    heap.used = 100 * MiB;
    at.now += 1_000;
    expect(r.released()).toBe(false);
    at.now = 2 * RELEASE_MIN_GAP_MS;
    deferred.shift()!.then();
    expect(collections).toEqual([0, RELEASE_MIN_GAP_MS]);
    expect(deferred).toEqual([]);
  });

  it('leaves a small heap to V8', () => {
    const { r, collections } = release(RELEASE_ABOVE * 780 * MiB - 1, { now: 0 });
    expect(r.released()).toBe(false);
    expect(collections).toEqual([]);
  });

  it('does nothing without --expose-gc', () => {
    expect('gc' in globalThis).toBe(false);
    const r = new HeapRelease({ heap: () => ({ used: 700 * MiB, limit: 780 * MiB }), log: () => {} });
    expect(r.released()).toBe(false);
  });
});

describe('ReportCache', () => {
  /** A cache of empty reports that keeps each `keepMs` and counts the reports it let go. */
  function cacheCountingDrops(keepMs = 60_000) {
    const dropped = { count: 0 };
    const cache = new ReportCache({
      input: (nowMs): ClusterInput => ({ nowMs, silentAfterMs: 90_000, nodes: [], events: [] }),
      inputsVersion: () => 1,
      keepMs,
      onDrop: () => dropped.count++,
    });
    return { cache, dropped };
  }

  it('says when it let its report go', async () => {
    const { cache, dropped } = cacheCountingDrops(20);
    expect(() => cache.current()).not.toThrow();
    expect(dropped.count).toBe(0);
    await expect.poll(() => dropped.count, { timeout: 1_000 }).toBe(1);
  });

  it('lets a report go as soon as the one reader that built it is finished with it', () => {
    const { cache, dropped } = cacheCountingDrops();
    const report = cache.current();
    cache.finished(report);
    expect(dropped.count).toBe(1);
    expect(cache.current()).not.toBe(report);
    cache.drop();
  });

  it('keeps a report another reader took, and ignores a report it no longer holds', () => {
    const { cache, dropped } = cacheCountingDrops();
    const report = cache.current();
    expect(cache.current()).toBe(report);
    cache.finished(report);
    expect(dropped.count).toBe(0);
    expect(cache.current()).toBe(report);
    cache.drop();
    const next = cache.current();
    cache.finished(report);
    expect(dropped.count).toBe(0);
    expect(cache.current()).toBe(next);
    cache.drop();
  });
});
