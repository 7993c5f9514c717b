// Once the cached report is let go, a large heap is collected at once (at most once a minute), so
// the container's RSS does not stay at the build's peak until V8's next major collection.
import { describe, expect, it } from 'vitest';
import { HeapRelease, RELEASE_ABOVE, RELEASE_EVERY_MS } from '../../src/collector/heap-release.js';
import { ReportCache } from '../../src/collector/report-cache.js';
import type { ClusterInput } from '../../src/core/report/types.js';

const MiB = 2 ** 20;

function release(used: number, at: { now: number }) {
  const collections: number[] = [];
  const logs: string[] = [];
  const heap = { used, limit: 780 * MiB };
  const r = new HeapRelease({
    gc: () => {
      collections.push(at.now);
      heap.used = 300 * MiB;
    },
    heap: () => ({ ...heap }),
    now: () => at.now,
    log: (m) => logs.push(m),
  });
  return { r, collections, logs, heap };
}

describe('HeapRelease', () => {
  it('collects a large heap once a minute at most, and says what it freed', () => {
    const at = { now: 0 };
    const { r, collections, logs, heap } = release(450 * MiB, at);
    expect(r.released()).toBe(true);
    expect(logs).toEqual([
      expect.stringMatching(
        /^heap 450 MiB → 300 MiB after the report was let go \(a full collection, \d+ ms\)$/,
      ),
    ]);
    heap.used = 450 * MiB;
    at.now += RELEASE_EVERY_MS - 1;
    expect(r.released()).toBe(false);
    at.now += 1;
    expect(r.released()).toBe(true);
    expect(collections).toEqual([0, RELEASE_EVERY_MS]);
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
  it('says when it let its report go', async () => {
    let drops = 0;
    const cache = new ReportCache({
      input: (nowMs): ClusterInput => ({ nowMs, silentAfterMs: 90_000, nodes: [], events: [] }),
      inputsVersion: () => 1,
      keepMs: 20,
      onDrop: () => drops++,
    });
    expect(() => cache.current()).not.toThrow();
    expect(drops).toBe(0);
    await expect.poll(() => drops, { timeout: 1_000 }).toBe(1);
  });
});
