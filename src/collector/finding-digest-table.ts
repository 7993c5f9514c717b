// The finding bodies the collector can name by digest, so an agent's snapshot may carry digests in
// place of bodies. Only bodies whose text the collector hashed itself enter (snapshot-assembly.ts),
// so an entry is the truth about its digest whoever sent it. A bounded cache in two generations:
// a lookup keeps an entry in the young one, and when the young one fills up the old one is dropped
// whole. What a pool's nodes share is looked up on every snapshot and stays; one node's own
// findings age out. A miss costs a findings-request, never a wrong answer.
//
// A body enters only the second time it arrives (offer): the first time leaves a fingerprint in a
// direct-mapped array. Most bodies that arrive are one node's own (20 of the bench's 200 per node,
// 300,000 at 15,000 nodes), which no other node names; kept, they would turn the generations over
// every few thousand nodes (Map inserts, then whole generations to collect) and push out what pools
// share. What two snapshots carried (another node's, or the same node's next) is worth keeping.
import type { WireFinding } from '../protocol/messages.js';
import { findingBytes } from './node-limits.js';

export interface DigestTableLimits {
  /** Entries per generation. */
  readonly entries: number;
  /** Estimated bytes of the bodies per generation (findings can be 32 KiB each). */
  readonly bytes: number;
}

/** About 100,000 bodies and 32 MiB at most, across both generations. */
export const DIGEST_TABLE_LIMITS: DigestTableLimits = { entries: 50_000, bytes: 16 * 1024 * 1024 };

/** Slots of the seen-once array (2^17: 512 KiB): a slot holds 30 bits of the last digest there. */
const SEEN_ONCE_BITS = 17;

const DIGIT = new Int32Array(128);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].entries())
  DIGIT[c.charCodeAt(0)] = i;

/** `n` base64url characters of `digest` from `at`, as bits (n ≤ 5). */
function digestBits(digest: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) v = (v << 6) | DIGIT[digest.charCodeAt(i) & 127]!;
  return v;
}

export class FindingDigestTable {
  private young = new Map<string, WireFinding>();
  private old = new Map<string, WireFinding>();
  private youngBytes = 0;
  /**
   * The last snapshot resolved in full: the nodes of a pool list their shared findings in the same
   * order, so the next snapshot's digest at a position is most often this one's, and comparing two
   * strings is cheaper than hashing one and probing the table.
   */
  private lastRefs: readonly string[] = [];
  private lastBodies: readonly WireFinding[] = [];
  /** The interner epoch the bodies were interned in. */
  private epoch = 0;
  /** Digests that arrived once: a fingerprint (never 0) at a slot taken from the digest's first bits. */
  private readonly seenOnce = new Int32Array(1 << SEEN_ONCE_BITS);

  constructor(private readonly limits: DigestTableLimits = DIGEST_TABLE_LIMITS) {}

  /** The body of each digest the table holds (undefined for the others). */
  resolve(refs: readonly string[]): (WireFinding | undefined)[] {
    const bodies = new Array<WireFinding | undefined>(refs.length);
    const lastRefs = this.lastRefs;
    for (let i = 0; i < refs.length; i++) {
      const digest = refs[i]!;
      bodies[i] = digest === lastRefs[i] ? this.lastBodies[i] : this.get(digest);
    }
    return bodies;
  }

  /** A snapshot whose every body is known (checked against its digest): the next one may match it. */
  resolved(refs: readonly string[], bodies: readonly WireFinding[]): void {
    this.lastRefs = refs;
    this.lastBodies = bodies;
  }

  get(digest: string): WireFinding | undefined {
    const hit = this.young.get(digest);
    if (hit !== undefined) return hit;
    const aged = this.old.get(digest);
    if (aged !== undefined) this.set(digest, aged);
    return aged;
  }

  /**
   * A body that arrived (checked against its digest by the caller): kept the second time. Its
   * digest is well-formed (the hash of the text it came with).
   */
  offer(digest: string, body: WireFinding): void {
    const slot = digestBits(digest, 0, 3) & ((1 << SEEN_ONCE_BITS) - 1);
    const fingerprint = digestBits(digest, 3, 5) | (1 << 30);
    if (this.seenOnce[slot] !== fingerprint) {
      this.seenOnce[slot] = fingerprint;
      return;
    }
    this.seenOnce[slot] = 0;
    this.set(digest, body);
  }

  /** `body` must be the finding whose JSON text hashes to `digest` (checked by the caller). */
  set(digest: string, body: WireFinding): void {
    if (this.young.has(digest)) return;
    const bytes = findingBytes(body);
    if (this.young.size >= this.limits.entries || this.youngBytes + bytes > this.limits.bytes)
      this.turnOver();
    this.young.set(digest, body);
    this.youngBytes += bytes;
  }

  /**
   * The young generation becomes the old one. What the last resolved snapshot named is carried into
   * the new one (up to half of it): resolve() answers those by position without a lookup, so they
   * would otherwise age out while every snapshot still names them.
   */
  private turnOver(): void {
    this.old = this.young;
    this.young = new Map();
    this.youngBytes = 0;
    const refs = this.lastRefs;
    for (let i = 0; i < refs.length; i++) {
      const bytes = findingBytes(this.lastBodies[i]!);
      if (this.young.size >= this.limits.entries / 2 || this.youngBytes + bytes > this.limits.bytes / 2)
        break;
      if (this.young.has(refs[i]!)) continue;
      this.young.set(refs[i]!, this.lastBodies[i]!);
      this.youngBytes += bytes;
    }
  }

  /**
   * Forgets every body when the interner was rebuilt since they were set: a body here is always the
   * interner's shared copy, so a snapshot resolved from the table needs no interning.
   */
  sync(epoch: number): void {
    if (epoch === this.epoch) return;
    this.epoch = epoch;
    this.young = new Map();
    this.old = new Map();
    this.youngBytes = 0;
    this.lastRefs = [];
    this.lastBodies = [];
  }

  get size(): number {
    return this.young.size + this.old.size;
  }
}
