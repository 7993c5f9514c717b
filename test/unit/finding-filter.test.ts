// The welcome's Bloom filter of finding digests (src/protocol/finding-filter.ts), the collector's
// per-class cache of it (src/collector/class-digest-filters.ts), and the agent's use of it
// (src/agent/finding-refs.ts).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FindingRefs, MAX_INLINE_CHARS } from '../../src/agent/finding-refs.js';
import { ClassDigestFilters, MAX_CLASS_DIGESTS } from '../../src/collector/class-digest-filters.js';
import { findingText } from '../../src/protocol/finding-digest.js';
import { FindingFilter, MAX_FILTER_BITS } from '../../src/protocol/finding-filter.js';
import { parseCollectorMessage, type WireFinding } from '../../src/protocol/messages.js';
import { snapshotMessage } from '../support/protocol-agent.js';

const digestOf = (s: string): string => createHash('sha256').update(s).digest('base64url');
const digests = (prefix: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => digestOf(`${prefix}-${i}`));

/** The positions a digest sets, read from its decoded bytes (not from base64url characters). */
function positions(digest: string, m: number, k: number): number[] {
  const bytes = Buffer.from(digest, 'base64url');
  const b = Math.log2(m);
  let bits = '';
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0');
  return Array.from({ length: k }, (_, i) => parseInt(bits.slice(i * b, (i + 1) * b), 2));
}

describe('the finding filter', () => {
  it("takes its positions straight from the digest's bits, least significant bit of a byte first", () => {
    const d = digestOf('one finding');
    const filter = FindingFilter.of([d]);
    const { bits, hashes } = filter.toWire();
    const bytes = Buffer.from(bits, 'base64url');
    const set = new Set(positions(d, filter.size, hashes));
    for (let p = 0; p < filter.size; p++) expect(((bytes[p >> 3]! >> (p & 7)) & 1) === 1).toBe(set.has(p));
  });

  it('holds every digest it was made of, and says so again after the wire', () => {
    for (const n of [0, 1, 200, 5000]) {
      const ds = digests(`held${n}`, n);
      const filter = FindingFilter.fromWire(FindingFilter.of(ds).toWire());
      expect(ds.every((d) => filter.has(d))).toBe(true);
    }
  });

  it('is sized at 20 to 40 bits a digest, and its false positives stay under 0.02 %', () => {
    for (const n of [1, 12, 13, 20, 200, 1000, MAX_CLASS_DIGESTS]) {
      const filter = FindingFilter.of(digests(`size${n}`, n));
      expect(filter.size / n).toBeGreaterThanOrEqual(20);
      expect(filter.size).toBeLessThanOrEqual(Math.max(256, 40 * n));
      const probes = digests(`absent${n}`, 100_000);
      const positives = probes.filter((d) => filter.has(d)).length;
      expect(positives / probes.length).toBeLessThanOrEqual(0.0002);
    }
    const largest = FindingFilter.of(digests('max', MAX_CLASS_DIGESTS));
    expect(largest.size).toBe(MAX_FILTER_BITS);
    expect(largest.toWire().bits.length).toBe(21_846);
  });

  it('answers false for what is not a digest', () => {
    const filter = FindingFilter.fromWire({ hashes: 1, bits: Buffer.alloc(32, 0xff).toString('base64url') });
    expect(filter.has(digestOf('x'))).toBe(true);
    expect(filter.has('short')).toBe(false);
    expect(filter.has(`é${digestOf('x').slice(1)}`)).toBe(false);
  });

  it('is refused in a welcome unless it is one: base64url, a power of two of bits, bounded', () => {
    const welcome = (findingFilter: unknown, findingDigests = true): string =>
      JSON.stringify({
        v: 1,
        type: 'welcome',
        collectorVersion: 'x',
        heartbeatIntervalMs: 1000,
        findingDigests,
        findingFilter,
      });
    const ok = FindingFilter.of(digests('w', 10)).toWire();
    expect(parseCollectorMessage(welcome(ok))).toMatchObject({ findingFilter: ok });
    // Only with findingDigests: a filter alone means nothing.
    expect(parseCollectorMessage(welcome(ok, false))).not.toHaveProperty('findingFilter');
    const bytes = (n: number): string => Buffer.alloc(n).toString('base64url');
    for (const [bad, reason] of [
      [{ hashes: 3, bits: `${ok.bits.slice(1)}+` }, 'bits are not base64url'],
      [{ hashes: 3, bits: bytes(48) }, 'bits must be a power of two'],
      [{ hashes: 3, bits: bytes(16) }, 'bits must be a power of two'],
      [{ hashes: 3, bits: bytes(MAX_FILTER_BITS / 4) }, 'longer than'],
      [{ hashes: 0, bits: bytes(32) }, 'hashes must be an integer from 1 to 16'],
      [{ hashes: 2.5, bits: bytes(32) }, 'hashes must be an integer'],
      [{ hashes: 16, bits: bytes(MAX_FILTER_BITS / 8) }, 'hashes must be an integer from 1 to 15'],
      [{ hashes: 3 }, '"bits" must be a string'],
      ['x', 'findingFilter must be an object'],
    ] as const)
      expect(() => parseCollectorMessage(welcome(bad)), JSON.stringify(bad).slice(0, 80)).toThrow(reason);
  });
});

