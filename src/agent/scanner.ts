// One scan over the node's images: resolution and static mirror findings, the trace engine's probes
// (through the shared answer cache), the signature verdict, and what it all means as findings,
// per-image status and per-host health. Also serves on-demand traces with the same warm clients.
import { mergeFindings } from '../core/diagnose/finding-key.js';
import { diagnoseProbe, digestMismatchFindings } from '../core/diagnose/probe-findings.js';
import { staticMirrorFindings } from '../core/diagnose/static-mirror-findings.js';
import type { NodeFinding } from '../core/findings/types.js';
import type { HostProbe, ImageStatus } from '../protocol/messages.js';
import { ClientCache } from '../probe/client-cache.js';
import { namespacedPolicyNote } from '../core/crio/runtime-notes.js';
import { hasNamespacedPolicies, modelledVersion } from '../core/crio/versions.js';
import { invalidReferenceResult } from '../core/resolve/resolver.js';
import { resolutionSummary } from '../core/resolve/types.js';
import {
  closeSignatureContext,
  createSignatureEvaluator,
  loadSignatureContext,
} from '../signatures/evaluator.js';
import { TraceEngine } from '../trace/engine.js';
import type { SignatureEvaluator, TraceResult, TraceSignature } from '../trace/types.js';
import type { HostConfig } from './host-config.js';
import { ConcurrencyLimit, HostPacer, jitter } from './limits.js';
import { CachingClientCache, type ProbeObserver } from './probe-cache.js';

export interface ScanSettings {
  readonly concurrency: number;
  readonly probeTtlMs: number;
  readonly timeoutMs: number;
  readonly hostRate: number;
}

export interface ScanOutput {
  readonly at: string;
  readonly durationMs: number;
  /** Manifest requests really sent (cache misses). */
  readonly probes: number;
  readonly findings: readonly NodeFinding[];
  readonly images: readonly ImageStatus[];
  readonly hosts: readonly HostProbe[];
  /** Images whose check failed unexpectedly (a defect, not a finding). */
  readonly errors: readonly { readonly image: string; readonly message: string }[];
}

const REACHABLE = new Set(['found', 'manifest-unknown', 'unauthorized', 'denied', 'blob-missing']);

/** `name:tag@digest` → the tag-only reference and the digest; null for other references. */
function taggedAndDigested(image: string): { tagOnly: string; digest: string } | null {
  const m = /^(.*\/[^/@]*?:[\w][\w.-]{0,127})@(sha256:[0-9a-f]{64})$/.exec(image);
  return m ? { tagOnly: m[1]!, digest: m[2]! } : null;
}

/** Caches signature verdicts per (logical, physical, digest) for the probe TTL. */
function cachedEvaluator(inner: SignatureEvaluator, ttlMs: number): SignatureEvaluator {
  const cache = new Map<string, { at: number; verdict: Promise<TraceSignature> }>();
  return (input) => {
    const key = `${input.logicalReference}|${input.physicalReference}|${input.manifestDigest}`;
    const now = Date.now();
    const hit = cache.get(key);
    if (hit !== undefined && now - hit.at < ttlMs) return hit.verdict;
    for (const [k, e] of cache) if (now - e.at >= ttlMs) cache.delete(k);
    const verdict = inner(input);
    cache.set(key, { at: now, verdict });
    verdict.catch(() => cache.delete(key));
    return verdict;
  };
}

export class Scanner {
  private readonly cache: CachingClientCache;
  private readonly scanEngine: TraceEngine | null;
  private readonly traceEngine: TraceEngine | null;
  private readonly limit: ConcurrencyLimit;
  private readonly evaluator: SignatureEvaluator | undefined;
  private readonly liveEvaluator: SignatureEvaluator | undefined;

  constructor(
    readonly config: HostConfig,
    private readonly settings: ScanSettings,
    observer: ProbeObserver,
  ) {
    this.cache = new CachingClientCache(settings.probeTtlMs, new HostPacer(settings.hostRate), observer);
    this.limit = new ConcurrencyLimit(settings.concurrency);
    this.scanEngine = config.trace ? new TraceEngine(config.trace, this.cache) : null;
    // On-demand traces probe for real (no cached answers), with their own warm connections.
    this.traceEngine = config.trace ? new TraceEngine(config.trace, new ClientCache()) : null;
    this.liveEvaluator = config.signatures ? createSignatureEvaluator(config.signatures) : undefined;
    this.evaluator = this.liveEvaluator
      ? cachedEvaluator(this.liveEvaluator, settings.probeTtlMs)
      : undefined;
  }

  close(): void {
    this.scanEngine?.close();
    this.traceEngine?.close();
    this.config.signatures?.http.close();
  }

  /**
   * The same document `mirrorscope trace --json` prints, with this node's configuration; for a pod
   * namespace, verified with the policy CRI-O picks for it (signature_policy_dir/<namespace>.json).
   */
  async trace(
    image: string,
    all: boolean,
    timeoutMs = this.settings.timeoutMs,
    namespace?: string,
  ): Promise<TraceResult | { image: string; error: unknown }> {
    if (this.traceEngine === null) {
      const rejected = invalidReferenceResult(image);
      return { image, error: rejected?.error ?? this.config.loadError?.toJSON() ?? null };
    }
    if (namespace === undefined || this.config.crio === null)
      return this.traceEngine.trace(image, {
        all,
        timeoutMs,
        ...(this.liveEvaluator ? { signatureEvaluator: this.liveEvaluator } : {}),
      });
    const version = modelledVersion(this.config.crioVersion);
    const namespaced = hasNamespacedPolicies(version);
    const signatures = await loadSignatureContext(this.config.root, this.config.crio, {
      namespace,
      namespaced,
      timeoutMs,
    });
    try {
      const result = await this.traceEngine.trace(image, {
        all,
        timeoutMs,
        signatureEvaluator: createSignatureEvaluator(signatures),
      });
      const fallback = this.config.signatures?.policyLocation.path ?? signatures.policyLocation.path;
      const chosen = signatures.policyLocation.reason === 'namespace' ? signatures.policyLocation.path : null;
      const note = namespacedPolicyNote(version, this.config.crio, namespace, chosen, fallback);
      return { ...result, notes: [...(result.notes ?? []), note] };
    } finally {
      closeSignatureContext(signatures);
    }
  }

