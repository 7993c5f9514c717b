// Everything the resolver derives from a `[[registry]]` once per parsed configuration, and the text
// of a pull source, so that a resolution only reads what it needs from the one entry it matched.
//
// Why the templates: a source below a canonical location is described from its endpoint's
// `SourceTemplate` (packed with the others in a `TemplateTable`), and its strings are cut from one
// shared text (a slice reads only that text's header, not the string it was cut from).
import type { InsecureMatch } from '../crio/insecure-registries.js';
import { stringOf, type ImageReference } from '../reference/reference.js';
import { canonicalLocation, type CanonicalLocation, type SkippedMirror } from '../registries/pull-sources.js';
import { RegistryIndex } from '../registries/registry-index.js';
import type { Endpoint, Registry } from '../registries/types.js';
import { TemplateTable } from './template-table.js';
import {
  located,
  where,
  type Located,
  type MatchedRegistry,
  type SkippedMirrorResolution,
  type SourceResolution,
} from './types.js';

/** What the messages name: who pulls, and the configuration files (`ConfigurationSourceDescription`). */
export interface SourceWording {
  readonly runtimeName: string;
  readonly configDescription: string;
}

/** A source's description, built once per endpoint: only the reference text differs between pulls. */
export interface SourceTemplate {
  /** The skip applies to references without a digest ('tag') or with one ('digest'). */
  readonly skipFor: 'tag' | 'digest' | null;
  readonly skip: SkippedMirrorResolution | null;
  /** In the shared text: the location from `locationStart`, then the explanation after the reference. */
  readonly locationStart: number;
  readonly tailStart: number;
  readonly tailEnd: number;
  readonly mirror: boolean;
  readonly insecure: boolean;
  readonly blocked: boolean;
  readonly location: string;
  readonly host: string;
  readonly pullFromMirror: SourceResolution['pullFromMirror'];
  readonly origin: Located;
  readonly blockedBy: SourceResolution['blockedBy'];
  readonly insecureOrigin: Located | null;
}

/** What never changes for an entry: its location text, provenance, and the blocked verdict below it. */
export interface EndpointFacts {
  readonly endpoint: Endpoint;
  readonly location: string;
  readonly where: string;
  readonly origin: Located;
  readonly insecureOrigin: Located | null;
  readonly canonical: CanonicalLocation | null;
  /** FindRegistry of `location/…`, when it cannot depend on what follows the location. */
  readonly blockingBelow: Registry | undefined | 'depends';
  /** Why this mirror is skipped, when it is (one reason at most for a given entry). */
  readonly skip: SkippedMirrorResolution | null;
}

/** What a source's description reads from its endpoint's facts. */
type DescribedFacts = Pick<EndpointFacts, 'where' | 'origin' | 'insecureOrigin'>;

/** A `[[registry]]` with everything the resolver derives from it once (what a resolution reads first). */
export interface CompiledRegistry {
  /**
   * Index-aligned with `endpoints` when every location is canonical and its blocked verdict does not
   * depend on the name: a name below the prefix is then described without rewriting or parsing.
   */
  readonly templates: readonly SourceTemplate[] | null;
  readonly explanation: string;
  readonly matched: MatchedRegistry;
  readonly registry: Registry;
  readonly prefix: string;
  /** 0: the primary location; i + 1: `registry.mirrors[i]`. */
  readonly endpoints: readonly EndpointFacts[];
  readonly canonical: readonly (CanonicalLocation | null)[];
}

const SKIP_TEXT: Record<SkippedMirror['reason'], string> = {
  'mirror-by-digest-only': 'the reference has no digest and the registry sets mirror-by-digest-only = true',
  'pull-from-mirror-digest-only':
    'the reference has no digest and the mirror sets pull-from-mirror = "digest-only"',
  'pull-from-mirror-tag-only': 'the reference has a digest and the mirror sets pull-from-mirror = "tag-only"',
};

