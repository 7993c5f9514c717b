// `Registry.PullSourcesFromReference` and `Endpoint.rewriteReference` of containers/image.
import { parseCanonicalNamed, ReferenceError, stringOf, type ImageReference } from '../reference/reference.js';
import { refMatchingPrefix } from './prefix-match.js';
import type { Endpoint, Origin, Registry } from './types.js';

export interface PullSource {
  readonly endpoint: Endpoint;
  readonly mirror: boolean;
  /** The physical reference pulled from this source. */
  readonly reference: ImageReference;
}

export type SkipReason = 'mirror-by-digest-only' | 'pull-from-mirror-digest-only' | 'pull-from-mirror-tag-only';

export interface SkippedMirror {
  readonly endpoint: Endpoint;
  readonly reason: SkipReason;
  /** The line that causes the skip. */
  readonly cause: Origin | null;
}

export class RewriteError extends Error {
  constructor(
    message: string,
    readonly endpoint: Endpoint,
  ) {
    super(message);
  }
}

export function rewriteReference(endpoint: Endpoint, ref: ImageReference, prefix: string): ImageReference {
  const s = stringOf(ref);
  const n = refMatchingPrefix(s, prefix);
  if (n === -1) throw new RewriteError(`invalid prefix '${prefix}' for reference '${s}'`, endpoint);
  if (endpoint.location === '') {
    if (!prefix.startsWith('*.')) {
      throw new RewriteError(`invalid prefix '${prefix}' for empty location, should be in the format: *.example.com`, endpoint);
    }
    return ref;
  }
  const rewritten = endpoint.location + s.slice(n);
  try {
    return parseCanonicalNamed(rewritten);
  } catch (err) {
    if (err instanceof ReferenceError) {
      throw new RewriteError(`rewriting reference: ${err.message} ("${rewritten}")`, endpoint);
    }
    throw err;
  }
}

export interface PullSourcePlan {
  readonly sources: readonly PullSource[];
  readonly skipped: readonly SkippedMirror[];
}

/** Mirrors first (filtered by digest/tag rules), the primary location always last. */
export function pullSourcesFromReference(registry: Registry, ref: ImageReference): PullSourcePlan {
  const digested = ref.digest !== undefined;
  const endpoints: { endpoint: Endpoint; mirror: boolean }[] = [];
  const skipped: SkippedMirror[] = [];
  for (const m of registry.mirrors) {
    if (registry.mirrorByDigestOnly) {
      if (digested) endpoints.push({ endpoint: m, mirror: true });
      else skipped.push({ endpoint: m, reason: 'mirror-by-digest-only', cause: registry.mirrorByDigestOnlyOrigin });
    } else if (m.pullFromMirror === 'digest-only' && !digested) {
      skipped.push({ endpoint: m, reason: 'pull-from-mirror-digest-only', cause: m.pullFromMirrorOrigin });
    } else if (m.pullFromMirror === 'tag-only' && digested) {
      skipped.push({ endpoint: m, reason: 'pull-from-mirror-tag-only', cause: m.pullFromMirrorOrigin });
    } else {
      endpoints.push({ endpoint: m, mirror: true });
    }
  }
  endpoints.push({ endpoint: registry, mirror: false });
  const sources = endpoints.map(({ endpoint, mirror }) => ({
    endpoint,
    mirror,
    reference: rewriteReference(endpoint, ref, registry.prefix),
  }));
  return { sources, skipped };
}
