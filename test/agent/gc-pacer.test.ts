// The scan's garbage-collection pacing: a full collection after every so many image checks when node
// exposes gc (the DaemonSet's --expose-gc), nothing without it. Its effect on the peak RSS is
// measured by the agent bench, which runs the agent with the manifest's flags.
import { describe, expect, it } from 'vitest';
import { CHECKS_PER_COLLECTION, GcPacer } from '../../src/agent/gc-pacer.js';

describe('gc pacer', () => {
  it('collects once every so many checks', () => {
    let collections = 0;
    const pacer = new GcPacer(3, () => collections++);
    for (let i = 0; i < 8; i++) pacer.checked();
    expect(collections).toBe(2);
    pacer.checked();
    expect(collections).toBe(3);
  });

  it("uses node's gc when it is exposed, and nothing otherwise", () => {
    const global = globalThis as { gc?: () => void };
    const before = global.gc;
    let collections = 0;
    try {
      global.gc = undefined;
      const without = new GcPacer(1);
      without.checked();
      global.gc = () => collections++;
      without.checked(); // chose at construction: still nothing
      const exposed = new GcPacer(CHECKS_PER_COLLECTION);
      for (let i = 0; i < CHECKS_PER_COLLECTION; i++) exposed.checked();
    } finally {
      global.gc = before;
    }
    expect(collections).toBe(1);
  });
});
