// Registry clients for scans whose manifest answers are cached for a TTL and shared by every image:
// identical host/repository/reference probes (many pods of one image, short names resolving to the
// same repository, the stale check of a primary) go out once per TTL, concurrent ones are joined, and
// each host has its own bound on requests in flight (and a pace). Failures are cached too, so a dead
// mirror is not retried by every image.
//
// Each host has an epoch that moves whenever something cached about it expires or is replaced (a
// manifest answer, a blob check, the "did not answer" mark): a scan's result for an image stays
// valid exactly as long as the epochs of the hosts its trace contacted do not move.
import { ClientCache } from '../probe/client-cache.js';
import { BlobChecker } from '../trace/blob-check.js';
import type {
  ManifestAnswer,
  RegistryClient,
  RegistryClientConfig,
  StepLog,
} from '../probe/registry-client.js';
import { HostLimit, type HostPacer } from './limits.js';

export interface ProbeObserver {
  /** One real manifest request (not served from the cache). */
  probe(host: string, seconds: number, outcome: string): void;
}

interface Entry {
  readonly at: number;
  readonly host: string;
  readonly answer: Promise<ManifestAnswer>;
}

export class CachingClientCache extends ClientCache {
  private readonly wrapped = new WeakMap<RegistryClient, RegistryClient>();
  private readonly ids = new WeakMap<RegistryClient, number>();
  private nextId = 0;
  private readonly answers = new Map<string, Entry>();
  /** Hosts that did not answer at all: later probes fail at once instead of waiting for the timeout again. */
  private readonly down = new Map<string, { at: number; error: unknown }>();
  /**
   * When each blob was last asked for (host|client|repository|digest): the trace engine keeps the
   * answer for the same TTL, so its expiry moves the host's epoch like a manifest answer's.
   */
  private readonly blobsAsked = new Map<string, { host: string; at: number }>();
  private readonly epochs = new Map<string, number>();
  /**
   * The blob answers of the scans' trace engines, kept with the clients that asked them: like the
   * manifest answers, they outlive a configuration change for the clients it did not touch (a new
   * configuration that sent its blob checks again would move every host's epoch, and the scan after
   * it would check every image again).
   */
  readonly blobs = new BlobChecker();
  /** Real manifest requests sent since the last `takeProbeCount()`. */
  private probes = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly pacer: HostPacer,
    private readonly observer: ProbeObserver,
    private readonly slots = new HostLimit(4),
  ) {
    super();
  }

  /** Moves whenever a cached answer about `host` expires or is replaced. */
  epoch(host: string): number {
    return this.epochs.get(host) ?? 0;
  }

  private bump(host: string): void {
    this.epochs.set(host, this.epoch(host) + 1);
  }

  takeProbeCount(): number {
    const n = this.probes;
    this.probes = 0;
    return n;
  }

  /** Drops expired answers (called once per scan); the hosts they were about get a new epoch. */
  sweep(now = Date.now()): void {
    for (const [k, e] of this.answers)
      if (now - e.at >= this.ttlMs) {
        this.answers.delete(k);
        this.bump(e.host);
      }
    for (const [k, b] of this.blobsAsked)
      if (now - b.at >= this.ttlMs) {
        this.blobsAsked.delete(k);
        this.bump(b.host);
      }
    for (const [h, d] of this.down)
      if (now - d.at >= this.ttlMs) {
        this.down.delete(h);
        this.bump(h);
      }
  }

  /**
   * A new configuration: hosts marked as not answering are asked again (the change may be what fixes
   * them); the answers of clients that stayed the same are kept.
   */
  forgetSilentHosts(): void {
    for (const host of this.down.keys()) this.bump(host);
    this.down.clear();
  }

  override close(): void {
    this.answers.clear();
    this.blobsAsked.clear();
    this.down.clear();
    this.blobs.clear();
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
    const id = this.ids.get(inner)!;
    const host = inner.config.host;
    return (repoPath, digest, log) => {
      const key = `${id}|${repoPath}|${digest}`;
      // Asked again within the TTL: the engine's answer was not kept (or expired unswept).
      if (this.blobsAsked.has(key)) this.bump(host);
      this.blobsAsked.set(key, { host, at: Date.now() });
      return this.slots.run(host, async () => {
        await this.pacer.take(host);
        return inner.blobHead(repoPath, digest, log);
      });
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
      const host = inner.config.host;
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
      const notSent = (): unknown => {
        const down = this.down.get(host);
        const at = Date.now();
        if (down === undefined || at - down.at >= this.ttlMs) return null;
        log({
          kind: 'manifest',
          message: `${method} ${host}/v2/${repoPath}/manifests/${tagOrDigest}: not sent, ${host} did not answer ${Math.round((at - down.at) / 1000)} s ago`,
          durationMs: 0,
          status: null,
        });
        return down.error;
      };
      const refused = notSent();
      if (refused !== null) throw refused;
      const answer = this.slots.run(host, async () => {
        // The host may have stopped answering while this request waited for its slot.
        const late = notSent();
        if (late !== null) throw late;
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
          if (outcome === 'unreachable' || outcome === 'timeout') {
            // The first failure is what the host answered. Requests already in flight often fail
            // after it as a consequence (a silent registry cuts its other connections when one
            // times out: "socket hang up"); they do not replace it, or what later probes are told
            // would depend on which request happened to end last.
            const seen = this.down.get(host);
            const at = Date.now();
            if (seen === undefined || at - seen.at >= this.ttlMs) {
              if (seen !== undefined) this.bump(host);
              this.down.set(host, { at, error: err });
            }
          }
          throw err;
        }
      });
      answer.catch(() => {}); // awaited by the caller; kept for later callers
      const key = `${base}|${method}`;
      if (this.answers.has(key)) this.bump(host); // an expired answer, replaced before a sweep
      this.answers.set(key, { at: now, host, answer });
      return answer;
    };
  }
}
