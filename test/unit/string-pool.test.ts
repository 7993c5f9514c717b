// The string pool (informers, findings): equal values held once, the table bounded by two generations.
import { describe, expect, it } from 'vitest';
import { StringPool } from '../../src/kube/string-pool.js';

describe('StringPool', () => {
  it('gives back an equal string, null and undefined as they are, and records with every value', () => {
    const pool = new StringPool(4);
    expect(pool.get('quay.io/shop/web:1')).toBe('quay.io/shop/web:1');
    expect(pool.get(undefined)).toBeUndefined();
    expect(pool.get(null)).toBeNull();
    expect(pool.record({ app: 'web', tier: 'front' })).toEqual({ app: 'web', tier: 'front' });
    expect(pool.record(undefined)).toBeUndefined();
    // One entry per distinct value, however often it is looked up.
    for (let i = 0; i < 10; i++) pool.get('quay.io/shop/web:1');
    expect(pool.size).toBe(3);
  });

  it('holds at most two generations: values nothing looks up any more go', () => {
    const pool = new StringPool(100);
    for (let i = 0; i < 10_000; i++) pool.get(`image-${i}`);
    expect(pool.size).toBeLessThanOrEqual(200);
    // Generations of two: a value looked up again moves to the current one; one that is not, goes.
    const small = new StringPool(2);
    small.get('a');
    small.get('b');
    small.get('c'); // the first generation {a, b} becomes the previous one
    expect(small.size).toBe(3);
    small.get('a'); // back in the current one, {c, a}
    expect(small.size).toBe(4);
    small.get('d'); // {c, a} is the previous generation now; b is gone
    expect(small.size).toBe(3);
  });
});
