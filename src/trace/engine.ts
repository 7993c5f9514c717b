// The trace engine: for one image, walk the sources in CRI-O's order and, for each, do what
// containers/image does on the wire (credentials, certs.d, ping, auth, manifest) without layers.
// It stops at the first source that serves the manifest, as CRI-O does, unless `all` is asked.
import type { CredentialLookup } from '../core/credentials/lookup.js';
import { MirrorscopeError } from '../core/errors.js';
import type { ImageReference } from '../core/reference/reference.js';
import type { SourceOutcome } from '../core/registry-protocol/outcome.js';
import type {
  CandidatePlan,
  PlannedSource,
  PullPlan,
  SkippedSource,
  TriedSource,
} from '../core/resolve/plan.js';
import { where } from '../core/resolve/types.js';
import { ClientCache } from '../probe/client-cache.js';
import {
  ProbeFailure,
  type ManifestAnswer,
  type ProbeStep,
  type RegistryClient,
} from '../probe/registry-client.js';
import { BlobChecker } from './blob-check.js';
import { sourceLookup, type CriAuth } from './cri-credentials.js';
import type { SourceTrust, TraceContext } from './context.js';
import { failAtWinner, failedResult, winnerChecks } from './winner-checks.js';
import {
  signatureFailsPull,
  type StaleCheck,
  type TraceOptions,
  type TraceResult,
  type TraceSignature,
  type TraceSource,
  type TraceStep,
  type TraceStepKind,
} from './types.js';

export const DEFAULT_TIMEOUT_MS = 10_000;

