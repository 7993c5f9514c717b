// One agent's WebSocket, collector side: sends with backpressure. `images` is coalesced (only the
// latest set matters) while the socket's buffer is full; a trace request is refused instead.
import type WebSocket from 'ws';
import { encode, type CollectorMessage, type ImagesMessage } from '../protocol/messages.js';

/** Above this many unsent bytes the peer is not keeping up. */
export const HIGH_WATER_BYTES = 1024 * 1024;
export class AgentConnection {
  node: string | null = null;
  alive = true;
  private pendingImages: ImagesMessage | null = null;
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly socket: WebSocket,
    readonly id: number,
    readonly remote: string,
  ) {}

  get congested(): boolean {
    return this.socket.bufferedAmount > HIGH_WATER_BYTES;
  }

  /** False when the message was not sent (socket closed or congested). */
  send(message: CollectorMessage): boolean {
    if (this.socket.readyState !== this.socket.OPEN) return false;
    if (message.type === 'images') {
      if (this.congested) {
        this.pendingImages = message;
        this.scheduleFlush();
        return true;
      }
      this.pendingImages = null;
    } else if (this.congested && message.type === 'trace-request') return false;
    this.socket.send(encode(message));
    return true;
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== null) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      const pending = this.pendingImages;
      if (pending !== null) this.send(pending);
    }, 100);
  }

  dispose(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.pendingImages = null;
  }
}
