// The agent's side of findings by reference: a snapshot's findings as digests, and the bodies the
// collector asks for. A digest is taken of the finding's JSON text (the text an answer then sends,
// so the two always agree) and only once per distinct text: the texts of the last snapshot sent
// are kept with their digests, which is also what answering a findings-request needs.
import { findingText, textDigest } from '../protocol/finding-digest.js';
import type { SnapshotMessage, SnapshotRefsMessage } from '../protocol/messages.js';

export class FindingRefs {
  /** The last snapshot's finding texts and their digests. */
  private digests = new Map<string, string>();
  /** The seq of the last snapshot sent by reference (null: the last one carried bodies). */
  private refsSeq: number | null = null;

  /** The snapshot with digests in place of its findings; remembers them for a findings-request. */
  byReference(snapshot: SnapshotMessage): SnapshotRefsMessage {
    const { findings, ...rest } = snapshot;
    const previous = this.digests;
    const digests = new Map<string, string>();
    const refs = findings.map((f) => {
      const text = findingText(f);
      const digest = digests.get(text) ?? previous.get(text) ?? textDigest(text);
      digests.set(text, digest);
      return digest;
    });
    this.digests = digests;
    this.refsSeq = snapshot.seq;
    return { ...rest, findingRefs: refs };
  }

  /** A snapshot went with bodies: a findings-request about an earlier one is moot. */
  sentBodies(): void {
    this.refsSeq = null;
  }

  /**
   * The texts of `digests` of snapshot `seq`: null when that is not the last snapshot sent by
   * reference (the collector has a newer one coming), 'unknown' when a digest is not one of it.
   */
  bodies(seq: number, digests: readonly string[]): string[] | null | 'unknown' {
    if (seq !== this.refsSeq) return null;
    const byDigest = new Map<string, string>();
    for (const [text, digest] of this.digests) byDigest.set(digest, text);
    const texts: string[] = [];
    for (const d of digests) {
      const text = byDigest.get(d);
      if (text === undefined) return 'unknown';
      texts.push(text);
    }
    return texts;
  }
}
