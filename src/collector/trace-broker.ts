// Pending trace requests: each waits for its agent's trace-result, its deadline, or the agent's
// disconnection, whichever comes first.
import { randomUUID } from 'node:crypto';
import type { TraceResultMessage } from '../protocol/messages.js';

export type TraceOutcome =
  | { readonly kind: 'result'; readonly message: TraceResultMessage }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'disconnected' };

interface Pending {
  readonly connection: number;
  readonly resolve: (outcome: TraceOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

export class TraceBroker {
  private readonly pending = new Map<string, Pending>();

  /** Registers a request; `send` transmits it and returns false when the agent cannot take it now. */
  open(connection: number, timeoutMs: number): { requestId: string; result: Promise<TraceOutcome> } {
    const requestId = randomUUID();
    const result = new Promise<TraceOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      this.pending.set(requestId, { connection, resolve, timer });
    });
    return { requestId, result };
  }

  cancel(requestId: string): void {
    const p = this.pending.get(requestId);
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.pending.delete(requestId);
    p.resolve({ kind: 'disconnected' });
  }

  /** An answer from connection `connection`; answers to someone else's request are ignored. */
  settle(connection: number, message: TraceResultMessage): boolean {
    const p = this.pending.get(message.requestId);
    if (p === undefined || p.connection !== connection) return false;
    clearTimeout(p.timer);
    this.pending.delete(message.requestId);
    p.resolve({ kind: 'result', message });
    return true;
  }

  connectionClosed(connection: number): void {
    for (const [id, p] of this.pending)
      if (p.connection === connection) {
        clearTimeout(p.timer);
        this.pending.delete(id);
        p.resolve({ kind: 'disconnected' });
      }
  }

  get size(): number {
    return this.pending.size;
  }
}
