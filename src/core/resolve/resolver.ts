// Resolution of an image reference to the ordered pull sources CRI-O would try.
// Pure: everything it needs is in the assembled configuration.
import { nameLengthOf, nameOf, stringOf, type ImageReference } from '../reference/reference.js';
import {
  pullSourcesFromReference,
  rewriteReference,
  RewriteError,
  type PullSource,
  type PullSourcePlan,
  type SkippedMirror,
} from '../registries/pull-sources.js';
import type { CrioSetting } from '../crio/crio-config.js';
import { cidrNeedsDns, matchInsecureRegistry, type InsecureMatch } from '../crio/insecure-registries.js';
import type { RegistryIndex } from '../registries/registry-index.js';
import {
  compileRegistries,
  describeSource,
  type CompiledRegistry,
  type EndpointFacts,
} from './compiled-registry.js';
import type { TemplateTable } from './template-table.js';
import type { Alias, Endpoint, RegistriesConfig, Registry } from '../registries/types.js';
import {
  AMBIGUOUS_UPSTREAM,
  effectiveShortNameMode,
  referenceError,
  resolveShortName,
  ShortNameError,
  type PullCandidate,
  type ShortNameContext,
} from '../shortnames/short-names.js';
import type { CandidatePlan, PlannedSource, PullPlan, TriedSource } from './plan.js';
import { where, type CandidateResolution, type ResolveResult, type SourceResolution } from './types.js';

export interface ResolverOptions {
  readonly machineAliases?: ReadonlyMap<string, Alias>;
  readonly machineAliasesError?: ShortNameContext['machineAliasesError'];
  readonly shortNameModeOverride?: ShortNameContext['modeOverride'];
  /** `ConfigurationSourceDescription`, used in the "is blocked in …" error text. */
  readonly configDescription?: string;
  /** Who pulls, in messages: "CRI-O" (default) or "podman" (`--runtime podman`). */
  readonly runtimeName?: string;
  /** crio.conf `insecure_registries` (CRI-O only). */
  readonly insecureRegistries?: readonly CrioSetting<string>[];
}

const ALL_MIRRORS_FILTERED = 'every mirror was filtered out: this pull goes to the primary location only';

function triedSource(
  resolution: SourceResolution,
  entry: Endpoint | null,
  physical: ImageReference,
): TriedSource {
  return { kind: 'try', resolution, entry, physical, credentialsKey: nameOf(physical) };
}

/** The reference a skipped mirror would have been asked for; its location when the rewrite fails. */
function skippedReference(compiled: CompiledRegistry, ref: ImageReference, skipped: SkippedMirror): string {
  try {
    const canonical = compiled.canonical[skipped.endpointIndex]!;
    return stringOf(rewriteReference(skipped.endpoint, ref, compiled.prefix, canonical).reference);
  } catch (err) {
    if (!(err instanceof RewriteError)) throw err;
    return skipped.endpoint.location;
  }
}

/** Tried and skipped sources by endpoint: the mirrors in file order, then the primary location. */
function configurationOrder(
  compiled: CompiledRegistry,
  ref: ImageReference,
  pulled: PullSourcePlan,
  resolution: CandidateResolution,
): PlannedSource[] {
  const byEndpoint: PlannedSource[] = [];
  pulled.sources.forEach((s, i) => {
    byEndpoint[s.endpointIndex] = triedSource(resolution.sources[i]!, s.endpoint, s.reference);
  });
  pulled.skipped.forEach((s, i) => {
    byEndpoint[s.endpointIndex] = {
      kind: 'skip',
      resolution: resolution.skippedMirrors[i]!,
      entry: s.endpoint,
      reference: skippedReference(compiled, ref, s),
    };
  });
  return [...byEndpoint.slice(1), byEndpoint[0]!];
}

