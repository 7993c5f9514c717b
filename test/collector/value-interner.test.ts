// Values many nodes report alike are kept once; the comparison by position that spares most lookups
// shares a value only with an equal one.
import { describe, expect, it } from 'vitest';
import { sameJson, ValueInterner } from '../../src/collector/value-interner.js';

describe('value interner', () => {
  it('tells JSON values apart field by field, an absent field being an undefined one', () => {
    expect(sameJson({ a: 1, b: [1, 'x', null] }, { b: [1, 'x', null], a: 1 })).toBe(true);
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(sameJson({ a: 1, b: null }, { a: 1 })).toBe(false);
    expect(sameJson({ a: [1, 2] }, { a: [1, 2, 3] })).toBe(false);
    expect(sameJson({ a: [] }, { a: {} })).toBe(false);
    expect(sameJson({ a: '1' }, { a: 1 })).toBe(false);
    expect(sameJson({ a: { b: 'x' } }, { a: { b: 'y' } })).toBe(false);
  });

  it('hands each list position the shared copy of an equal value, and a differing one its own', () => {
    const interner = new ValueInterner<{ host: string; ok: boolean }>((v) => JSON.stringify([v.host, v.ok]));
    const first = interner.internAll([
      { host: 'a', ok: true },
      { host: 'b', ok: false },
    ]);
    const second = interner.internAll([
      { host: 'a', ok: true },
      { host: 'b', ok: true },
    ]);
    expect(second[0]).toBe(first[0]);
    expect(second[1]).not.toBe(first[1]);
    expect(second[1]).toEqual({ host: 'b', ok: true });
    // Another order: found in the table rather than by position.
    const third = interner.internAll([
      { host: 'b', ok: false },
      { host: 'a', ok: true },
    ]);
    expect(third).toEqual([first[1], first[0]]);
    expect(third[0]).toBe(first[1]);
    expect(Object.isFrozen(third[1])).toBe(true);
  });
});

describe('value interner lists', () => {
  it('shares a whole list equal to the last one, and never one that differs', () => {
    const interner = new ValueInterner<{ host: string }>((v) => JSON.stringify([v.host]));
    const a = interner.internAll([{ host: 'a' }, { host: 'b' }]);
    expect(interner.internAll([{ host: 'a' }, { host: 'b' }])).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    const shorter = interner.internAll([{ host: 'a' }]);
    expect(shorter).toEqual([{ host: 'a' }]);
    expect(shorter[0]).toBe(a[0]);
    const longer = interner.internAll([{ host: 'a' }, { host: 'b' }, { host: 'c' }]);
    expect(longer).toEqual([{ host: 'a' }, { host: 'b' }, { host: 'c' }]);
    expect(interner.internAll([])).toEqual([]);
  });
});
