// Short-name resolution as containers/common's `shortnames.Resolve` does it for CRI-O (no terminal):
// aliases (the machine alias file first, then registries.conf), then unqualified-search registries,
// then the short-name mode.
import {
  nameOf,
  normalizeQualified,
  parseNormalizedNamed,
  parseReference,
  InvalidReferenceError,
  tagNameOnly,
  type ImageReference,
} from '../reference/reference.js';
import type { Alias, Origin, RegistriesConfig, ShortNameMode } from '../registries/types.js';

/** containers/common's error for an ambiguous short name without a terminal (CRI-O words it its own way). */
export const AMBIGUOUS_UPSTREAM = 'short-name resolution enforced but cannot prompt without a TTY';

export type CandidateVia = 'fully-qualified' | 'alias' | 'unqualified-search';

export interface PullCandidate {
  readonly reference: ImageReference;
  readonly via: CandidateVia;
  /** For an alias: where it is defined; for a search registry: the file that lists it. */
  readonly origin: Origin | null;
  /** `String()` of `reference` when the input spells it already (fully qualified, nothing normalised). */
  readonly text?: string;
}

export interface ShortNameOutcome {
  readonly isShort: boolean;
  readonly mode: ShortNameMode;
  readonly candidates: readonly PullCandidate[];
  /** What containers/common would log, e.g. `Resolved "fedora" as an alias (/etc/...)`. */
  readonly description: string;
}

export class ShortNameError extends Error {
  constructor(
    readonly code: 'invalid-reference' | 'short-name-error',
    message: string,
    readonly upstream: string,
    readonly origin: Origin | null = null,
  ) {
    super(message);
  }
}

function hasRegistry(domain: string): boolean {
  return domain.includes('.') || domain.includes(':') || domain === 'localhost';
}

function withTagAndDigest(base: ImageReference, from: ImageReference): ImageReference {
  return tagNameOnly({ ...base, tag: from.tag, digest: from.digest });
}

export interface ShortNameContext {
  readonly config: RegistriesConfig;
  /** The machine-written alias file (`/var/cache/containers/short-name-aliases.conf`); it wins over registries.conf. */
  readonly machineAliases: ReadonlyMap<string, Alias>;
  /** Set when the machine alias file exists but cannot be loaded: short names then fail, as in containers/image. */
  readonly machineAliasesError?: { message: string; upstream: string; origin: Origin } | undefined;
  /**
   * The caller's own mode. CRI-O always sets one (crio.conf `short_name_mode`, default "enforcing"),
   * so registries.conf's `short-name-mode` only matters to podman and skopeo.
   */
  readonly modeOverride?:
    | {
        readonly mode: ShortNameMode;
        readonly origin: Origin | null;
        /** Set when the runtime imposes the mode whatever any file says, e.g. "CRI-O 1.29". */
        readonly forcedBy?: string;
      }
    | undefined;
}

export function effectiveShortNameMode(ctx: ShortNameContext): {
  mode: ShortNameMode;
  origin: Origin | null;
} {
  return ctx.modeOverride ?? { mode: ctx.config.shortNameMode, origin: ctx.config.shortNameModeOrigin };
}

/**
 * The image name as CRI-O parses it before it reads any configuration: a ShortNameError for an
 * invalid reference, else null.
 */
export function referenceError(input: string): ShortNameError | null {
  try {
    const parsed = parseImageInput(input);
    if (hasRegistry(parsed.domain)) qualifiedReference(parsed, input);
    return null;
  } catch (err) {
    if (err instanceof ShortNameError) return err;
    throw err;
  }
}

function parseImageInput(input: string): ImageReference {
  try {
    return parseReference(input);
  } catch (err) {
    if (!(err instanceof InvalidReferenceError)) throw err;
    const upstream = `cannot parse input: ${JSON.stringify(input)}: ${err.message}`;
    throw new ShortNameError(
      'invalid-reference',
      `invalid image reference "${input}": ${err.message}`,
      upstream,
    );
  }
}

function qualifiedReference(parsed: ImageReference, input: string): ImageReference {
  try {
    return normalizeQualified(parsed);
  } catch (err) {
    if (!(err instanceof InvalidReferenceError)) throw err;
    throw new ShortNameError(
      'invalid-reference',
      `invalid image reference "${input}": ${err.message}`,
      err.message,
    );
  }
}

export function resolveShortName(ctx: ShortNameContext, input: string): ShortNameOutcome {
  const { config } = ctx;
  const { mode, origin: modeOrigin } = effectiveShortNameMode(ctx);
  const parsed = parseImageInput(input);
  if (hasRegistry(parsed.domain)) {
    const reference = tagNameOnly(qualifiedReference(parsed, input));
    // A parsed reference is the input cut in pieces: unchanged, its `String()` is the input.
    const text = reference === parsed ? input : undefined;
    return {
      isShort: false,
      mode,
      candidates: [{ reference, via: 'fully-qualified', origin: null, text }],
      description: `"${input}" is fully qualified`,
    };
  }

  const shortRepo = nameOf(parsed);
  if (ctx.machineAliasesError !== undefined) {
    const e = ctx.machineAliasesError;
    throw new ShortNameError('short-name-error', e.message, e.upstream, e.origin);
  }
  const alias = ctx.machineAliases.get(shortRepo) ?? config.aliases.get(shortRepo);
  if (alias !== undefined && alias.value !== '') {
    const target = withTagAndDigest(parseNormalizedNamed(alias.value), parsed);
    return {
      isShort: true,
      mode,
      candidates: [{ reference: target, via: 'alias', origin: alias.origin }],
      // The text CRI-O logs at info level: the file, without a line.
      description: `Resolved "${shortRepo}" as an alias (${alias.origin.file})`,
    };
  }

  const usrOrigin = config.unqualifiedSearchRegistriesOrigin;
  if (config.unqualifiedSearchRegistries.length === 0) {
    const upstream =
      usrOrigin === null
        ? `short-name "${input}" did not resolve to an alias and no containers-registries.conf(5) was found`
        : `short-name "${input}" did not resolve to an alias and no unqualified-search registries are defined in "${usrOrigin.file}"`;
    throw new ShortNameError('short-name-error', upstream, upstream, usrOrigin);
  }
  const candidates = config.unqualifiedSearchRegistries.map((registry): PullCandidate => {
    try {
      return {
        reference: tagNameOnly(parseNormalizedNamed(`${registry}/${input}`)),
        via: 'unqualified-search',
        origin: usrOrigin,
      };
    } catch (err) {
      if (!(err instanceof InvalidReferenceError)) throw err;
      const upstream = `creating reference with unqualified-search registry ${JSON.stringify(registry)}: ${err.message}`;
      throw new ShortNameError('short-name-error', upstream, upstream, usrOrigin);
    }
  });
  const description = `Resolving "${shortRepo}" using unqualified-search registries (${usrOrigin?.file ?? ''})`;
  if (mode === 'enforcing' && candidates.length > 1) {
    // CRI-O has no terminal to prompt on; it reports its own text for podman's "cannot prompt without a TTY".
    throw new ShortNameError(
      'short-name-error',
      `short name mode is enforcing, but image name ${input} returns ambiguous list`,
      AMBIGUOUS_UPSTREAM,
      modeOrigin,
    );
  }
  return { isShort: true, mode, candidates, description };
}
