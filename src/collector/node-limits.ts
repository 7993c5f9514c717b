// How much the collector keeps per node, whatever its agent sends and however often it reconnects.
// The limits are on the node's stored state, not on a connection, so a peer that reconnects and
// sends again cannot add to what a previous connection left behind. A healthy agent stays far below
// them (the bench's nodes hold 200 findings, 5 hosts and 20 images in ~100 KiB).
import { sourceCredentialsBytes } from '../core/credentials/source-credentials.js';
import type { ConfigFileDigest, HostProbe, ImageStatus, WireFinding } from '../protocol/messages.js';
import { MAX_MESSAGE_BYTES } from '../protocol/messages.js';

export const NODE_LIMITS = {
  findings: 5_000,
  hosts: 1_000,
  images: 2_000,
  /** Estimated bytes of everything stored for the node: what one full-size snapshot can carry. */
  bytes: MAX_MESSAGE_BYTES,
} as const;

export type NodeLimit = keyof typeof NODE_LIMITS;

/** Per-item overhead in the estimate: field names, numbers and the object itself. */
const ITEM_OVERHEAD = 64;

function length(s: string | null | undefined): number {
  return s?.length ?? 0;
}

export function findingBytes(f: WireFinding): number {
  return (
    ITEM_OVERHEAD +
    f.key.length +
    f.id.length +
    f.message.length +
    f.fix.length +
    length(f.file) +
    length(f.scope) +
    length(f.image) +
    length(f.host)
  );
}

export function hostBytes(h: HostProbe): number {
  return ITEM_OVERHEAD + h.host.length + h.outcome.length + h.probedAt.length;
}

export function imageBytes(i: ImageStatus): number {
  let keys = 0;
  for (const k of i.findingKeys) keys += k.length + 8;
  return (
    ITEM_OVERHEAD +
    i.image.length +
    length(i.source) +
    length(i.digest) +
    keys +
    sourceCredentialsBytes(i.sources)
  );
}

export function fileBytes(f: ConfigFileDigest): number {
  return ITEM_OVERHEAD + f.path.length + f.sha256.length;
}

export interface Fitted<T> {
  readonly kept: readonly T[];
  readonly bytes: number;
  /** Which limit dropped items, or null when everything fit. */
  readonly hit: 'count' | 'bytes' | null;
}

/** The longest prefix of `items` within `maxCount` items and `byteAllowance` estimated bytes. */
export function fit<T>(
  items: readonly T[],
  maxCount: number,
  byteAllowance: number,
  size: (t: T) => number,
): Fitted<T> {
  let bytes = 0;
  const n = Math.min(items.length, maxCount);
  for (let i = 0; i < n; i++) {
    const b = size(items[i]!);
    if (bytes + b > byteAllowance) return { kept: items.slice(0, i), bytes, hit: 'bytes' };
    bytes += b;
  }
  return {
    kept: n === items.length ? items : items.slice(0, n),
    bytes,
    hit: n < items.length ? 'count' : null,
  };
}
