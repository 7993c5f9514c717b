// One connection's snapshots on their way into the node store. A snapshot with bodies goes straight
// in; one with `findingRefs` takes its bodies from the digest table and from its inline
// `findingBodies` (what the welcome's filter lacked) and, for the digests still unknown (a false
// positive of the filter, a body the table let go, an agent without a filter), waits for the
// agent's finding-bodies. While it waits, the connection's deltas queue behind
// it (bounded), so state is applied in the order the agent sent it. A waiting snapshot is bounded
// in time too: an agent that never answers is closed, and cannot pin the collector's memory.
//
// Every body is hashed here before anything uses it: a text that is not the text of a digest this
// connection was asked for closes the connection, and a message's bodies enter the shared table only
// when all of them check out.
import {
  isFindingDigest,
  MAX_MESSAGE_BYTES,
  NOT_A_DIGEST,
  parseFindingBody,
  ProtocolError,
  type DeltaMessage,
  type FindingBodiesMessage,
  type FindingsRequestMessage,
  type SnapshotMessage,
  type SnapshotRefsMessage,
  type SnapshotRequestMessage,
  type WireFinding,
} from '../protocol/messages.js';
import { textDigest } from '../protocol/finding-digest.js';
import type { FindingDigestTable } from './finding-digest-table.js';

/** How long a snapshot waits for its bodies before the connection is closed. */
export const FINDING_BODIES_DEADLINE_MS = 30_000;
/** Deltas that may queue behind a waiting snapshot (the node's message budget bounds them too). */
export const MAX_QUEUED_DELTAS = 100;
/** And their characters: past either bound, the wait is dropped and a fresh snapshot requested. */
export const MAX_QUEUED_DELTA_CHARS = MAX_MESSAGE_BYTES;

export interface SnapshotAssemblyHooks {
  readonly table: FindingDigestTable;
  /** The store's shared copy of a finding (the table then holds that one). */
  readonly intern: (f: WireFinding) => WireFinding;
  /** The store's interner epoch (NodeStore.internerEpoch). */
  readonly internerEpoch: () => number;
  /** `interned`: every finding is the interner's shared copy of this epoch (no interning needed). */
  readonly applySnapshot: (m: SnapshotMessage, interned: boolean) => void;
  readonly applyDelta: (m: DeltaMessage) => void;
  readonly send: (m: FindingsRequestMessage | SnapshotRequestMessage) => void;
  /**
   * A snapshot of `configHash` carried inline bodies of `fresh`, digests the table already held (its
   * welcome's filter lacked them); `held`: every digest of it the table held (ClassDigestFilters).
   */
  readonly learn?: (configHash: string, fresh: readonly string[], held: () => readonly string[]) => void;
  /** Closes the connection: the peer broke the protocol. */
  readonly refuse: (reason: string) => void;
  readonly deadlineMs?: number;
}

interface Waiting {
  readonly message: SnapshotRefsMessage;
  /** The body of each reference, once known. */
  readonly bodies: (WireFinding | undefined)[];
  /** The digests asked for. */
  readonly missing: ReadonlySet<string>;
  readonly deltas: DeltaMessage[];
  deltaChars: number;
  readonly timer: NodeJS.Timeout;
  /** The interner epoch `bodies` were resolved in. */
  readonly epoch: number;
}

/** The snapshot with its bodies, written out (a spread copy costs more, once per agent). */
function withBodies(m: SnapshotRefsMessage, findings: readonly WireFinding[]): SnapshotMessage {
  const out: { -readonly [K in keyof SnapshotMessage]: SnapshotMessage[K] } = {
    v: 1,
    type: 'snapshot',
    seq: m.seq,
    generatedAt: m.generatedAt,
    configHash: m.configHash,
    files: m.files,
    findings,
    hosts: m.hosts,
    images: m.images,
    scan: m.scan,
  };
  if (m.runtime !== undefined) out.runtime = m.runtime;
  return out;
}

/** Positions of a snapshot's inline bodies: parsed (new to the table) and held (the table had them). */
interface Inline {
  readonly parsed: readonly number[];
  readonly held: readonly number[];
}

const NO_INLINE: Inline = { parsed: [], held: [] };

const INLINE_MISMATCH = 'an inline finding body that is not the text of the next reference with its digest';

export class SnapshotAssembly {
  private waiting: Waiting | null = null;
  /** The highest snapshot seq asked about: a finding-bodies beyond it answers nothing asked. */
  private askedSeq = -Infinity;

  constructor(private readonly hooks: SnapshotAssemblyHooks) {}

  /** A snapshot replaces everything before it, a waiting snapshot and its queued deltas included. */
  snapshot(m: SnapshotMessage | SnapshotRefsMessage): void {
    this.drop();
    if (!('findingRefs' in m)) {
      this.hooks.applySnapshot(m, false);
      return;
    }
    const refs = m.findingRefs;
    const epoch = this.hooks.internerEpoch();
    this.hooks.table.sync(epoch);
    const bodies = this.hooks.table.resolve(refs);
    const inline =
      m.findingBodies !== undefined && m.findingBodies.length > 0 ? this.inline(m, bodies) : NO_INLINE;
    if (inline === null) return;
    // What is still unknown: first a well-formed digest (a table hit is one by construction), then
    // asked for (a Set only on this path, which the filter makes rare).
    let missing: Set<string> | null = null;
    for (let i = 0; i < refs.length; i++) {
      if (bodies[i] !== undefined) continue;
      const d = refs[i]!;
      if (!isFindingDigest(d)) {
        this.refuse(NOT_A_DIGEST);
        return;
      }
      (missing ??= new Set()).add(d);
    }
    if (inline !== NO_INLINE) this.keep(m, bodies, inline);
    if (missing === null) {
      this.apply(m, bodies as WireFinding[], epoch);
      return;
    }
    const deadlineMs = this.hooks.deadlineMs ?? FINDING_BODIES_DEADLINE_MS;
    const timer = setTimeout(() => {
      this.drop();
      this.hooks.refuse(`finding bodies not sent within ${deadlineMs / 1000} s`);
    }, deadlineMs);
    timer.unref();
    this.waiting = { message: m, bodies, missing, deltas: [], deltaChars: 0, timer, epoch };
    this.askedSeq = Math.max(this.askedSeq, m.seq);
    this.hooks.send({ v: 1, type: 'findings-request', seq: m.seq, digests: [...missing] });
  }

