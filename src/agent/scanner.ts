// One scan over the node's images: resolution and static mirror findings, the trace engine's probes
// (through the shared answer cache), the signature verdict, and what it all means as findings,
// per-image status and per-host health. Also serves on-demand traces with the same warm clients.
import { mergeFindings } from '../core/diagnose/finding-key.js';
import { diagnoseProbe, digestMismatchFindings } from '../core/diagnose/probe-findings.js';
import { staticMirrorFindings } from '../core/diagnose/static-mirror-findings.js';
import type { NodeFinding } from '../core/findings/types.js';
import type { HostProbe, ImageStatus, WirePullCredential } from '../protocol/messages.js';
import { ClientCache } from '../probe/client-cache.js';
import { namespacedPolicyNote } from '../core/crio/runtime-notes.js';
import { hasNamespacedPolicies, modelledVersion } from '../core/crio/versions.js';
import type { PullPlan } from '../core/resolve/plan.js';
import { invalidReferenceResult } from '../core/resolve/resolver.js';
import { resolutionSummary, type ResolveResult } from '../core/resolve/types.js';
import {
  closeSignatureContext,
  createSignatureEvaluator,
  loadSignatureContext,
} from '../signatures/evaluator.js';
import { TraceEngine } from '../trace/engine.js';
import type { SignatureEvaluator, TraceResult, TraceSignature } from '../trace/types.js';
import type { HostConfig } from './host-config.js';
import { GcPacer } from './gc-pacer.js';
import { FairLimit, HostLimit, HostPacer } from './limits.js';
import { traceAsKubelet } from './kubelet-trace.js';
import { CachingClientCache, type ProbeObserver } from './probe-cache.js';
import { authFileVisibility, imageSourceCredentials, type AuthFileVisibility } from './source-credentials.js';

export interface ScanSettings {
  /** Probe requests in flight per registry host (image checks in progress follow from it). */
  readonly concurrency: number;
  readonly probeTtlMs: number;
  readonly timeoutMs: number;
  readonly hostRate: number;
}

export interface ScanOutput {
  readonly at: string;
  readonly durationMs: number;
  /** CPU time of the process during the scan (user + system). */
  readonly cpuMs: number;
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

/**
 * Signature verdicts per (logical, physical, digest), kept for the probe TTL. The epoch moves when one
 * expires, fails or is replaced: image checks that may have used it are redone.
 */
class SignatureVerdicts {
  private readonly cache = new Map<string, { at: number; verdict: Promise<TraceSignature> }>();
  epoch = 0;

  constructor(
    private readonly inner: SignatureEvaluator,
    private readonly ttlMs: number,
  ) {}

  readonly evaluate: SignatureEvaluator = (input) => {
    const key = `${input.logicalReference}|${input.physicalReference}|${input.manifestDigest}`;
    const hit = this.cache.get(key);
    if (hit !== undefined && Date.now() - hit.at < this.ttlMs) return hit.verdict;
    if (hit !== undefined) this.epoch++;
    const verdict = this.inner(input);
    this.cache.set(key, { at: Date.now(), verdict });
    verdict.catch(() => {
      this.cache.delete(key);
      this.epoch++;
    });
    return verdict;
  };

