// A cause counts its findings' distinct messages by a hash of each, texts compared only where hashes
// meet: the count must be a Set's, whatever the hashes, including texts made to meet under one.
import { describe, expect, it } from 'vitest';
import { DistinctMessages, messageHash } from '../../src/core/causes/distinct-messages.js';
import { evidenceKeyOf } from '../../src/core/causes/evidence.js';
import { prng } from '../support/mutate.js';

describe('DistinctMessages', () => {
  it('holds what a Set of the texts holds, copies of one text counted once', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const r = prng(seed);
      const set = new Set<string>();
      const messages = new DistinctMessages();
      for (let i = 0; i < 1 + Math.floor(r() * 3000); i++) {
        // A new string object each time, as each agent's message is parsed on its own.
        const text = JSON.parse(
          JSON.stringify(`Finding ${Math.floor(r() * 500)} on node-${i % 40}`),
        ) as string;
        set.add(text);
        messages.add(text, messageHash(text));
      }
      expect(messages.size, `seed ${seed}`).toBe(set.size);
      expect(new Set(messages.values())).toEqual(set);
      expect(messages.has('Finding 1 on node-1')).toBe(set.has('Finding 1 on node-1'));
      expect(messages.has('never added')).toBe(false);
    }
  });

  it('counts exactly when every text has one hash, and turns to counting the texts after many clashes', () => {
    for (const distinct of [10, 60, 500]) {
      const messages = new DistinctMessages();
      for (let i = 0; i < distinct * 3; i++) messages.add(`text ${i % distinct}`, 12345);
      expect(messages.size).toBe(distinct);
      expect(new Set(messages.values())).toEqual(
        new Set(Array.from({ length: distinct }, (_, i) => `text ${i}`)),
      );
    }
  });
});

describe('evidenceKeyOf', () => {
  it('is the message hash, doubled, plus one when the message names its file:line', () => {
    const message = 'registries.conf:3: unknown key';
    expect(evidenceKeyOf({ message })).toBe(messageHash(message) * 2);
    expect(evidenceKeyOf({ message, file: 'registries.conf', line: 3 })).toBe(messageHash(message) * 2 + 1);
    expect(evidenceKeyOf({ message, file: 'registries.conf', line: 4 })).toBe(messageHash(message) * 2);
    expect(evidenceKeyOf({ message, file: 'registries.conf', line: null })).toBe(
      messageHash(message) * 2 + 1,
    );
  });
});
