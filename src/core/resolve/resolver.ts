// Resolution of an image reference to the ordered pull sources CRI-O would try.
// Pure: everything it needs is in the assembled configuration.
import { nameOf, stringOf, type ImageReference } from '../reference/reference.js';
import { pullSourcesFromReference, RewriteError, type PullSource, type SkippedMirror } from '../registries/pull-sources.js';
import { RegistryIndex } from '../registries/registry-index.js';
import type { Alias, Origin, RegistriesConfig, Registry } from '../registries/types.js';
import {
  effectiveShortNameMode,
  resolveShortName,
  ShortNameError,
  type PullCandidate,
  type ShortNameContext,
} from '../shortnames/short-names.js';
import {
  located,
  where,
  type CandidateResolution,
  type ResolveResult,
  type SkippedMirrorResolution,
  type SourceResolution,
} from './types.js';

export interface ResolverOptions {
  readonly machineAliases?: ReadonlyMap<string, Alias>;
  readonly machineAliasesError?: ShortNameContext['machineAliasesError'];
  readonly shortNameModeOverride?: ShortNameContext['modeOverride'];
  /** `ConfigurationSourceDescription`, used in the "is blocked in …" error text. */
  readonly configDescription?: string;
}

const SKIP_TEXT: Record<SkippedMirror['reason'], string> = {
  'mirror-by-digest-only': 'the reference has no digest and the registry sets mirror-by-digest-only = true',
  'pull-from-mirror-digest-only': 'the reference has no digest and the mirror sets pull-from-mirror = "digest-only"',
  'pull-from-mirror-tag-only': 'the reference has a digest and the mirror sets pull-from-mirror = "tag-only"',
};

function contactedHost(ref: ImageReference): string {
  return ref.domain === 'docker.io' ? 'registry-1.docker.io' : ref.domain;
}

export class Resolver {
  private readonly index: RegistryIndex;
  private readonly shortNames: ShortNameContext;
  private readonly configDescription: string;

  constructor(
    readonly config: RegistriesConfig,
    options: ResolverOptions = {},
  ) {
    this.index = new RegistryIndex(config.registries);
    this.shortNames = {
      config,
      machineAliases: options.machineAliases ?? new Map(),
      machineAliasesError: options.machineAliasesError,
      modeOverride: options.shortNameModeOverride,
    };
    this.configDescription = options.configDescription ?? config.files.join(', ');
  }

  /** `FindRegistry` for a reference name (no tag or digest). */
  findRegistry(name: string): Registry | undefined {
    return this.index.find(name);
  }

  resolve(rawInput: string): ResolveResult {
    const input = rawInput.startsWith('docker://') ? rawInput.slice('docker://'.length) : rawInput;
    let outcome;
    try {
      outcome = resolveShortName(this.shortNames, input);
    } catch (err) {
      if (!(err instanceof ShortNameError)) throw err;
      const origin = err.origin;
      return {
        input: rawInput,
        shortName: null,
        candidates: [],
        error: {
          code: err.code,
          message: err.message,
          upstream: err.upstream,
          ...(origin ? { file: origin.file, line: origin.line } : {}),
        },
        explanation: [err.message],
      };
    }
    const candidates = outcome.candidates.map((c) => this.resolveCandidate(c));
    const explanation: string[] = [];
    if (outcome.isShort) {
      explanation.push(`${outcome.description}; ${this.describeMode()}`);
      if (candidates.length > 1) explanation.push(`CRI-O tries the ${candidates.length} candidates one after another; the first that pulls wins`);
    }
    const failed = candidates.length === 1 ? candidates[0]!.error : null;
    return {
      input: rawInput,
      shortName: outcome.isShort ? { isShort: true, mode: outcome.mode, description: outcome.description } : null,
      candidates,
      error: failed,
      explanation,
    };
  }

  private describeMode(): string {
    const { mode, origin } = effectiveShortNameMode(this.shortNames);
    if (this.shortNames.modeOverride === undefined) {
      return `short-name-mode is ${mode} (${origin ? where(origin) : 'default'})`;
    }
    const ignored = this.config.shortNameModeOrigin ? `; CRI-O ignores short-name-mode at ${where(this.config.shortNameModeOrigin)}` : '';
    return `CRI-O short_name_mode is ${mode} (${origin ? where(origin) : 'CRI-O default'})${ignored}`;
  }

