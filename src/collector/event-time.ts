import type { CoreV1Event } from '@kubernetes/client-node';

/** When an Event last happened, from whichever of its time fields the emitter filled in. */
export function eventLastSeen(e: CoreV1Event): Date | null {
  const t =
    e.lastTimestamp ??
    e.series?.lastObservedTime ??
    e.eventTime ??
    e.firstTimestamp ??
    e.metadata.creationTimestamp;
  if (t === undefined || t === null) return null;
  const d = t instanceof Date ? t : new Date(String(t));
  return Number.isNaN(d.getTime()) ? null : d;
}