function failedResult(rawInput: string, err: ShortNameError): ResolveResult {
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

/**
 * CRI-O parses the image name before it reads any configuration: an invalid name is the answer
 * even when registries.conf cannot be loaded (podman loads the configuration first).
 */
export function invalidReferenceResult(rawInput: string): ResolveResult | null {
  const input = rawInput.startsWith('docker://') ? rawInput.slice('docker://'.length) : rawInput;
  const err = referenceError(input);
  return err === null ? null : failedResult(rawInput, err);
}

export class Resolver {
  private readonly index: RegistryIndex<CompiledRegistry>;
  private readonly templates: TemplateTable;
  private readonly shortNames: ShortNameContext;
  /** `ConfigurationSourceDescription`, in the "is blocked in …" error text. */
  readonly configDescription: string;
  /** Who pulls, in messages. */
  readonly runtimeName: string;
  private readonly insecureRegistries: readonly CrioSetting<string>[];

  constructor(
    readonly config: RegistriesConfig,
    options: ResolverOptions = {},
  ) {
    this.shortNames = {
      config,
      machineAliases: options.machineAliases ?? new Map(),
      machineAliasesError: options.machineAliasesError,
      modeOverride: options.shortNameModeOverride,
    };
    this.configDescription = options.configDescription ?? config.files.join(', ');
    this.runtimeName = options.runtimeName ?? 'CRI-O';
    ({ index: this.index, templates: this.templates } = compileRegistries(config.registries, this));
    this.insecureRegistries = options.insecureRegistries ?? [];
  }

  /** `FindRegistry` for a reference name (no tag or digest). */
  findRegistry(name: string): Registry | undefined {
    return this.index.find(name)?.registry;
  }

  resolve(rawInput: string): ResolveResult {
    return this.run(rawInput, null);
  }

  /** `resolve`'s answer with every source in the order CRI-O walks them: what a trace needs. */
  plan(rawInput: string): PullPlan {
    const candidates: CandidatePlan[] = [];
    return { resolution: this.run(rawInput, candidates), candidates };
  }

  /** `plans`, when given, receives one `CandidatePlan` per candidate. */
  private run(rawInput: string, plans: CandidatePlan[] | null): ResolveResult {
    const input = rawInput.startsWith('docker://') ? rawInput.slice('docker://'.length) : rawInput;
    let outcome;
    try {
      outcome = resolveShortName(this.shortNames, input);
    } catch (err) {
      if (!(err instanceof ShortNameError)) throw err;
      const failed = failedResult(rawInput, err);
      if (err.upstream !== AMBIGUOUS_UPSTREAM) return failed;
      // Why CRI-O refuses it: the mode and where it comes from, and the registries it would not choose between.
      const registries = this.config.unqualifiedSearchRegistries;
      return {
        ...failed,
        explanation: [
          ...failed.explanation,
          this.describeMode(),
          `unqualified-search-registries (${where(this.config.unqualifiedSearchRegistriesOrigin)}) offers ${registries.length} registries: ${registries.join(', ')}`,
        ],
      };
    }
    const candidates = outcome.candidates.map((c) => this.resolveCandidate(c, plans));
    const explanation: string[] = [];
    if (outcome.isShort) {
      explanation.push(`${outcome.description}; ${this.describeMode()}`);
      const first = outcome.candidates[0];
      if (first?.via === 'unqualified-search')
        explanation.push(`unqualified-search-registries is set at ${where(first.origin)}`);
      if (candidates.length > 1)
        explanation.push(
          `${this.runtimeName} tries the ${candidates.length} candidates one after another; the first that pulls wins`,
        );
    }
    return {
      input: rawInput,
      shortName: outcome.isShort
        ? { isShort: true, mode: outcome.mode, description: outcome.description }
        : null,
      candidates,
      error: candidates.length === 1 ? candidates[0]!.error : null,
      explanation,
    };
  }

  private describeMode(): string {
    const { mode, origin } = effectiveShortNameMode(this.shortNames);
    const override = this.shortNames.modeOverride;
    if (override === undefined) {
      return `short-name-mode is ${mode} (${origin ? where(origin) : 'default'})`;
    }
    const ignored = this.config.shortNameModeOrigin
      ? `; CRI-O ignores short-name-mode at ${where(this.config.shortNameModeOrigin)}`
      : '';
    if (override.forcedBy !== undefined)
      return `${override.forcedBy} forces short-name mode ${mode} on every pull (crio.conf short_name_mode is read only from CRI-O 1.34)${ignored}`;
    return `CRI-O short_name_mode is ${mode} (${origin ? where(origin) : 'CRI-O default'})${ignored}`;
  }

  /** crio.conf insecure_registries for the registry CRI-O is asked for (per candidate). */
  private insecureRequest(ref: ImageReference, explanation: string[]): InsecureMatch | null {
    if (this.insecureRegistries.length === 0) return null;
    const match = matchInsecureRegistry(this.insecureRegistries, ref.domain);
    if (match !== null) {
      const listed =
        match.origin === null
          ? `CRI-O adds "${match.entry}" to insecure_registries itself (up to CRI-O 1.34)`
          : `crio.conf insecure_registries lists "${match.entry}" (${where(match.origin)})`;
      explanation.push(
        `${listed}, which matches the requested registry ${ref.domain}${match.how === 'cidr' ? ' by its IP address' : ''}: CRI-O skips TLS verification (and allows plain HTTP) for every source of this pull, mirrors included`,
      );
      return match;
    }
    // Only the configured CIDRs: a registry name does not resolve to CRI-O's own 127.0.0.0/8.
    const configured = this.insecureRegistries.filter((e) => e.origin !== null);
    const dns = cidrNeedsDns(configured, ref.domain);
    if (dns.length > 0)
      explanation.push(
        `crio.conf insecure_registries lists ${dns.join(', ')}: CRI-O also skips TLS verification for this pull when ${ref.domain.replace(/:\d+$/, '')} resolves into one of them; mirrorscope does not resolve host names`,
      );
    return null;
  }

  private resolveCandidate(candidate: PullCandidate, plans: CandidatePlan[] | null): CandidateResolution {
    const explanation: string[] = [];
    let ref = candidate.reference;
    if (ref.tag !== undefined && ref.digest !== undefined) {
      explanation.push(
        `"${stringOf(ref)}" has both a tag and a digest: ${this.runtimeName} drops the tag and pulls by digest`,
      );
      ref = { domain: ref.domain, path: ref.path, tag: undefined, digest: ref.digest };
    }
    if (candidate.via === 'alias') explanation.push(`alias defined at ${where(candidate.origin)}`);
    const image = ref === candidate.reference ? (candidate.text ?? stringOf(ref)) : stringOf(ref);
    // `Name()` as a slice of `image` rather than a second concatenation: reading either character by
    // character first copies it into one piece, and this way that happens once.
    const name = image.slice(0, nameLengthOf(ref));
    const position = this.index.position(name);
    // Said after the line about the matching entry (the first line a reader sees for the candidate).
    const insecureLines: string[] = [];
    const insecureRequest = this.insecureRequest(ref, insecureLines);
    if (position === -1) {
      explanation.push(
        `no [[registry]] prefix matches "${name}": pulled directly from ${ref.domain}, no mirrors`,
        ...insecureLines,
      );
      const source = describeSource(this, ref, null, false, undefined, undefined, insecureRequest);
      const resolution: CandidateResolution = {
        image,
        via: candidate.via,
        registry: null,
        sources: [source],
        skippedMirrors: [],
        error: null,
        explanation,
      };
      plans?.push({ resolution, logical: ref, registry: null, sources: [triedSource(source, null, ref)] });
      return resolution;
    }
    // A plan needs the parsed physical references: it takes the general path.
    const templated =
      plans === null && insecureRequest === null
        ? this.templates.candidate(position, name, image, ref.digest !== undefined)
        : null;
    if (templated !== null) {
      explanation.push(templated.explanation, ...insecureLines);
      explanation.push(...templated.skippedLines);
      if (templated.sources.length === 1 && templated.skipped.length > 0)
        explanation.push(ALL_MIRRORS_FILTERED);
      return {
        image,
        via: candidate.via,
        registry: templated.matched,
        sources: templated.sources,
        skippedMirrors: templated.skipped,
        error: null,
        explanation,
      };
    }
    const compiled = this.index.registries[position]!;
    const { registry } = compiled;
    explanation.push(compiled.explanation, ...insecureLines);
    let pulled;
    try {
      pulled = pullSourcesFromReference(registry, ref, compiled.canonical);
    } catch (err) {
      if (!(err instanceof RewriteError)) throw err;
      const message = `${err.message}: entry at ${where(err.endpoint.origin)}; ${this.runtimeName} fails this pull before trying any source`;
      explanation.push(message);
      const resolution: CandidateResolution = {
        image,
        via: candidate.via,
        registry: compiled.matched,
        sources: [],
        skippedMirrors: [],
        error: {
          code: 'rewrite-invalid',
          message,
          upstream: err.upstream,
          file: err.endpoint.origin.file,
          line: err.endpoint.origin.line,
        },
        explanation,
      };
      plans?.push({ resolution, logical: ref, registry, sources: [] });
      return resolution;
    }
    const skippedMirrors = pulled.skipped.map((s) => compiled.endpoints[s.endpointIndex]!.skip!);
    for (const s of skippedMirrors) explanation.push(s.explanation);
    const sources = pulled.sources.map((s) =>
      this.describePlannedSource(s, compiled.endpoints[s.endpointIndex]!, insecureRequest),
    );
    if (sources.length === 1 && skippedMirrors.length > 0) explanation.push(ALL_MIRRORS_FILTERED);
    const resolution: CandidateResolution = {
      image,
      via: candidate.via,
      registry: compiled.matched,
      sources,
      skippedMirrors,
      error: null,
      explanation,
    };
    plans?.push({
      resolution,
      logical: ref,
      registry,
      sources: configurationOrder(compiled, ref, pulled, resolution),
    });
    return resolution;
  }

  private describePlannedSource(
    source: PullSource,
    facts: EndpointFacts,
    insecureRequest: InsecureMatch | null,
  ): SourceResolution {
    const blocking =
      source.belowLocation && facts.blockingBelow !== 'depends'
        ? facts.blockingBelow
        : this.index.find(nameOf(source.reference))?.registry;
    return describeSource(
      this,
      source.reference,
      source.endpoint,
      source.mirror,
      blocking,
      facts,
      insecureRequest,
    );
  }
}
