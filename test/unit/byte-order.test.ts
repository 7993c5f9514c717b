import { describe, expect, it } from 'vitest';
import { compareBytes } from '../../src/core/registries/byte-order.js';
import { prng } from '../support/mutate.js';

describe('compareBytes', () => {
  it('orders as Go does (byte-wise over UTF-8) on random well-formed strings', () => {
    const rng = prng(5);
    const pool = [
      'a',
      'b',
      'z',
      '.',
      '/',
      '\u00e9',
      '\u0800',
      '\ud7ff',
      '\ue000',
      '\uffff',
      '\u{10000}',
      '\u{1f600}',
      '\u{10ffff}',
    ];
    const word = () =>
      Array.from({ length: Math.floor(rng() * 5) }, () => pool[Math.floor(rng() * pool.length)]).join('');
    const sign = (n: number) => Math.sign(n);
    for (let i = 0; i < 20_000; i++) {
      const a = word();
      const b = word();
      expect(sign(compareBytes(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(
        sign(Buffer.compare(Buffer.from(a), Buffer.from(b))),
      );
    }
  });
});