  sweep(now = Date.now()): void {
    for (const [k, e] of this.cache)
      if (now - e.at >= this.ttlMs) {
        this.cache.delete(k);
        this.epoch++;
      }
  }
}

/** The status of an image the check could not follow to a pull. */
function notPulled(image: string, findingKeys: readonly string[], resolution: string): ImageStatus {
  return { image, pullable: false, source: null, digest: null, findingKeys, resolution };
}

/** What one image's check found, and what it depended on. */
interface ImageCheck {
  readonly findings: readonly NodeFinding[];
  readonly status: ImageStatus;
  readonly hosts: readonly Omit<HostProbe, 'probedAt'>[];
  /** A defect of the check (logged by the agent; never reused, so the next scan tries again). */
  readonly error: string | null;
  /** The answer-cache epoch of every host the check contacted, before it contacted them. */
  readonly epochs: ReadonlyMap<string, number>;
  readonly verdictEpoch: number;
  /** Whether the node's auth file was visible when the check ran (its `sources` depend on it). */
  readonly authVisible: boolean;
}

/**
 * Image checks in progress in all, as a multiple of the probe places of one host; per first host
 * there are as many as it has probe places. A check waits on one probe at a time, so that keeps
 * each host's places busy, while every check in progress holds its trace until it ends: more in
 * progress only keeps more in memory, and makes the scan no faster (bench/agent.bench.ts: with 4 per
 * host instead of 1, the peak RSS is 3 MiB higher and the cold scan no shorter).
 */
const CHECKS_PER_PROBE_PLACE = 4;

/** The scan answer cache of one agent, shared by the Scanners of its successive configurations. */
export function scanAnswers(settings: ScanSettings, observer: ProbeObserver): CachingClientCache {
  return new CachingClientCache(
    settings.probeTtlMs,
    new HostPacer(settings.hostRate),
    observer,
    new HostLimit(settings.concurrency),
  );
}

export class Scanner {
  private readonly cache: CachingClientCache;
  private readonly scanEngine: TraceEngine | null;
  private readonly traceEngine: TraceEngine | null;
  private readonly verdicts: SignatureVerdicts | null;
  private readonly evaluator: SignatureEvaluator | undefined;
  private readonly liveEvaluator: SignatureEvaluator | undefined;
  private readonly diagnoseContext: { authKeys: HostConfig['authKeys']; authFile: string };
  /** The last scan's check of each image, reused while still valid. */
  private readonly checked = new Map<string, ImageCheck>();
  /**
   * Image checks in progress, keyed by the first host each contacts. A check holds its trace (steps,
   * answers, findings) until it ends: a scan of 1,000 images keeps a bounded number in memory, not
   * all of them, and is no slower: the per-host probe bound is what paces the requests.
   */
  private readonly inProgress: FairLimit;
  private readonly gcPacer = new GcPacer();

  /**
   * `answers` (scanAnswers) outlives the Scanner: after a configuration change, the sources that are
   * contacted as before (same host, TLS settings and credentials: the same client) keep their
   * answers for the rest of the TTL, and only what the change touched is probed again.
   */
  constructor(
    readonly config: HostConfig,
    private readonly settings: ScanSettings,
    answers: CachingClientCache,
  ) {
    this.cache = answers;
    this.inProgress = new FairLimit(settings.concurrency * CHECKS_PER_PROBE_PLACE, settings.concurrency);
    // The blob answers live with the shared answers too, keyed by client like them.
    this.scanEngine = config.trace
      ? new TraceEngine(config.trace, this.cache, undefined, null, this.cache.blobs)
      : null;
    // On-demand traces probe for real (no cached answers), with their own warm connections.
    this.traceEngine = config.trace ? new TraceEngine(config.trace, new ClientCache()) : null;
    this.liveEvaluator = config.signatures ? createSignatureEvaluator(config.signatures) : undefined;
    this.verdicts = this.liveEvaluator
      ? new SignatureVerdicts(this.liveEvaluator, settings.probeTtlMs)
      : null;
    this.evaluator = this.verdicts?.evaluate;
    this.diagnoseContext = { authKeys: config.authKeys, authFile: config.trace?.authFile.path ?? '' };
  }

  /** Closes what this configuration opened; the shared answers stay (their owner closes them). */
  close(): void {
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
    pullCredentials?: readonly WirePullCredential[],
  ): Promise<TraceResult | { image: string; error: unknown }> {
    if (this.traceEngine === null || this.config.trace === null) {
      const rejected = invalidReferenceResult(image);
      return { image, error: rejected?.error ?? this.config.loadError?.toJSON() ?? null };
    }
    if (pullCredentials === undefined)
      return this.traceWith(this.traceEngine, image, all, timeoutMs, namespace);
    // A pod's pull: fresh clients per credential, closed after, so no secret outlives the trace.
    const context = this.config.trace;
    return traceAsKubelet(image, pullCredentials, context, async (cri) => {
      const engine = new TraceEngine(context, new ClientCache(), undefined, cri);
      try {
        return await this.traceWith(engine, image, all, timeoutMs, namespace);
      } finally {
        engine.close();
      }
    });
  }

