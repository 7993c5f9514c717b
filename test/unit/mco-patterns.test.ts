// The MCO's source/mirror patterns, rewritten without ambiguity so that a backtracking engine stays
// linear: the same language as the MCO's (`helpers.go`, RE2) on every string, and no hang on the
// 1 KB mirror the fuzzer found (the old form took longer than any test allows).
import { describe, expect, it } from 'vitest';
import { MIRROR_PATTERN, SOURCE_PATTERN } from '../../src/core/mco/scopes.js';
import { prng } from '../support/mutate.js';

// The MCO's text of the patterns, verbatim: safe to run here on short strings only.
const LABEL = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const MCO_MIRROR = new RegExp(
  `^((?:${LABEL})(?:(?:\\.(?:${LABEL}))+)?(?::[0-9]+)?)(?:(?:/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?$`,
);
const MCO_SOURCE = new RegExp(`^\\*(?:\\.(?:${LABEL}))+$|${MCO_MIRROR.source}`);

describe('MCO source and mirror patterns', () => {
  it('accept and refuse exactly what the MCO does (20,000 random short strings)', () => {
    const rng = prng(13);
    const alphabet = ['a', 'b', 'Z', '0', '9', '.', '_', '-', '/', ':', '*', '@', ' '];
    for (let i = 0; i < 20_000; i++) {
      const length = 1 + Math.floor(rng() * 14);
      let s = '';
      for (let k = 0; k < length; k++) s += alphabet[Math.floor(rng() * alphabet.length)];
      expect(MIRROR_PATTERN.test(s), s).toBe(MCO_MIRROR.test(s));
      expect(SOURCE_PATTERN.test(s), s).toBe(MCO_SOURCE.test(s));
      expect(MIRROR_PATTERN.exec(s)?.[1], s).toBe(MCO_MIRROR.exec(s)?.[1]);
    }
    for (const ok of ['quay.io', 'reg.example.com:5000/a/b_c__d-e--f.g', '*.example.com', 'localhost/x'])
      expect(SOURCE_PATTERN.test(ok), ok).toBe(true);
  });

  it('a long path with one bad component is refused at once (it hung render)', () => {
    const mirror = `backup.corp.example${'/mple'.repeat(120)}/mpl.${'/mple'.repeat(90)}/busybox`;
    expect(MIRROR_PATTERN.test(mirror)).toBe(false);
    expect(SOURCE_PATTERN.test(`${'a-'.repeat(5000)}!`)).toBe(false);
  });
});