  private resolveCandidate(candidate: PullCandidate): CandidateResolution {
    const explanation: string[] = [];
    let ref = candidate.reference;
    if (ref.tag !== undefined && ref.digest !== undefined) {
      explanation.push(`"${stringOf(ref)}" has both a tag and a digest: CRI-O drops the tag and pulls by digest`);
      ref = { ...ref, tag: undefined };
    }
    if (candidate.via === 'alias') explanation.push(`alias defined at ${where(candidate.origin)}`);
    const image = stringOf(ref);
    const name = nameOf(ref);
    const registry = this.index.find(name);
    const base = { image, via: candidate.via };
    if (registry === undefined) {
      explanation.push(`no [[registry]] prefix matches "${name}": pulled directly from ${ref.domain}, no mirrors`);
      const sources = [this.describeSource({ endpoint: null, mirror: false, reference: ref })];
      return { ...base, registry: null, sources, skippedMirrors: [], error: null, explanation };
    }
    explanation.push(
      `[[registry]] prefix "${registry.prefix}" (${where(registry.origin)}) is the longest prefix matching "${name}"` +
        (registry.location === registry.prefix || registry.location === '' ? '' : `; its location "${registry.location}" rewrites the reference`),
    );
    const matched = { prefix: registry.prefix, location: registry.location, file: registry.origin.file, line: registry.origin.line };
    let plan;
    try {
      plan = pullSourcesFromReference(registry, ref);
    } catch (err) {
      if (!(err instanceof RewriteError)) throw err;
      const message = `${err.message}: entry at ${where(err.endpoint.origin)}; CRI-O fails this pull before trying any source`;
      explanation.push(message);
      return {
        ...base,
        registry: matched,
        sources: [],
        skippedMirrors: [],
        error: { code: 'rewrite-invalid', message, upstream: err.message, file: err.endpoint.origin.file, line: err.endpoint.origin.line },
        explanation,
      };
    }
    const skippedMirrors = plan.skipped.map((s) => this.describeSkip(s));
    for (const s of skippedMirrors) explanation.push(s.explanation);
    const sources = plan.sources.map((s) => this.describeSource(s));
    if (registry.mirrors.length > 0 && sources.length === 1) {
      explanation.push('every mirror was filtered out: this pull goes to the primary location only');
    }
    return { ...base, registry: matched, sources, skippedMirrors, error: null, explanation };
  }

  private describeSkip(s: SkippedMirror): SkippedMirrorResolution {
    return {
      location: s.endpoint.location,
      reason: s.reason,
      origin: located(s.endpoint.origin)!,
      cause: located(s.cause),
      explanation: `mirror "${s.endpoint.location}" (${where(s.endpoint.origin)}) is not used: ${SKIP_TEXT[s.reason]}${s.cause ? ` (${where(s.cause)})` : ''}`,
    };
  }

  private describeSource(source: Omit<PullSource, 'endpoint'> & { endpoint: PullSource['endpoint'] | null }): SourceResolution {
    const { endpoint, reference } = source;
    const physicalName = nameOf(reference);
    const blockingEntry = this.index.find(physicalName);
    const blocked = blockingEntry?.blocked === true;
    const insecure = endpoint?.insecure ?? false;
    const referenceText = stringOf(reference);
    const kind = source.mirror ? 'mirror' : 'primary';
    let explanation = `${kind} ${referenceText}`;
    if (endpoint !== null) explanation += ` (${where(endpoint.origin)})`;
    if (blocked) {
      explanation += `: blocked by [[registry]] "${blockingEntry.prefix}" (${where(blockingEntry.blockedOrigin ?? blockingEntry.origin)}); CRI-O fails this attempt with "registry ${blockingEntry.prefix} is blocked in ${this.configDescription}"`;
    } else if (insecure) {
      explanation += `: insecure = true (${where(endpoint?.insecureOrigin ?? null)}): TLS is not verified and plain HTTP is tried when HTTPS fails`;
    }
    if (!blocked && blockingEntry !== undefined && blockingEntry.insecure && !insecure) {
      explanation += `; note: [[registry]] "${blockingEntry.prefix}" sets insecure = true, but the flag of this ${kind} entry decides, so TLS is verified`;
    }
    return {
      reference: referenceText,
      mirror: source.mirror,
      insecure,
      blocked,
      location: endpoint?.location ?? reference.domain,
      host: contactedHost(reference),
      pullFromMirror: source.mirror && endpoint !== null ? endpoint.pullFromMirror : null,
      origin: endpoint === null ? null : located(endpoint.origin),
      blockedBy: blocked ? { prefix: blockingEntry.prefix, ...located(blockingEntry.blockedOrigin ?? blockingEntry.origin)! } : null,
      insecureOrigin: insecure ? located(endpoint?.insecureOrigin ?? null) : null,
      explanation,
    };
  }
}

export type { Origin };
