// `Registry.PullSourcesFromReference` and `Endpoint.rewriteReference` of containers/image.
import { isDomain, isPath } from '../reference/grammar.js';
import {
  nameOf,
  parseCanonicalNamed,
  InvalidReferenceError,
  stringOf,
  type ImageReference,
} from '../reference/reference.js';
import { refMatchingPrefix } from './prefix-match.js';
import type { Endpoint, Origin, Registry } from './types.js';

export interface PullSource {
  readonly endpoint: Endpoint;
  readonly mirror: boolean;
  /** The physical reference pulled from this source. */
  readonly reference: ImageReference;
  /**
   * True when the physical name is the endpoint's location followed by `/…`: its FindRegistry answer
   * then depends on the location alone, which lets callers cache it.
   */
  readonly belowLocation: boolean;
  /** 0 for the primary location, i + 1 for `registry.mirrors[i]`. */
  readonly endpointIndex: number;
}

export type SkipReason =
  'mirror-by-digest-only' | 'pull-from-mirror-digest-only' | 'pull-from-mirror-tag-only';

export interface SkippedMirror {
  readonly endpoint: Endpoint;
  /** i + 1 for `registry.mirrors[i]`, as `PullSource.endpointIndex`. */
  readonly endpointIndex: number;
  readonly reason: SkipReason;
  /** The line that causes the skip. */
  readonly cause: Origin | null;
}

export class RewriteError extends Error {
  constructor(
    message: string,
    readonly endpoint: Endpoint,
    /** The text containers/image gives (without our detail of the rewritten string). */
    readonly upstream: string = message,
  ) {
    super(message);
  }
}

/**
 * A location that, followed by `/path…` of a valid reference, always yields a canonical reference:
 * the rewrite can then be assembled without re-parsing (it is what `ParseNamed` would return).
 */
export interface CanonicalLocation {
  readonly domain: string;
  readonly path: string;
}

export function canonicalLocation(location: string): CanonicalLocation | null {
  const slash = location.indexOf('/');
  const domain = slash === -1 ? location : location.slice(0, slash);
  const path = slash === -1 ? '' : location.slice(slash + 1);
  const isRegistryHost = domain.includes('.') || domain.includes(':') || domain === 'localhost';
  // docker.io and index.docker.io are re-normalised by ParseNamed; leave them to the full parser.
  const plain = isRegistryHost && domain !== 'docker.io' && domain !== 'index.docker.io';
  return plain && isDomain(domain) && (path === '' || isPath(path)) ? { domain, path } : null;
}

const NAME_TOTAL_LENGTH_MAX = 255;

export function rewriteReference(
  endpoint: Endpoint,
  ref: ImageReference,
  prefix: string,
  canonical: CanonicalLocation | null = canonicalLocation(endpoint.location),
): { reference: ImageReference; belowLocation: boolean } {
  const name = nameOf(ref);
  const s = ref.tag === undefined && ref.digest === undefined ? name : stringOf(ref);
  const n = refMatchingPrefix(s, prefix);
  if (n === -1) throw new RewriteError(`invalid prefix '${prefix}' for reference '${s}'`, endpoint);
  if (endpoint.location === '') {
    if (!prefix.startsWith('*.')) {
      throw new RewriteError(
        `invalid prefix '${prefix}' for empty location, should be in the format: *.example.com`,
        endpoint,
      );
    }
    return { reference: ref, belowLocation: false };
  }
  const belowLocation = s.charCodeAt(n) === 0x2f;
  const fast = belowLocation ? canonical : null;
  if (fast !== null && endpoint.location.length + (name.length - n) <= NAME_TOTAL_LENGTH_MAX) {
    const rest = name.slice(n + 1);
    return {
      reference: {
        domain: fast.domain,
        path: fast.path === '' ? rest : `${fast.path}/${rest}`,
        tag: ref.tag,
        digest: ref.digest,
      },
      belowLocation,
    };
  }
  const rewritten = endpoint.location + s.slice(n);
  try {
    return { reference: parseCanonicalNamed(rewritten), belowLocation };
  } catch (err) {
    if (err instanceof InvalidReferenceError) {
      throw new RewriteError(
        `rewriting reference: ${err.message} ("${rewritten}")`,
        endpoint,
        `rewriting reference: ${err.message}`,
      );
    }
    throw err;
  }
}

export interface PullSourcePlan {
  readonly sources: readonly PullSource[];
  readonly skipped: readonly SkippedMirror[];
}

const NO_SKIPS: readonly SkippedMirror[] = [];

/**
 * Mirrors first (filtered by digest/tag rules), the primary location always last.
 * `canonical` may carry precomputed `canonicalLocation`s: index 0 the primary, then the mirrors.
 */
export function pullSourcesFromReference(
  registry: Registry,
  ref: ImageReference,
  canonical?: readonly (CanonicalLocation | null)[],
): PullSourcePlan {
  const digested = ref.digest !== undefined;
  const sources: PullSource[] = [];
  let skipped: SkippedMirror[] | undefined;
  const add = (endpoint: Endpoint, index: number): void => {
    const location = canonical ? canonical[index]! : canonicalLocation(endpoint.location);
    const { reference, belowLocation } = rewriteReference(endpoint, ref, registry.prefix, location);
    sources.push({ endpoint, mirror: index > 0, reference, belowLocation, endpointIndex: index });
  };
  const skip = (endpoint: Endpoint, index: number, reason: SkipReason, cause: Origin | null): void => {
    (skipped ??= []).push({ endpoint, endpointIndex: index, reason, cause });
  };
  registry.mirrors.forEach((m, i) => {
    if (registry.mirrorByDigestOnly) {
      if (digested) add(m, i + 1);
      else skip(m, i + 1, 'mirror-by-digest-only', registry.mirrorByDigestOnlyOrigin);
    } else if (m.pullFromMirror === 'digest-only' && !digested) {
      skip(m, i + 1, 'pull-from-mirror-digest-only', m.pullFromMirrorOrigin);
    } else if (m.pullFromMirror === 'tag-only' && digested) {
      skip(m, i + 1, 'pull-from-mirror-tag-only', m.pullFromMirrorOrigin);
    } else {
      add(m, i + 1);
    }
  });
  add(registry, 0);
  return { sources, skipped: skipped ?? NO_SKIPS };
}