function skipOf(registry: Registry, mirror: Endpoint): SkippedMirrorResolution | null {
  let reason: SkippedMirror['reason'];
  let cause;
  if (registry.mirrorByDigestOnly)
    [reason, cause] = ['mirror-by-digest-only' as const, registry.mirrorByDigestOnlyOrigin];
  else if (mirror.pullFromMirror === 'digest-only')
    [reason, cause] = ['pull-from-mirror-digest-only' as const, mirror.pullFromMirrorOrigin];
  else if (mirror.pullFromMirror === 'tag-only')
    [reason, cause] = ['pull-from-mirror-tag-only' as const, mirror.pullFromMirrorOrigin];
  else return null;
  return {
    location: mirror.location,
    reason,
    origin: located(mirror.origin)!,
    cause: located(cause),
    explanation: `mirror "${mirror.location}" (${where(mirror.origin)}) is not used: ${SKIP_TEXT[reason]}${cause ? ` (${where(cause)})` : ''}`,
  };
}

function contactedHost(domain: string): string {
  return domain === 'docker.io' ? 'registry-1.docker.io' : domain;
}

/**
 * One source as `mirrorscope resolve` shows it. `blocking` is FindRegistry of the physical name:
 * CRI-O checks `blocked` there, not on the matched entry.
 */
export function describeSource(
  wording: SourceWording,
  reference: ImageReference,
  endpoint: Endpoint | null,
  mirror: boolean,
  blocking: Registry | undefined,
  facts?: DescribedFacts,
  insecureRequest: InsecureMatch | null = null,
): SourceResolution {
  const blocked = blocking?.blocked === true;
  const insecureByEntry = endpoint?.insecure ?? false;
  const insecure = insecureByEntry || insecureRequest !== null;
  const referenceText = stringOf(reference);
  const kind = mirror ? 'mirror' : 'primary';
  return {
    reference: referenceText,
    mirror,
    insecure,
    blocked,
    location: endpoint?.location ?? reference.domain,
    host: contactedHost(reference.domain),
    pullFromMirror: mirror && endpoint !== null ? endpoint.pullFromMirror : null,
    origin: facts ? facts.origin : null,
    blockedBy: blocked
      ? { prefix: blocking.prefix, ...located(blocking.blockedOrigin ?? blocking.origin)! }
      : null,
    insecureOrigin: insecureByEntry
      ? (facts?.insecureOrigin ?? null)
      : insecureRequest !== null
        ? located(insecureRequest.origin)
        : null,
    explanation: `${kind} ${referenceText}${explanationTail(wording, endpoint, kind, blocking, facts, insecureRequest)}`,
  };
}

/** What a source's explanation says after its reference. */
function explanationTail(
  wording: SourceWording,
  endpoint: Endpoint | null,
  kind: string,
  blocking: Registry | undefined,
  facts: DescribedFacts | undefined,
  insecureRequest: InsecureMatch | null,
): string {
  const at = facts ? ` (${facts.where})` : '';
  if (blocking?.blocked === true)
    return `${at}: blocked by [[registry]] "${blocking.prefix}" (${where(blocking.blockedOrigin ?? blocking.origin)}); ${wording.runtimeName} fails this attempt with "registry ${blocking.prefix} is blocked in ${wording.configDescription}"`;
  if (endpoint?.insecure === true)
    return `${at}: insecure = true (${where(endpoint.insecureOrigin)}): TLS is not verified and plain HTTP is tried when HTTPS fails`;
  if (insecureRequest !== null)
    return `${at}: CRI-O's insecure_registries "${insecureRequest.entry}" (${insecureRequest.origin === null ? 'built in up to CRI-O 1.34' : where(insecureRequest.origin)}) covers this pull: TLS is not verified and plain HTTP is tried when HTTPS fails`;
  if (blocking !== undefined && blocking.insecure)
    return `${at}; note: [[registry]] "${blocking.prefix}" sets insecure = true, but the flag of this ${kind} entry decides, so TLS is verified`;
  return at;
}

/** Strings kept end to end in one, so that a piece is cut out of it by position. */
class SharedText {
  private readonly parts: string[] = [];
  private length = 0;

  /** The start of `piece` in the text. */
  add(piece: string): number {
    this.parts.push(piece);
    this.length += piece.length;
    return this.length - piece.length;
  }

  toString(): string {
    return this.parts.join('');
  }
}

