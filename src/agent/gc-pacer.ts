// A full garbage collection after every so many image checks, when node runs with --expose-gc (the
// DaemonSet's flags). Why: V8 lets its old generation grow a fixed step (8 MiB) past what was live at
// the last full collection before it collects again, whatever the heap limit. A check that waits on
// probes outlives two scavenges of the small new space (--max-semi-space-size=1) and is promoted, so
// a scan that checks hundreds of images (the first one, the one after a configuration change or an
// expired answer TTL) filled those 8 MiB with dead traces, and the agent's peak RSS was its live heap
// plus 8 MiB. Collecting every CHECKS_PER_COLLECTION checks bounds that to what so many checks
// promote. A collection of the agent's heap takes a few milliseconds; a warm scan, which checks only
// what changed, rarely reaches one.
export const CHECKS_PER_COLLECTION = 128;

export class GcPacer {
  private checks = 0;

  constructor(
    private readonly every = CHECKS_PER_COLLECTION,
    /** globalThis.gc: defined only with --expose-gc; without it the pacer does nothing. */
    private readonly gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc,
  ) {}

  /** One image check done (not one reused from the last scan). */
  checked(): void {
    if (this.gc === undefined || ++this.checks < this.every) return;
    this.checks = 0;
    this.gc();
  }
}
