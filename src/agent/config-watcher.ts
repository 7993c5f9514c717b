// Notices changes of the host configuration: fs.watch on every configuration directory (events are
// only a hint, debounced) plus a periodic re-read of the digests, which catches what watches miss
// (bind mounts, inotify limits). A change is reported only when the config hash really changed.
import { watch, type FSWatcher } from 'node:fs';
import type { NodeRoot } from '../host/node-root.js';
import { readConfigFiles, type ConfigFiles } from './config-files.js';

export interface ConfigWatcherOptions {
  readonly root: NodeRoot;
  readonly pollMs: number;
  readonly debounceMs?: number;
  /** Extra node paths to hash (global_auth_file, signature_policy). */
  readonly extra: () => readonly string[];
  readonly current: () => string;
  readonly onChange: (files: ConfigFiles) => void;
  readonly onError: (err: Error) => void;
}

export class ConfigWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private debounce: NodeJS.Timeout | null = null;
  private poll: NodeJS.Timeout | null = null;
  private checking = false;
  private again = false;
  private stopped = false;

  constructor(private readonly options: ConfigWatcherOptions) {}

  start(directories: readonly string[]): void {
    this.watchDirectories(directories);
    this.poll = setInterval(() => void this.check(), this.options.pollMs);
    this.poll.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.debounce) clearTimeout(this.debounce);
    if (this.poll) clearInterval(this.poll);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** Re-reads the digests now; reports a change if the hash differs from the loaded one. */
  async check(): Promise<void> {
    if (this.stopped) return;
    if (this.checking) {
      this.again = true;
      return;
    }
    this.checking = true;
    try {
      const files = await readConfigFiles(this.options.root, this.options.extra());
      this.watchDirectories(files.directories);
      if (!this.stopped && files.hash !== this.options.current()) this.options.onChange(files);
    } catch (err) {
      this.options.onError(err as Error);
    } finally {
      this.checking = false;
      if (this.again) {
        this.again = false;
        void this.check();
      }
    }
  }

  private hint(): void {
    if (this.stopped) return;
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.check(), this.options.debounceMs ?? 250);
  }

  private watchDirectories(directories: readonly string[]): void {
    const wanted = new Set(directories);
    for (const [dir, w] of this.watchers) {
      if (!wanted.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(this.options.root.hostPath(dir), { persistent: false }, () => this.hint());
        // A watched directory that is removed errors; the periodic check re-establishes the set.
        w.on('error', () => {
          w.close();
          this.watchers.delete(dir);
          this.hint();
        });
        this.watchers.set(dir, w);
      } catch {
        // vanished since the listing; the next check sees it
      }
    }
  }
}