  async scan(images: readonly string[]): Promise<ScanOutput> {
    const started = performance.now();
    const at = new Date().toISOString();
    this.cache.sweep();
    // Per image, in the order of the image list, so merged findings do not depend on timing.
    const perImage: NodeFinding[][] = [];
    const statuses: ImageStatus[] = [];
    const errors: { image: string; message: string }[] = [];
    const hosts = new Map<string, HostProbe>();
    const configErrorKeys = this.config.staticFindings
      .filter((f) => f.id === 'config-invalid')
      .map((f) => f.key);
    const ctx = { authKeys: this.config.authKeys, authFile: this.config.trace?.authFile.path ?? '' };
    const unique = [...new Set(images)].sort();
    await Promise.all(
      unique.map((image, i) =>
        this.limit.run(async () => {
          if (i >= this.settings.concurrency) await new Promise((r) => setTimeout(r, jitter(20)));
          if (this.scanEngine === null || this.config.trace === null) {
            // CRI-O parses the name before it reads the configuration it cannot load.
            const rejected = invalidReferenceResult(image);
            statuses.push({
              image,
              pullable: false,
              source: null,
              digest: null,
              findingKeys: configErrorKeys,
              resolution:
                rejected !== null
                  ? resolutionSummary(rejected)
                  : `fails: ${this.config.loadError?.message ?? 'the configuration cannot be loaded'}`,
            });
            return;
          }
          const resolution = this.config.trace.resolver.resolve(image);
          const summary = resolutionSummary(resolution);
          const staticOnes = staticMirrorFindings(
            resolution,
            this.config.trace.resolver.config,
            this.config.crioVersion !== null,
          );
          let result;
          try {
            result = await this.scanEngine.trace(image, {
              timeoutMs: this.settings.timeoutMs,
              blobCacheTtlMs: this.settings.probeTtlMs,
              ...(this.evaluator ? { signatureEvaluator: this.evaluator } : {}),
            });
          } catch (err) {
            // A defect must not stop the other images from being checked; the agent logs it.
            errors.push({ image, message: (err as Error).message });
            statuses.push({
              image,
              pullable: false,
              source: null,
              digest: null,
              findingKeys: [],
              resolution: summary,
            });
            return;
          }
          const { findings: probed, explaining } = diagnoseProbe(result, ctx);
          const tagged = taggedAndDigested(image);
          if (tagged !== null && result.sources.some((s) => s.mirror && s.outcome === 'manifest-unknown')) {
            // Does the mirror have the tag under another digest? (Rare, so probed only then.)
            const byTag = await this.scanEngine.trace(tagged.tagOnly, { timeoutMs: this.settings.timeoutMs });
            const mismatches = digestMismatchFindings(result, byTag, tagged.digest);
            // "Digest not preserved" says more than "manifest missing" about the same reference.
            const replaced = new Set(
              mismatches.map((f) => f.key.replace(/^mirror-digest-mismatch\|/, 'mirror-manifest-missing|')),
            );
            probed.splice(0, probed.length, ...probed.filter((f) => !replaced.has(f.key)), ...mismatches);
            for (let k = explaining.length - 1; k >= 0; k--)
              if (replaced.has(explaining[k]!)) explaining.splice(k, 1);
            if (result.result.outcome === 'failed') explaining.push(...mismatches.map((f) => f.key));
          }
          perImage[i] = [...staticOnes, ...probed];
          const explainedStatically = staticOnes
            .filter((f) => f.id === 'source-blocked-no-working-mirror' || f.id === 'short-name-ambiguous')
            .map((f) => f.key);
          const pulled = result.result.outcome === 'pulled';
          statuses.push({
            image,
            pullable: pulled,
            source: result.result.source,
            digest: result.result.digest,
            findingKeys: pulled ? [] : [...new Set([...explaining, ...explainedStatically])],
            resolution: summary,
          });
          for (const s of result.sources) {
            if (!s.reachedByCrio || s.outcome === 'blocked' || s.outcome.startsWith('skipped')) continue;
            const seen = hosts.get(s.host);
            if (seen !== undefined && seen.reachable) continue;
            hosts.set(s.host, {
              host: s.host,
              reachable: REACHABLE.has(s.outcome),
              outcome: s.outcome,
              latencyMs: s.durationMs,
              probedAt: at,
            });
          }
        }),
      ),
    );
    statuses.sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0));
    return {
      at,
      durationMs: Math.round(performance.now() - started),
      probes: this.cache.takeProbeCount(),
      findings: mergeFindings([...this.config.staticFindings, ...perImage.flatMap((f) => f ?? [])]),
      images: statuses,
      errors,
      hosts: [...hosts.values()].sort((a, b) => (a.host < b.host ? -1 : 1)),
    };
  }
}