describe('the per-class filters', () => {
  const shared = digests('shared', 180);
  const held = (): readonly string[] => shared;

  it('offers an empty filter for a class it does not know: every body inline', () => {
    const filters = new ClassDigestFilters();
    const wire = filters.forWelcome('h')!;
    const filter = FindingFilter.fromWire(wire);
    expect(shared.some((d) => filter.has(d))).toBe(false);
  });

  it('learns a digest once a second node sends inline what the table held, not from one node alone', () => {
    const filters = new ClassDigestFilters();
    const own = digests('own-a', 20);
    filters.learn('h', 'node-a', own, held); // node-a sent its own again (reconnected)
    filters.learn('h', 'node-a', own, held);
    let filter = FindingFilter.fromWire(filters.forWelcome('h')!);
    expect(own.some((d) => filter.has(d))).toBe(false);
    expect(filters.size).toBe(0);

    filters.learn('h', 'node-b', shared, held);
    filters.learn('h', 'node-c', shared, held);
    const wire = filters.forWelcome('h')!;
    filter = FindingFilter.fromWire(wire);
    expect(shared.every((d) => filter.has(d))).toBe(true);
    expect(own.some((d) => filter.has(d))).toBe(false);
    // Nothing new: the same text, not rebuilt.
    filters.learn('h', 'node-d', shared, held);
    expect(filters.forWelcome('h')).toBe(wire);
    // Another class knows nothing of it.
    expect(FindingFilter.fromWire(filters.forWelcome('other')!).has(shared[0]!)).toBe(false);
  });

  it('starts again from one snapshot past its bound, and offers none when one snapshot exceeds it', () => {
    const filters = new ClassDigestFilters({ digests: 200, classes: 4 });
    const more = digests('more', 30);
    for (const node of ['a', 'b']) filters.learn('h', node, shared, held);
    for (const node of ['a', 'b']) filters.learn('h', node, more, () => more);
    const filter = FindingFilter.fromWire(filters.forWelcome('h')!);
    expect(more.every((d) => filter.has(d))).toBe(true);
    expect(filters.size).toBe(30);

    const huge = digests('huge', 201);
    for (const node of ['a', 'b']) filters.learn('big', node, huge, () => huge);
    expect(filters.forWelcome('big')).toBeUndefined();
  });

  it('keeps at most its bound of classes, dropping the least recently rebuilt', () => {
    const filters = new ClassDigestFilters({ digests: 200, classes: 2 });
    for (const c of ['x', 'y', 'z']) for (const node of ['a', 'b']) filters.learn(c, node, shared, held);
    expect(FindingFilter.fromWire(filters.forWelcome('x')!).has(shared[0]!)).toBe(false);
    expect(FindingFilter.fromWire(filters.forWelcome('z')!).has(shared[0]!)).toBe(true);
  });
});

describe("the agent's snapshot by reference", () => {
  const finding = (i: number, message: string): WireFinding => ({
    key: `k${i}`,
    id: 'mirror-unreachable',
    severity: 'warning',
    message,
    file: null,
    line: null,
    scope: null,
    fix: 'f',
    image: null,
    host: null,
  });

  it('inlines what the filter lacks, each text once, up to its bound; the rest it answers when asked', () => {
    const big = Array.from({ length: 40 }, (_, i) => finding(i, 'x'.repeat(16_000)));
    const findings = [...big, big[0]!];
    const refs = new FindingRefs();
    const empty = FindingFilter.of([]);
    const m = refs.byReference(snapshotMessage(findings, 3), empty);
    expect(m.findingRefs).toHaveLength(41);
    expect(m.findingRefs[40]).toBe(m.findingRefs[0]);
    const inline = m.findingBodies!;
    expect(inline.reduce((n, t) => n + t.length, 0)).toBeLessThanOrEqual(MAX_INLINE_CHARS);
    expect(inline.length).toBeGreaterThan(20);
    expect(inline.length).toBeLessThan(40);
    expect(inline).toEqual(big.slice(0, inline.length).map(findingText));
    // The rest, by the request.
    const rest = m.findingRefs.slice(inline.length, 40);
    expect(refs.bodies(3, rest)).toEqual(big.slice(inline.length).map(findingText));

    // What the filter holds stays out.
    const held = FindingFilter.of(m.findingRefs.slice(0, 39));
    expect(refs.byReference(snapshotMessage(findings, 4), held).findingBodies).toEqual([
      findingText(big[39]!),
    ]);
    // No filter (an older collector): references only.
    expect(refs.byReference(snapshotMessage(findings, 5))).not.toHaveProperty('findingBodies');
  });
});
