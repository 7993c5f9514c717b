// An informer that stays up. client-node's informers stop for good after any error other than 410,
// and are known to stall silently; this wrapper replaces a failed informer with a fresh one after an
// exponential backoff with jitter, and replaces one that has said nothing for `watchdogMs`.
import type { Informer, KubernetesObject, ObjectCache } from '@kubernetes/client-node';
import { describeKubeError } from './api-error.js';

export interface SupervisedInformerOptions<T extends KubernetesObject> {
  readonly name: string;
  readonly create: () => Informer<T> & ObjectCache<T>;
  /** Called (debounced) after any change, including a relist by a replacement informer. */
  readonly onChange: () => void;
  readonly log: (level: 'info' | 'warn', message: string) => void;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** A working watch reconnects (and so reports) at least every few minutes. */
  readonly watchdogMs?: number;
  readonly debounceMs?: number;
}

export class SupervisedInformer<T extends KubernetesObject> {
  private current: (Informer<T> & ObjectCache<T>) | null = null;
  private generation = 0;
  private failures = 0;
  private lastActivity = Date.now();
  private restartTimer: NodeJS.Timeout | null = null;
  private watchdogTimer: NodeJS.Timeout | null = null;
  private debounceTimer: NodeJS.Timeout | null = null;
  private stopped = true;
  /** Replacements so far (errors and watchdog), for metrics and tests. */
  restarts = 0;
  /** True once an informer has listed successfully. */
  synced = false;

  constructor(private readonly options: SupervisedInformerOptions<T>) {}

  start(): void {
    this.stopped = false;
    this.launch();
    const watchdogMs = this.options.watchdogMs ?? 15 * 60_000;
    this.watchdogTimer = setInterval(
      () => {
        if (this.restartTimer === null && Date.now() - this.lastActivity > watchdogMs) {
          this.options.log(
            'warn',
            `${this.options.name} informer silent for ${Math.round(watchdogMs / 1000)} s; restarting it`,
          );
          this.replace(0);
        }
      },
      Math.min(watchdogMs, 30_000),
    );
    this.watchdogTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of [this.restartTimer, this.watchdogTimer, this.debounceTimer])
      if (t !== null) clearTimeout(t);
    this.restartTimer = this.watchdogTimer = this.debounceTimer = null;
    const informer = this.current;
    this.current = null;
    await informer?.stop();
  }

  list(): readonly T[] {
    return this.current?.list() ?? [];
  }

  get(name: string, namespace?: string): T | undefined {
    return this.current?.get(name, namespace);
  }

  private launch(): void {
    const generation = ++this.generation;
    const informer = this.options.create();
    this.current = informer;
    this.lastActivity = Date.now();
    const touch = (): void => {
      if (generation !== this.generation) return;
      this.lastActivity = Date.now();
      this.changed();
    };
    informer.on('add', touch);
    informer.on('update', touch);
    informer.on('delete', touch);
    informer.on('connect', () => {
      if (generation === this.generation) this.lastActivity = Date.now();
    });
    informer.on('error', (err: unknown) => {
      if (generation !== this.generation) return;
      this.failures++;
      const delay = this.backoff();
      this.options.log(
        'warn',
        `${this.options.name} informer failed (${describeKubeError(err)}); restarting in ${Math.round(delay)} ms`,
      );
      this.replace(delay);
    });
    informer.start().then(
      () => {
        if (generation !== this.generation || this.restartTimer !== null) return;
        this.synced = true;
        this.failures = 0;
        this.changed();
      },
      (err: unknown) => {
        if (generation !== this.generation) return;
        this.failures++;
        this.replace(this.backoff());
        this.options.log('warn', `${this.options.name} informer did not start (${describeKubeError(err)})`);
      },
    );
  }

  private backoff(): number {
    const initial = this.options.initialBackoffMs ?? 1000;
    const max = this.options.maxBackoffMs ?? 60_000;
    const base = Math.min(max, initial * 2 ** Math.max(0, this.failures - 1));
    return base / 2 + Math.random() * (base / 2);
  }

  private replace(delayMs: number): void {
    if (this.stopped || this.restartTimer !== null) return;
    const old = this.current;
    // Invalidate the old informer's callbacks before stopping it.
    this.generation++;
    void old?.stop().catch(() => undefined);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopped) return;
      this.restarts++;
      this.launch();
    }, delayMs);
  }

  private changed(): void {
    if (this.debounceTimer !== null) return;
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = null;
      if (!this.stopped) this.options.onChange();
    }, this.options.debounceMs ?? 200);
  }
}