  private async traceWith(
    engine: TraceEngine,
    image: string,
    all: boolean,
    timeoutMs: number,
    namespace: string | undefined,
  ): Promise<TraceResult> {
    if (namespace === undefined || this.config.crio === null)
      return engine.trace(image, {
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
      const result = await engine.trace(image, {
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

  /**
   * Every image of the set, checked in parallel (a bounded number of checks in progress, fairly
   * shared by first host; the per-host bounds in the answer cache pace the requests), or taken from
   * the last scan when nothing its check depended on changed: the same
   * configuration (a new one makes a new Scanner), no cached answer of a host it contacted expired,
   * no signature verdict expired. The result is assembled in image order, so it is the same whatever
   * order the checks finished in.
   */
  async scan(images: readonly string[]): Promise<ScanOutput> {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const at = new Date().toISOString();
    this.cache.sweep();
    this.verdicts?.sweep();
    const unique = [...new Set(images)].sort();
    const authVisible = await authFileVisibility(this.config);
    const checks = await Promise.all(
      unique.map((image) => {
        const last = this.checked.get(image);
        if (last !== undefined && this.stillValid(last, authVisible)) return last;
        // Not needed any more: released now rather than when the whole scan ends.
        this.checked.delete(image);
        return this.check(image, authVisible);
      }),
    );
    this.checked.clear();
    const findings: NodeFinding[] = [...this.config.staticFindings];
    const statuses: ImageStatus[] = [];
    const errors: { image: string; message: string }[] = [];
    const hosts = new Map<string, HostProbe>();
    unique.forEach((image, i) => {
      const c = checks[i]!;
      if (c.error === null) this.checked.set(image, c);
      else errors.push({ image, message: c.error });
      findings.push(...c.findings);
      statuses.push(c.status);
      for (const h of c.hosts) {
        if (hosts.get(h.host)?.reachable === true) continue;
        hosts.set(h.host, { ...h, probedAt: at });
      }
    });
    const used = process.cpuUsage(cpu);
    return {
      at,
      durationMs: Math.round(performance.now() - started),
      cpuMs: Math.round((used.user + used.system) / 1000),
      probes: this.cache.takeProbeCount(),
      findings: mergeFindings(findings),
      images: statuses,
      errors,
      hosts: [...hosts.values()].sort((a, b) => (a.host < b.host ? -1 : 1)),
    };
  }

  private stillValid(c: ImageCheck, authVisible: AuthFileVisibility): boolean {
    if (c.authVisible !== authVisible.ok) return false;
    if (c.verdictEpoch !== (this.verdicts?.epoch ?? 0)) return false;
    for (const [host, epoch] of c.epochs) if (this.cache.epoch(host) !== epoch) return false;
    return true;
  }

  /** One image: resolution and static findings, the probes, the signature verdict, the diagnosis. */
  private async check(image: string, authVisible: AuthFileVisibility): Promise<ImageCheck> {
    const verdictEpoch = this.verdicts?.epoch ?? 0;
    if (this.scanEngine === null || this.config.trace === null) {
      // CRI-O parses the name before it reads the configuration it cannot load.
      const rejected = invalidReferenceResult(image);
      const configErrorKeys = this.config.staticFindings
        .filter((f) => f.id === 'config-invalid')
        .map((f) => f.key);
      return {
        findings: [],
        status: notPulled(
          image,
          configErrorKeys,
          rejected !== null
            ? resolutionSummary(rejected)
            : `fails: ${this.config.loadError?.message ?? 'the configuration cannot be loaded'}`,
        ),
        hosts: [],
        error: null,
        epochs: new Map(),
        verdictEpoch,
        authVisible: authVisible.ok,
      };
    }
    // The first host decides where the check waits for its place; the plan (one serves the static
    // findings and the trace) is made once it has one, so the checks that wait hold no plan: a scan
    // of 510 images would otherwise keep 510 plans alive, long enough to reach the old generation.
    const resolver = this.config.trace.resolver;
    const firstHost = resolver.resolve(image).candidates[0]?.sources[0]?.host ?? '';
    const done = await this.inProgress.run(firstHost, () =>
      this.checkPlan(image, resolver.plan(image), authVisible, verdictEpoch),
    );
    this.gcPacer.checked();
    return done;
  }

  /** The check of an image that resolved (or failed to, with a finding), in its place. */
  private async checkPlan(
    image: string,
    plan: PullPlan,
    authVisible: AuthFileVisibility,
    verdictEpoch: number,
  ): Promise<ImageCheck> {
    const trace = this.config.trace!;
    const scanEngine = this.scanEngine!;
    const resolution = plan.resolution;
    const summary = resolutionSummary(resolution);
    const sources = imageSourceCredentials(this.config, resolution, authVisible);
    const staticOnes = staticMirrorFindings(
      resolution,
      trace.resolver.config,
      this.config.crioVersion !== null,
    );
    // The epochs before any probe: an answer that expires while the check runs invalidates it.
    const epochs = new Map<string, number>();
    const contacted = (sources: TraceResult['sources']): void => {
      for (const s of sources) if (!epochs.has(s.host)) epochs.set(s.host, this.cache.epoch(s.host));
    };
    for (const host of this.hostsOf(resolution)) epochs.set(host, this.cache.epoch(host));
    let result;
    try {
      result = await scanEngine.tracePlan(image, plan, {
        timeoutMs: this.settings.timeoutMs,
        blobCacheTtlMs: this.settings.probeTtlMs,
        detail: 'outcome',
        ...(this.evaluator ? { signatureEvaluator: this.evaluator } : {}),
      });
    } catch (err) {
      // A defect must not stop the other images from being checked; the agent logs it.
      return {
        findings: [],
        status: { ...notPulled(image, [], summary), sources },
        hosts: [],
        error: (err as Error).message,
        epochs,
        verdictEpoch,
        authVisible: authVisible.ok,
      };
    }
    contacted(result.sources);
    const { findings: probed, explaining } = diagnoseProbe(result, this.diagnoseContext);
    const tagged = taggedAndDigested(image);
    if (tagged !== null && result.sources.some((s) => s.mirror && s.outcome === 'manifest-unknown')) {
      // Does the mirror have the tag under another digest? (Rare, so probed only then.)
      const byTag = await scanEngine.trace(tagged.tagOnly, {
        timeoutMs: this.settings.timeoutMs,
        blobCacheTtlMs: this.settings.probeTtlMs,
        detail: 'outcome',
      });
      contacted(byTag.sources);
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
    const explainedStatically = staticOnes
      .filter((f) => f.id === 'source-blocked-no-working-mirror' || f.id === 'short-name-ambiguous')
      .map((f) => f.key);
    const pulled = result.result.outcome === 'pulled';
    const hosts: Omit<HostProbe, 'probedAt'>[] = [];
    for (const s of result.sources) {
      if (!s.reachedByCrio || s.outcome === 'blocked' || s.outcome.startsWith('skipped')) continue;
      hosts.push({
        host: s.host,
        reachable: REACHABLE.has(s.outcome),
        outcome: s.outcome,
        latencyMs: s.durationMs,
      });
    }
    return {
      findings: [...staticOnes, ...probed],
      status: {
        image,
        pullable: pulled,
        source: result.result.source,
        digest: result.result.digest,
        findingKeys: pulled ? [] : [...new Set([...explaining, ...explainedStatically])],
        resolution: summary,
        sources,
      },
      hosts,
      error: null,
      epochs,
      verdictEpoch,
      authVisible: authVisible.ok,
    };
  }

  /** The registry hosts a resolution may contact, known before the trace runs. */
  private hostsOf(resolution: ResolveResult): string[] {
    return resolution.candidates.flatMap((c) => c.sources.map((s) => s.host));
  }
}