interface Probed {
  readonly source: TraceSource;
  readonly client: RegistryClient | null;
  readonly answer: ManifestAnswer | null;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

type StepExtra = Partial<Pick<TraceStep, 'durationMs' | 'decisive' | 'level'>>;
/** Records one step; `source` indexes `TraceResult.sources`, null for the whole pull. */
type StepSink = (source: number | null, kind: TraceStepKind, message: string, extra?: StepExtra) => void;
const ignoreStep: StepSink = () => undefined;

/** A registry client for one source, opened as containers/image opens it: credentials, then certs.d. */
type Connection =
  | {
      readonly client: RegistryClient;
      readonly lookup: CredentialLookup;
      /** The trace's credentials step. */
      readonly text: string;
      readonly certs: SourceTrust;
    }
  | {
      readonly client: null;
      readonly lookup: CredentialLookup;
      readonly text: string;
      readonly failure: string;
    };

function round(msValue: number): number {
  return Math.round(msValue * 100) / 100;
}

function tagOrDigestOf(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** A skipped mirror's outcome code. */
function skipOutcome(reason: string): SourceOutcome {
  return reason === 'pull-from-mirror-tag-only' ? 'skipped-tag-only' : 'skipped-digest-only';
}

/** The fields of a source that only its probe fills in. */
function notProbed(image: string, reachedByCrio: boolean) {
  return {
    image,
    status: null,
    digest: null,
    mediaType: null,
    credentials: null,
    certsDir: null,
    reachedByCrio,
    stale: null,
    blobs: null,
  };
}

/** A mirror CRI-O does not try: recorded in its place, with the rule that skips it. */
function skippedSource(
  planned: SkippedSource,
  base: ReturnType<typeof notProbed>,
  index: number,
  step: StepSink,
): Probed {
  const skipped = planned.resolution;
  const reference = planned.reference;
  const outcome = skipOutcome(skipped.reason);
  step(index, 'source', `mirror ${reference} (${where(skipped.origin)}) is not tried`);
  step(index, 'outcome', `${outcome}: ${skipped.explanation}`, { level: 'warn' });
  return {
    source: {
      ...base,
      reference,
      mirror: true,
      host: reference.split('/')[0]!,
      insecure: false,
      outcome,
      reason: skipped.explanation,
      durationMs: 0,
      configuredAt: where(skipped.origin),
    },
    client: null,
    answer: null,
  };
}

export class TraceEngine {
  constructor(
    private readonly context: TraceContext,
    readonly clients: ClientCache = new ClientCache(),
    private readonly userAgent = 'mirrorscope',
    /** The credentials the kubelet sends with this pull (a trace for a pod), null for none. */
    private readonly criAuth: CriAuth | null = null,
    /** Blob answers; engines that share their clients may share it (answers are keyed by client). */
    private readonly blobChecker = new BlobChecker(),
  ) {}

  /** Closes the kept connections. */
  close(): void {
    this.clients.close();
  }

  async trace(image: string, options: TraceOptions = {}): Promise<TraceResult> {
    return this.tracePlan(image, this.context.resolver.plan(image), options);
  }

  /** Walks a plan the context's resolver (or one with a proposed configuration) made for `image`. */
  async tracePlan(image: string, plan: PullPlan, options: TraceOptions = {}): Promise<TraceResult> {
    const result = await this.walk(image, plan, options);
    // (A pull that fails at the winner still writes its two closing steps.)
    if (options.detail === 'outcome') return result.steps.length === 0 ? result : { ...result, steps: [] };
    const notes = this.context.notesFor(plan.resolution);
    return { ...result, runtime: this.context.runtime, ...(notes.length > 0 ? { notes } : {}) };
  }

  private async walk(image: string, plan: PullPlan, options: TraceOptions): Promise<TraceResult> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const steps: TraceStep[] = [];
    const sources: TraceSource[] = [];
    const full = options.detail !== 'outcome';
    const step: StepSink = !full
      ? ignoreStep
      : (source, kind, message, extra = {}) => {
          steps.push({
            source,
            kind,
            message,
            durationMs: extra.durationMs ?? null,
            decisive: extra.decisive ?? false,
            level: extra.level ?? 'info',
          });
        };
    const resolution = plan.resolution;
    for (const line of resolution.explanation) step(null, 'resolve', line);
    if (resolution.error !== null || resolution.candidates.length === 0) {
      const message = resolution.error?.message ?? 'no pull candidates';
      step(null, 'result', `the pull fails before any source is tried: ${message}`, {
        decisive: true,
        level: 'fail',
      });
      return {
        image,
        steps,
        sources,
        result: { outcome: 'failed', source: null, digest: null, reason: message, signature: null },
        error: resolution.error,
      };
    }
    let winner: Probed | null = null;
    let winnerCandidate: CandidatePlan | null = null;
    let lastFailure: number | null = null;
    let candidateError: string | null = null;
    for (const candidatePlan of plan.candidates) {
      const candidate = candidatePlan.resolution;
      const crioReaches = winner === null;
      if (!crioReaches && !options.all) break;
      if (resolution.candidates.length > 1) step(null, 'resolve', `candidate ${candidate.image}`);
      for (const line of candidate.explanation) step(null, 'resolve', line);
      if (candidate.error !== null) {
        step(null, 'result', `${candidate.image}: ${candidate.error.message}`, { level: 'fail' });
        candidateError = candidate.error.message;
        continue;
      }
      for (const planned of candidatePlan.sources) {
        const reached = winner === null;
        if (!reached && !options.all) break;
        const index = sources.length;
        const probed = await this.probeSource(candidatePlan, planned, index, reached, timeoutMs, step);
        sources.push(probed.source);
        if (!reached) continue;
        if (probed.source.outcome === 'found') {
          winner = probed;
          winnerCandidate = candidatePlan;
        } else if (
          probed.source.outcome !== 'skipped-digest-only' &&
          probed.source.outcome !== 'skipped-tag-only'
        ) {
          lastFailure = index;
        }
      }
    }
    if (winner === null) {
      const failed = lastFailure === null ? null : sources[lastFailure]!;
      const reason = failed
        ? `${failed.reference}: ${failed.reason}`
        : (candidateError ?? 'no source could be tried');
      if (lastFailure !== null) this.markDecisive(steps, lastFailure);
      step(null, 'result', `the pull fails: ${reason}`, { decisive: lastFailure === null, level: 'fail' });
      return {
        image,
        steps,
        sources,
        result: { outcome: 'failed', source: null, digest: null, reason, signature: null },
        error: null,
      };
    }
    const winIndex = sources.indexOf(winner.source);
    // The stale check (another registry) and the signature evaluation are independent: run them together.
    const staleCandidate = winner.source.mirror ? winnerCandidate : null;
    const staleSteps: TraceStep[] = [];
    const [stale, signature, checks] = await Promise.all([
      staleCandidate === null
        ? null
        : this.staleCheck(
            staleCandidate,
            winner,
            sources,
            timeoutMs,
            !full
              ? ignoreStep
              : (_source, kind, message, extra = {}) =>
                  staleSteps.push({
                    source: winIndex,
                    kind,
                    message,
                    durationMs: extra.durationMs ?? null,
                    decisive: false,
                    level: extra.level ?? 'info',
                  }),
          ),
      this.evaluateSignature(winner, options),
      winnerChecks(this.blobChecker, winner, options),
    ]);
    if (full) steps.push(...staleSteps, ...checks.steps.map((s) => ({ ...s, source: winIndex })));
    if (stale !== null) sources[winIndex] = { ...sources[winIndex]!, stale };
    const { blobs, releaseSignature } = checks;
    if (blobs !== null) sources[winIndex] = { ...sources[winIndex]!, blobs };
    // c/image chooses the platform's instance before it checks signatures, and copies blobs after.
    if (blobs?.outcome === 'no-platform')
      return failAtWinner(
        { image, steps, sources },
        winIndex,
        'error',
        blobs.reason,
        null,
        releaseSignature,
        this.context.resolver.runtimeName,
      );
    if (signature !== null) {
      const fails = signatureFailsPull(signature.value);
      step(
        winIndex,
        'signature',
        `signature: ${signature.value.outcome}${signature.value.required ? ' (required by policy)' : ''}: ${signature.value.reason}`,
        {
          durationMs: signature.durationMs,
          level: fails ? 'fail' : signature.value.outcome === 'verified' ? 'ok' : 'info',
          decisive: fails,
        },
      );
      if (fails) {
        const reason = `${winner.source.reference}: ${signature.value.reason} (${this.context.resolver.runtimeName} does not fall back to another source)`;
        step(null, 'result', `the pull fails: ${reason}`, { level: 'fail' });
        return {
          image,
          steps,
          sources,
          result: failedResult(reason, signature.value, releaseSignature),
          error: null,
        };
      }
    }
    if (blobs?.outcome === 'missing')
      return failAtWinner(
        { image, steps, sources },
        winIndex,
        'blob-missing',
        blobs.reason,
        signature?.value ?? null,
        releaseSignature,
        this.context.resolver.runtimeName,
      );
    this.markDecisive(steps, winIndex);
    const reason = `pulled from ${winner.source.reference} (${winner.source.mirror ? 'mirror' : 'primary'})`;
    step(null, 'result', `${reason}: ${winner.source.digest ?? 'no digest'}`, { level: 'ok' });
    return {
      image,
      steps,
      sources,
      result: {
        outcome: 'pulled',
        source: winner.source.reference,
        digest: winner.source.digest,
        reason,
        signature: signature?.value ?? null,
        ...(releaseSignature !== null ? { releaseSignature } : {}),
      },
      error: null,
    };
  }

  /** The injected evaluator, called for the winning source with the manifest CRI-O would use. */
  private async evaluateSignature(
    winner: Probed,
    options: TraceOptions,
  ): Promise<{ value: TraceSignature; durationMs: number } | null> {
    const bytes = winner.answer?.bytes;
    if (!options.signatureEvaluator || !bytes || !winner.source.digest || !winner.client) return null;
    const start = performance.now();
    let value: TraceSignature;
    try {
      value = await options.signatureEvaluator({
        logicalReference: winner.source.image,
        physicalReference: winner.source.reference,
        mirror: winner.source.mirror,
        manifestDigest: winner.source.digest,
        manifestBytes: bytes,
        client: winner.client,
      });
    } catch (err) {
      value = {
        required: true,
        outcome: 'rejected',
        reason: `signature evaluation failed: ${(err as Error).message}`,
      };
    }
    return { value, durationMs: round(performance.now() - start) };
  }

  private markDecisive(steps: TraceStep[], sourceIndex: number): void {
    for (let i = steps.length - 1; i >= 0; i--) {
      const s = steps[i]!;
      if (s.source === sourceIndex && s.kind === 'outcome') {
        steps[i] = { ...s, decisive: true };
        return;
      }
    }
  }

  /**
   * The client for a source, as containers/image opens it: credentials (the kubelet's on the requested
   * image's domain, else by the physical name in the auth files), then certs.d.
   */
  private async connect(
    source: TriedSource,
    logical: ImageReference,
    timeoutMs: number,
  ): Promise<Connection> {
    const { lookup, text } = sourceLookup(
      this.context,
      source.credentialsKey,
      source.physical.domain,
      logical.domain,
      this.criAuth,
    );
    if (lookup.error !== null) return { client: null, lookup, text, failure: lookup.error };
    let certs;
    try {
      certs = await this.context.certsFor(source.physical.domain);
    } catch (err) {
      if (!(err instanceof MirrorscopeError)) throw err;
      return { client: null, lookup, text, failure: err.message };
    }
    const client = this.clients.get({
      host: source.resolution.host,
      insecure: source.resolution.insecure,
      tls: certs,
      credentials: lookup.credentials,
      credentialsFound: lookup.match !== null,
      timeoutMs,
      userAgent: this.userAgent,
    });
    return { client, lookup, text, certs };
  }

  private async probeSource(
    candidate: CandidatePlan,
    planned: PlannedSource,
    index: number,
    reachedByCrio: boolean,
    timeoutMs: number,
    step: StepSink,
  ): Promise<Probed> {
    const start = performance.now();
    const base = notProbed(candidate.resolution.image, reachedByCrio);
    if (planned.kind === 'skip') return skippedSource(planned, base, index, step);
    const src = planned.resolution;
    const configuredAt = src.origin ? where(src.origin) : null;
    const prefix = reachedByCrio ? '' : `(--all; ${this.context.resolver.runtimeName} would not get here) `;
    step(
      index,
      'source',
      `${prefix}Trying to access "${src.reference}" (${src.mirror ? 'mirror' : 'primary'}${configuredAt ? `, ${configuredAt}` : ''})`,
    );
    const physical = planned.physical;
    const source: Mutable<TraceSource> = {
      ...base,
      reference: src.reference,
      mirror: src.mirror,
      host: src.host,
      insecure: src.insecure,
      outcome: 'error',
      reason: '',
      durationMs: 0,
      configuredAt,
    };
    const finish = (outcome: SourceOutcome, reason: string, level: TraceStep['level']): Probed => {
      source.outcome = outcome;
      source.reason = reason;
      source.durationMs = round(performance.now() - start);
      step(index, 'outcome', `${outcome}: ${reason}`, { level, durationMs: source.durationMs });
      return { source, client: null, answer: null };
    };
    if (src.blocked) {
      const blockedBy = src.blockedBy;
      const reason = `registry ${blockedBy?.prefix ?? src.location} is blocked in ${blockedBy ? where(blockedBy) : 'registries.conf'}`;
      return finish('blocked', reason, 'fail');
    }
    const connection = await this.connect(planned, candidate.logical, timeoutMs);
    const { lookup } = connection;
    if (lookup.error !== null) return finish('error', lookup.error, 'fail');
    step(index, 'credentials', connection.text);
    source.credentials = lookup.match;
    if (connection.client === null) return finish('error', connection.failure, 'fail');
    const { certs, client } = connection;
    source.certsDir = certs.dir;
    const certsText =
      certs.dir === null
        ? `none of ${certs.searched.join(', ')} exists: system trust only`
        : `${certs.dir}: ${certs.cas.length} CA file(s)${certs.clientCert ? `, client certificate ${certs.clientCert.file}` : ''}`;
    step(
      index,
      'tls',
      `Looking for TLS certificates and private keys: ${certsText}${src.insecure ? `; insecure = true (${where(src.insecureOrigin)}): TLS not verified, plain HTTP allowed` : ''}`,
    );
    const log = (s: ProbeStep) =>
      step(index, s.kind, s.message, {
        durationMs: s.durationMs,
        level: s.status !== null && s.status >= 400 && s.status !== 401 ? 'warn' : 'info',
      });
    const tagOrDigest = tagOrDigestOf(physical);
    let answer: ManifestAnswer;
    try {
      // Sources CRI-O reaches are asked exactly as it asks them (GET: the bytes are checked and handed
      // to the signature evaluator); --all extras only need a HEAD, unless HEAD gives an answer it
      // cannot classify (405, 5xx, …).
      answer = await client.manifest(physical.path, tagOrDigest, reachedByCrio ? 'GET' : 'HEAD', log);
      if (answer.method === 'HEAD' && ![200, 401, 403, 404].includes(answer.status)) {
        answer = await client.manifest(physical.path, tagOrDigest, 'GET', log);
      }
    } catch (err) {
      if (!(err instanceof ProbeFailure)) throw err;
      client.reset();
      return { ...finish(err.classified.outcome, err.classified.reason, 'fail'), client };
    }
    source.status = answer.status;
    source.mediaType = answer.mediaType || null;
    source.digest = answer.digest;
    if (answer.classified.outcome !== 'found')
      return { ...finish(answer.classified.outcome, answer.classified.reason, 'fail'), client, answer };
    const problem = answer.method === 'GET' ? this.validateManifest(answer, physical) : null;
    if (problem !== null) {
      source.digest = null;
      return { ...finish('error', problem, 'fail'), client, answer };
    }
    return {
      ...finish('found', `manifest ${answer.digest} (${answer.mediaType || 'no media type'})`, 'ok'),
      client,
      answer,
    };
  }

  /** What c/image checks on the manifest it fetched: size, JSON, and the digest when pulled by digest. */
  private validateManifest(answer: ManifestAnswer, ref: ImageReference): string | null {
    const bytes = answer.bytes;
    if (bytes === null) return 'the registry answered 200 but sent no manifest';
    let doc: unknown;
    try {
      doc = JSON.parse(bytes.toString('utf8'));
    } catch {
      return `the manifest is not valid JSON (${bytes.length} bytes, ${answer.mediaType || 'no media type'})`;
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
      return 'the manifest is not a JSON object';
    // Schema 1 digests are computed without the JWS signatures; c/image strips them first. We do not,
    // so those (long deprecated) manifests skip the digest comparisons.
    if (answer.mediaType.startsWith('application/vnd.docker.distribution.manifest.v1')) return null;
    if (ref.digest !== undefined && answer.digest !== ref.digest) {
      return `manifest digest ${answer.digest} does not match the requested ${ref.digest}`;
    }
    if (answer.headerDigest !== null && answer.headerDigest !== answer.digest) {
      return `Docker-Content-Digest ${answer.headerDigest} does not match the manifest's digest ${answer.digest}`;
    }
    return null;
  }

  /** A tag served by a mirror, compared with the source registry's answer when that is reachable. */
  private async staleCheck(
    candidate: CandidatePlan,
    winner: Probed,
    sources: readonly TraceSource[],
    timeoutMs: number,
    step: StepSink,
  ): Promise<StaleCheck | null> {
    if (candidate.logical.digest !== undefined) return null;
    const primary = candidate.sources.find((s): s is TriedSource => s.kind === 'try' && !s.resolution.mirror);
    if (primary === undefined) return null;
    const reference = primary.resolution.reference;
    const unchecked = (reason: string): StaleCheck => {
      step(null, 'stale-check', `stale check: tag not compared with ${reference}: ${reason}`, {
        level: 'warn',
      });
      return { reference, checked: false, sourceDigest: null, stale: null, reason };
    };
    if (primary.resolution.blocked) return unchecked('the source registry is blocked');
    let digest: string | null;
    const known = sources.find((s) => s.reference === reference && !s.mirror && s.outcome !== 'blocked');
    const start = performance.now();
    if (known !== undefined) {
      if (known.outcome !== 'found')
        return unchecked(`the source registry answered ${known.outcome}: ${known.reason}`);
      digest = known.digest;
    } else {
      const connection = await this.connect(primary, candidate.logical, timeoutMs);
      if (connection.client === null) return unchecked(connection.failure);
      const { client } = connection;
      const physical = primary.physical;
      try {
        const answer = await client.manifest(physical.path, tagOrDigestOf(physical), 'HEAD', (s) =>
          step(null, 'stale-check', `stale check: ${s.message}`, { durationMs: s.durationMs }),
        );
        if (answer.classified.outcome !== 'found')
          return unchecked(
            `the source registry answered ${answer.classified.outcome}: ${answer.classified.reason}`,
          );
        digest = answer.digest;
      } catch (err) {
        if (!(err instanceof ProbeFailure)) throw err;
        client.reset();
        return unchecked(`the source registry is not reachable: ${err.classified.reason}`);
      }
    }
    if (digest === null) return unchecked('the source registry sent no Docker-Content-Digest');
    const stale = digest !== winner.source.digest;
    const durationMs = round(performance.now() - start);
    const reason = stale
      ? `stale mirror: ${winner.source.reference} serves ${winner.source.digest} but the source registry has ${digest} for ${reference}`
      : `stale check: the mirror's tag matches the source registry (${digest})`;
    step(null, 'stale-check', reason, { level: stale ? 'warn' : 'ok', durationMs });
    return { reference, checked: true, sourceDigest: digest, stale, reason };
  }
}
