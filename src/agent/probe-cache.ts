// Registry clients for scans whose manifest answers are cached for a TTL and shared by every image:
// identical host/repository/reference probes (many pods of one image, short names resolving to the
// same repository, the stale check of a primary) go out once per TTL, concurrent ones are joined, and
// each host is paced. Failures are cached too, so a dead mirror is not retried by every image.
import { ClientCache } from '../probe/client-cache.js';
import type {
  ManifestAnswer,
  RegistryClient,
  RegistryClientConfig,
  StepLog,
} from '../probe/registry-client.js';
import type { HostPacer } from './limits.js';

export interface ProbeObserver {
  /** One real manifest request (not served from the cache). */
  probe(host: string, seconds: number, outcome: string): void;
}

interface Entry {
  readonly at: number;
  readonly answer: Promise<ManifestAnswer>;
}

export class CachingClientCache extends ClientCache {
  private readonly wrapped = new WeakMap<RegistryClient, RegistryClient>();
  private readonly ids = new WeakMap<RegistryClient, number>();
  private nextId = 0;
  private readonly answers = new Map<string, Entry>();
  /** Hosts that did not answer at all: later probes fail at once instead of waiting for the timeout again. */
  private readonly down = new Map<string, { at: number; error: unknown }>();
  /** Real manifest requests sent since the last `takeProbeCount()`. */
  private probes = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly pacer: HostPacer,
    private readonly observer: ProbeObserver,
  ) {
    super();
  }

  takeProbeCount(): number {
    const n = this.probes;
    this.probes = 0;
    return n;
  }

  /** Drops expired answers (called once per scan). */
  sweep(now = Date.now()): void {
    for (const [k, e] of this.answers) if (now - e.at >= this.ttlMs) this.answers.delete(k);
    for (const [h, d] of this.down) if (now - d.at >= this.ttlMs) this.down.delete(h);
  }

  override close(): void {
    this.answers.clear();
    this.down.clear();
    super.close();
  }

  override get(config: RegistryClientConfig): RegistryClient {
    const inner = super.get(config);
    let proxy = this.wrapped.get(inner);
    if (proxy === undefined) {
      this.ids.set(inner, ++this.nextId);
      const manifest = this.cachedManifest(inner);
      const blobHead = this.pacedBlobHead(inner);
      proxy = new Proxy(inner, {
        get: (target, prop, receiver) =>
          prop === 'manifest'
            ? manifest
            : prop === 'blobHead'
              ? blobHead
              : Reflect.get(target, prop, receiver),
      });
      this.wrapped.set(inner, proxy);
    }
    return proxy;
  }

  /**
   * Blob checks keep to the host's request rate like the manifest probes (the trace engine caches
   * their answers per repository and digest for the probe TTL).
   */
  private pacedBlobHead(inner: RegistryClient): RegistryClient['blobHead'] {
    return async (repoPath, digest, log) => {
      await this.pacer.take(inner.config.host);
      return inner.blobHead(repoPath, digest, log);
    };
  }

  private cachedManifest(inner: RegistryClient): RegistryClient['manifest'] {
    const id = this.ids.get(inner)!;
    return async (repoPath: string, tagOrDigest: string, method: 'HEAD' | 'GET', log: StepLog) => {
      const now = Date.now();
      const base = `${id}|${repoPath}|${tagOrDigest}`;
      // A GET answer also answers a HEAD (same status, digest and classification).
      const hit = [`${base}|${method}`, ...(method === 'HEAD' ? [`${base}|GET`] : [])]
        .map((k) => this.answers.get(k))
        .find((e) => e !== undefined && now - e.at < this.ttlMs);
      if (hit !== undefined) {
        const answer = await hit.answer; // a cached failure rethrows here
        const age = Math.round((now - hit.at) / 1000);
        log({
          kind: 'manifest',
          message: `${method} ${inner.config.host}/v2/${repoPath}/manifests/${tagOrDigest}: answer reused from ${age} s ago → ${answer.status}`,
          durationMs: 0,
          status: answer.status,
        });
        return answer;
      }
      const host = inner.config.host;
      const down = this.down.get(host);
      if (down !== undefined && now - down.at < this.ttlMs) {
        const age = Math.round((now - down.at) / 1000);
        log({
          kind: 'manifest',
          message: `${method} ${host}/v2/${repoPath}/manifests/${tagOrDigest}: not sent, ${host} did not answer ${age} s ago`,
          durationMs: 0,
          status: null,
        });
        throw down.error;
      }
      const answer = (async () => {
        await this.pacer.take(host);
        this.probes++;
        const start = performance.now();
        try {
          const a = await inner.manifest(repoPath, tagOrDigest, method, log);
          this.observer.probe(host, (performance.now() - start) / 1000, a.classified.outcome);
          return a;
        } catch (err) {
          const outcome = (err as { classified?: { outcome?: string } }).classified?.outcome ?? 'error';
          this.observer.probe(host, (performance.now() - start) / 1000, outcome);
          if (outcome === 'unreachable' || outcome === 'timeout')
            this.down.set(host, { at: Date.now(), error: err });
          throw err;
        }
      })();
      answer.catch(() => {}); // awaited by the caller; kept for later callers
      this.answers.set(`${base}|${method}`, { at: now, answer });
      return answer;
    };
  }
}
