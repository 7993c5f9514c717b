// Kube-write reconciles (a report build at their core) take at most RECONCILE_DUTY of the
// collector's time: a slow one pushes the next one out rather than crowding out agents' snapshots.
import { describe, expect, it } from 'vitest';
import { nextReconcileDelay, RECONCILE_DUTY } from '../../src/collector/kube-writes.js';

describe('reconcile pacing', () => {
  it('keeps the interval while reconciles are quick', () => {
    expect(nextReconcileDelay(10_000, 60)).toBe(10_000);
    expect(nextReconcileDelay(10_000, 1_000)).toBe(10_000);
  });

  it('after a slow reconcile, waits long enough that reconciling stays within its share of the time', () => {
    const took = 4_000;
    const delay = nextReconcileDelay(10_000, took);
    expect(delay).toBe(36_000);
    expect(took / (took + delay)).toBeCloseTo(RECONCILE_DUTY, 9);
  });
});
