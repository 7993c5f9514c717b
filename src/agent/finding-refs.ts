// The agent's side of findings by reference: a snapshot's findings as digests, and the bodies the
// collector asks for. A digest is taken of the finding's JSON text (the text an answer then sends,
// so the two always agree) and only once per distinct text: the texts of the last snapshot sent
// are kept with their digests, which is also what answering a findings-request needs. With the
// welcome's filter, the texts of the digests it lacks go inline, in the order of their references,
// up to MAX_INLINE_CHARS (the rest the collector asks for).
import { findingText, textDigest } from '../protocol/finding-digest.js';
import type { FindingFilter } from '../protocol/finding-filter.js';
import { MAX_MESSAGE_BYTES, type SnapshotMessage, type SnapshotRefsMessage } from '../protocol/messages.js';

/**
 * Most characters of inline bodies in one snapshot: an eighth of a message, so that even at three
 * UTF-8 bytes a character (JSON's escapes at most double an ASCII one) and with the rest of the
 * snapshot it still fits.
 */
export const MAX_INLINE_CHARS = MAX_MESSAGE_BYTES / 8;

export class FindingRefs {
  /** The last snapshot's finding texts and their digests. */
  private digests = new Map<string, string>();
  /** The seq of the last snapshot sent by reference (null: the last one carried bodies). */
  private refsSeq: number | null = null;

  /**
   * The snapshot with digests in place of its findings, and (`filter` given) inline the texts of
   * those the filter lacks; remembers them for a findings-request.
   */
  byReference(snapshot: SnapshotMessage, filter: FindingFilter | null = null): SnapshotRefsMessage {
    const { findings, ...rest } = snapshot;
    const previous = this.digests;
    const digests = new Map<string, string>();
    const inline: string[] = [];
    let inlineChars = 0;
    const refs = findings.map((f) => {
      const text = findingText(f);
      const known = digests.get(text);
      if (known !== undefined) return known; // the same text twice: one body
      const digest = previous.get(text) ?? textDigest(text);
      digests.set(text, digest);
      if (filter !== null && !filter.has(digest) && inlineChars + text.length <= MAX_INLINE_CHARS) {
        inline.push(text);
        inlineChars += text.length;
      }
      return digest;
    });
    this.digests = digests;
    this.refsSeq = snapshot.seq;
    return filter === null
      ? { ...rest, findingRefs: refs }
      : { ...rest, findingRefs: refs, findingBodies: inline };
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
