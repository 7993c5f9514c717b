// Finding changes waiting to be sent: coalesced by finding key (the latest state wins) and bounded.
// When the bound is hit, the details are dropped and the next flush sends a full snapshot instead.
import type { HostProbe, ImageStatus, WireFinding } from '../protocol/messages.js';

export interface PendingDelta {
  readonly added: WireFinding[];
  readonly cleared: string[];
  readonly hosts: HostProbe[];
  readonly images: ImageStatus[];
}

export class Outbox {
  private added = new Map<string, WireFinding>();
  private cleared = new Set<string>();
  private hosts = new Map<string, HostProbe>();
  private images = new Map<string, ImageStatus>();
  private overflowed = false;

  constructor(private readonly maxEntries: number) {}

  get empty(): boolean {
    return (
      !this.overflowed &&
      this.added.size === 0 &&
      this.cleared.size === 0 &&
      this.hosts.size === 0 &&
      this.images.size === 0
    );
  }

  /** True when changes were dropped: only a snapshot can bring the peer up to date. */
  get needsSnapshot(): boolean {
    return this.overflowed;
  }

  add(delta: {
    added: readonly WireFinding[];
    cleared: readonly string[];
    hosts: readonly HostProbe[];
    images: readonly ImageStatus[];
  }): void {
    if (this.overflowed) return;
    for (const f of delta.added) {
      this.cleared.delete(f.key);
      this.added.set(f.key, f);
    }
    for (const k of delta.cleared) {
      this.added.delete(k);
      this.cleared.add(k);
    }
    for (const h of delta.hosts) this.hosts.set(h.host, h);
    for (const i of delta.images) this.images.set(i.image, i);
    if (this.added.size + this.cleared.size + this.hosts.size + this.images.size > this.maxEntries) {
      this.clear();
      this.overflowed = true;
    }
  }

  take(): PendingDelta {
    const out = {
      added: [...this.added.values()],
      cleared: [...this.cleared],
      hosts: [...this.hosts.values()],
      images: [...this.images.values()],
    };
    this.clear();
    return out;
  }

  clear(): void {
    this.added = new Map();
    this.cleared = new Set();
    this.hosts = new Map();
    this.images = new Map();
    this.overflowed = false;
  }
}