function sourceTemplate(
  wording: SourceWording,
  text: SharedText,
  endpoint: Endpoint,
  mirror: boolean,
  canonical: CanonicalLocation,
  facts: EndpointFacts & { readonly blockingBelow: Registry | undefined },
): SourceTemplate {
  // The reference's domain is the location's: a placeholder path gives every field but the texts.
  const sample = describeSource(
    wording,
    { domain: canonical.domain, path: 'x', tag: undefined, digest: undefined },
    endpoint,
    mirror,
    facts.blockingBelow,
    facts,
  );
  const kind = mirror ? 'mirror' : 'primary';
  const tail = explanationTail(wording, endpoint, kind, facts.blockingBelow, facts, null);
  const locationStart = text.add(endpoint.location);
  const tailStart = text.add(tail);
  return {
    skipFor:
      facts.skip === null ? null : facts.skip.reason === 'pull-from-mirror-tag-only' ? 'digest' : 'tag',
    skip: facts.skip,
    locationStart,
    tailStart,
    tailEnd: tailStart + tail.length,
    mirror: sample.mirror,
    insecure: sample.insecure,
    blocked: sample.blocked,
    location: sample.location,
    host: sample.host,
    pullFromMirror: sample.pullFromMirror,
    origin: facts.origin,
    blockedBy: sample.blockedBy,
    insecureOrigin: sample.insecureOrigin,
  };
}

function compileEndpoint(
  index: RegistryIndex<{ readonly prefix: string; readonly registry: Registry }>,
  registry: Registry,
  endpoint: Endpoint,
  mirror: boolean,
): EndpointFacts {
  return {
    endpoint,
    location: endpoint.location,
    where: where(endpoint.origin),
    origin: located(endpoint.origin)!,
    insecureOrigin: located(endpoint.insecureOrigin),
    canonical: canonicalLocation(endpoint.location),
    blockingBelow:
      endpoint.location !== '' && !index.isExtended(endpoint.location)
        ? index.find(endpoint.location)?.registry
        : 'depends',
    skip: mirror ? skipOf(registry, endpoint) : null,
  };
}

function templatesOf(
  wording: SourceWording,
  text: SharedText,
  endpoints: readonly EndpointFacts[],
): SourceTemplate[] | null {
  const templates: SourceTemplate[] = [];
  for (const [i, facts] of endpoints.entries()) {
    const { canonical, blockingBelow } = facts;
    if (canonical === null || blockingBelow === 'depends') return null;
    templates.push(
      sourceTemplate(wording, text, facts.endpoint, i > 0, canonical, { ...facts, blockingBelow }),
    );
  }
  return templates;
}

function compileRegistry(
  wording: SourceWording,
  index: RegistryIndex<{ readonly prefix: string; readonly registry: Registry }>,
  text: SharedText,
  registry: Registry,
): CompiledRegistry {
  const rewrites = registry.location !== registry.prefix && registry.location !== '';
  const endpoints = [
    compileEndpoint(index, registry, registry, false),
    ...registry.mirrors.map((m) => compileEndpoint(index, registry, m, true)),
  ];
  return {
    templates: templatesOf(wording, text, endpoints),
    explanation:
      `[[registry]] prefix "${registry.prefix}" (${where(registry.origin)}) is the longest matching prefix` +
      (rewrites ? `; its location "${registry.location}" rewrites the reference` : ''),
    matched: {
      prefix: registry.prefix,
      location: registry.location,
      file: registry.origin.file,
      line: registry.origin.line,
    },
    registry,
    prefix: registry.prefix,
    endpoints,
    canonical: endpoints.map((e) => e.canonical),
  };
}

/** The `[[registry]]` entries of a configuration, compiled: indexed by prefix, and their templates packed. */
export function compileRegistries(
  registries: readonly Registry[],
  wording: SourceWording,
): { index: RegistryIndex<CompiledRegistry>; templates: TemplateTable } {
  const plain = new RegistryIndex(registries.map((registry) => ({ prefix: registry.prefix, registry })));
  const text = new SharedText();
  const compiled = registries.map((registry) => compileRegistry(wording, plain, text, registry));
  return { index: new RegistryIndex(compiled), templates: new TemplateTable(compiled, text.toString()) };
}