  /**
   * Checks the snapshot's inline bodies into `bodies`: null when one is refused (the connection is
   * then closing). Each body must be the text of the next reference, in order, with its digest: one
   * walk, no map. Nothing is kept yet (keep(), once the whole message checks out).
   */
  private inline(m: SnapshotRefsMessage, bodies: (WireFinding | undefined)[]): Inline | null {
    const refs = m.findingRefs;
    // A digest named twice with one body inline: the other position is asked for (agents name
    // each text once; this only costs a hand-made snapshot a round trip).
    const parsed: number[] = [];
    const held: number[] = [];
    let p = 0;
    for (const text of m.findingBodies!) {
      const digest = textDigest(text);
      while (p < refs.length && refs[p] !== digest) p++;
      if (p === refs.length) {
        this.refuse(INLINE_MISMATCH);
        return null;
      }
      if (bodies[p] === undefined) {
        try {
          bodies[p] = parseFindingBody(text);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          this.refuse(err.message);
          return null;
        }
        parsed.push(p);
      } else held.push(p);
      p++;
    }
    return { parsed, held };
  }

  /**
   * The inline bodies of a snapshot that checked out, shared: interned and offered to the table. A
   * body the table held already (the filter lacked it) is kept in the table proper (it may have
   * been known only by position, FindingDigestTable.resolve) and tells the class's filter.
   */
  private keep(m: SnapshotRefsMessage, bodies: (WireFinding | undefined)[], { parsed, held }: Inline): void {
    const refs = m.findingRefs;
    const table = this.hooks.table;
    for (const i of parsed) {
      const shared = this.hooks.intern(bodies[i]!);
      bodies[i] = shared;
      table.offer(refs[i]!, shared);
    }
    if (held.length === 0) return;
    for (const i of held) table.set(refs[i]!, bodies[i]!);
    if (this.hooks.learn === undefined) return;
    const inlined = new Set(parsed);
    this.hooks.learn(
      m.configHash,
      held.map((i) => refs[i]!),
      () => refs.filter((_d, i) => bodies[i] !== undefined && !inlined.has(i)),
    );
  }

  /** `chars`: the message's length, for the bound on what may queue. */
  delta(m: DeltaMessage, chars: number): void {
    const w = this.waiting;
    if (w === null) {
      this.hooks.applyDelta(m);
      return;
    }
    if (w.deltas.length >= MAX_QUEUED_DELTAS || w.deltaChars + chars > MAX_QUEUED_DELTA_CHARS) {
      this.drop();
      this.hooks.send({ v: 1, type: 'snapshot-request' });
      return;
    }
    w.deltas.push(m);
    w.deltaChars += chars;
  }

  bodies(m: FindingBodiesMessage): void {
    const w = this.waiting;
    if (m.seq > this.askedSeq) {
      this.refuse('finding bodies for a snapshot that was not asked about');
      return;
    }
    // An answer about a snapshot a later one replaced (or whose wait was dropped): nothing to do.
    if (w === null || m.seq !== w.message.seq) return;
    const received = new Map<string, WireFinding>();
    for (const text of m.bodies) {
      const digest = textDigest(text);
      if (!w.missing.has(digest) || received.has(digest)) {
        this.refuse('a finding body that does not match a digest asked for');
        return;
      }
      let body: WireFinding;
      try {
        body = parseFindingBody(text);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        this.refuse(err.message);
        return;
      }
      received.set(digest, body);
    }
    if (received.size !== w.missing.size) {
      this.refuse(`finding-bodies lacks ${w.missing.size - received.size} of the bodies asked for`);
      return;
    }
    this.hooks.table.sync(this.hooks.internerEpoch());
    for (const [digest, body] of received) {
      const shared = this.hooks.intern(body);
      received.set(digest, shared);
      this.hooks.table.offer(digest, shared);
    }
    const refs = w.message.findingRefs;
    const bodies = w.bodies;
    for (let i = 0; i < refs.length; i++) bodies[i] ??= received.get(refs[i]!);
    this.drop();
    this.apply(w.message, bodies as WireFinding[], w.epoch);
    for (const d of w.deltas) this.hooks.applyDelta(d);
  }

  /** `epoch`: the interner epoch the first of `bodies` were resolved in. */
  private apply(m: SnapshotRefsMessage, bodies: readonly WireFinding[], epoch: number): void {
    // A rebuild while the snapshot waited: what was resolved before it is interned again by the store.
    const interned = epoch === this.hooks.internerEpoch();
    if (interned) this.hooks.table.resolved(m.findingRefs, bodies);
    this.hooks.applySnapshot(withBodies(m, bodies), interned);
  }

  /** True while a snapshot waits for its bodies. */
  get waitingForBodies(): boolean {
    return this.waiting !== null;
  }

  dispose(): void {
    this.drop();
  }

  private refuse(reason: string): void {
    this.drop();
    this.hooks.refuse(reason);
  }

  private drop(): void {
    if (this.waiting !== null) clearTimeout(this.waiting.timer);
    this.waiting = null;
  }
}
