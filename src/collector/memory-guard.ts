// Sheds memory before V8 runs out of heap, in a stated order, cheapest loss first, rather than dying
// of an out-of-memory:
//   1. at SHED_REPORT of the heap limit: the cached report, rebuilt on the next read (incrementally:
//      the report memo stays), so no reader notices more than one build's wait;
//   2. at SHED_HISTORY: the report history (the reports that continue tokens of paged reads point
//      at); those readers get 410 and start again;
//   3. at REFUSE_AGENTS: new agent connections are refused with 503 and Retry-After (connected
//      agents stay; agents retry) until usage is back under RESUME_AGENTS.
// The steps act on usage read after a major garbage collection only: between collections the heap
// also holds garbage (a burst of agent snapshots leaves hundreds of MiB of it), which must not make
// the collector refuse agents. A reading once a second may only end the refusal (usage under
// RESUME_AGENTS with garbage included is under it without).
import type { Duplex } from 'node:stream';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

export const SHED_REPORT = 0.7;
export const SHED_HISTORY = 0.78;
export const REFUSE_AGENTS = 0.85;
export const RESUME_AGENTS = 0.75;
/** A step is repeated at most this often: shedding what a reader rebuilds at once would only churn. */
const SHED_EVERY_MS = 10_000;

export const SHED_STEPS = ['report', 'history', 'agents'] as const;
export type ShedStep = (typeof SHED_STEPS)[number];

export interface MemoryGuardOptions {
  /** Step 1: drop the cached report (rebuilt on demand). */
  readonly shedReport: () => void;
  /** Step 2: drop the reports paged readers hold. */
  readonly shedHistory: () => void;
  readonly log: (message: string) => void;
  /** Each step taken (metrics). */
  readonly onStep?: (step: ShedStep) => void;
  /** Heap in use and its limit (bytes); V8's by default. */
  readonly heap?: () => { used: number; limit: number };
  readonly intervalMs?: number;
}

/** V8's heap in use and its limit, in bytes. */
export function v8Heap(): { used: number; limit: number } {
  const s = getHeapStatistics();
  return { used: s.used_heap_size, limit: s.heap_size_limit };
}

export class MemoryGuard {
  private refusing = false;
  private reportShedAt = -Infinity;
  private historyShedAt = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private observer: PerformanceObserver | null = null;
  /** How often each step ran (shown in logs; tests read it). */
  readonly counts = { reportShed: 0, historyShed: 0, agentsRefused: 0 };

  constructor(private readonly options: MemoryGuardOptions) {}

  start(): void {
    this.timer = setInterval(() => this.checkBetweenCollections(), this.options.intervalMs ?? 1000);
    this.timer.unref();
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries())
        if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)
          this.check();
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.observer?.disconnect();
  }

  /** True while new agent connections are to be refused. */
  get refusingAgents(): boolean {
    return this.refusing;
  }

  /** A reading that may include garbage: it can only tell that memory is back under RESUME_AGENTS. */
  checkBetweenCollections(): void {
    const { used, limit } = (this.options.heap ?? v8Heap)();
    if (this.refusing && used / limit < RESUME_AGENTS) this.resume(used / limit);
  }

  /** A reading right after a major garbage collection: what is in use is what is live. */
  check(): void {
    const { used, limit } = (this.options.heap ?? v8Heap)();
    const share = used / limit;
    const now = Date.now();
    const percent = Math.round(share * 100);
    if (share >= SHED_REPORT && now - this.reportShedAt >= SHED_EVERY_MS) {
      this.reportShedAt = now;
      this.counts.reportShed++;
      this.options.shedReport();
      this.options.onStep?.('report');
      this.options.log(
        `heap at ${percent}% of its limit: dropped the cached report (rebuilt on the next read)`,
      );
    }
    if (share >= SHED_HISTORY && now - this.historyShedAt >= SHED_EVERY_MS) {
      this.historyShedAt = now;
      this.counts.historyShed++;
      this.options.shedHistory();
      this.options.onStep?.('history');
      this.options.log(
        `heap at ${percent}% of its limit: dropped the report history (paged readers start again)`,
      );
    }
    if (!this.refusing && share >= REFUSE_AGENTS) {
      this.refusing = true;
      this.counts.agentsRefused++;
      this.options.onStep?.('agents');
      this.options.log(
        `heap at ${percent}% of its limit: refusing new agent connections until it is under ${RESUME_AGENTS * 100}%`,
      );
    } else if (this.refusing && share < RESUME_AGENTS) this.resume(share);
  }

  private resume(share: number): void {
    this.refusing = false;
    this.options.log(`heap at ${Math.round(share * 100)}% of its limit: accepting agent connections again`);
  }
}

/** Answers an agent's WebSocket upgrade with 503 while memory is short (agents retry after the delay). */
export function refuseUpgrade(socket: Duplex): void {
  const body = 'the collector is short of memory; retry later\n';
  socket.end(
    `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 30\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
