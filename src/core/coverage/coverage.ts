// Mirror coverage: for each image in use (or listed), whether the nodes can still get it once the
// mirror objects apply — a mirror is tried for it in the form it is pulled (digest or tag), or its
// source is usable — and, when not, why. Images pulled both by tag and by digest where only one form
// is mirrored are named (oc-mirror writes an IDMS for digests; tags need an ITMS: openshift/oc-mirror#1424).
// Pure: it reads resolutions of the rendered registries.conf.
import { nameOf, parseNormalizedNamed } from '../reference/reference.js';
import type { Resolver } from '../resolve/resolver.js';
import type { CandidateResolution } from '../resolve/types.js';

export interface CoverageEntry {
  readonly image: string;
  readonly covered: boolean;
  /** The mirror references CRI-O would try, in order. */
  readonly mirrors: readonly string[];
  /** Why it is not covered; for a covered image pulled from its source, that; else null. */
  readonly reason: string | null;
}

export interface CoverageReport {
  readonly images: readonly CoverageEntry[];
  readonly summary: { readonly covered: number; readonly uncovered: number };
}

export interface CoverageInput {
  readonly resolver: Resolver;
  readonly images: readonly string[];
  /**
   * Source hosts known to answer from the nodes (a collector's probes); null when nothing is known:
   * an unmirrored image then counts as uncovered, as on the disconnected cluster oc-mirror is for.
   */
  readonly reachableHosts: ReadonlySet<string> | null;
}

function form(image: string): 'digest' | 'tag' | null {
  try {
    return parseNormalizedNamed(image).digest !== undefined ? 'digest' : 'tag';
  } catch {
    return null;
  }
}

function repository(image: string): string | null {
  try {
    return nameOf(parseNormalizedNamed(image));
  } catch {
    return null;
  }
}

function judge(c: CandidateResolution, reachable: ReadonlySet<string> | null): Omit<CoverageEntry, 'image'> {
  const mirrors = c.sources.filter((s) => s.mirror).map((s) => s.reference);
  if (c.error !== null && c.sources.length === 0)
    return { covered: false, mirrors, reason: c.error.message };
  if (mirrors.length > 0) return { covered: true, mirrors, reason: null };
  const skipped = c.skippedMirrors.map((s) => s.explanation);
  const noMirror =
    skipped.length > 0
      ? `no mirror is tried for it (${skipped.join('; ')})`
      : c.registry === null
        ? 'no mirror is configured for it'
        : `no mirror is configured for ${c.registry.prefix}`;
  const primary = c.sources.find((s) => !s.mirror);
  if (primary === undefined) return { covered: false, mirrors, reason: noMirror };
  if (primary.blocked)
    return {
      covered: false,
      mirrors,
      reason: `${noMirror}, and its source ${primary.reference} is blocked (${primary.blockedBy?.prefix ?? primary.location})`,
    };
  if (reachable === null)
    return {
      covered: false,
      mirrors,
      reason: `${noMirror}, and its source ${primary.host} is not known to be reachable (no collector probes; a disconnected cluster cannot reach it)`,
    };
  if (!reachable.has(primary.host))
    return {
      covered: false,
      mirrors,
      reason: `${noMirror}, and no node reaches its source ${primary.host}`,
    };
  return { covered: true, mirrors, reason: `not mirrored: pulled from its source ${primary.host}, which the nodes reach` };
}

export function coverage(input: CoverageInput): CoverageReport {
  const unique = [...new Set(input.images)];
  const entries = unique.map((image): CoverageEntry => {
    const r = input.resolver.resolve(image);
    if (r.candidates.length === 0)
      return { image, covered: false, mirrors: [], reason: r.error?.message ?? 'no pull candidates' };
    // A short name: the first candidate that is covered is what CRI-O ends up with.
    const judged = r.candidates.map((c) => judge(c, input.reachableHosts));
    const best = judged.find((j) => j.covered) ?? judged[0]!;
    return { image, ...best };
  });
  // Both forms of one repository in use, one of them covered by a mirror and the other not.
  const byRepo = new Map<string, CoverageEntry[]>();
  for (const e of entries) {
    const repo = repository(e.image);
    if (repo !== null) byRepo.set(repo, [...(byRepo.get(repo) ?? []), e]);
  }
  const notes = new Map<string, string>();
  for (const [repo, list] of byRepo) {
    const mirroredForms = new Set(list.filter((e) => e.mirrors.length > 0).map((e) => form(e.image)));
    for (const e of list) {
      const f = form(e.image);
      if (e.covered || f === null || mirroredForms.size === 0 || mirroredForms.has(f)) continue;
      const other = f === 'tag' ? 'digest' : 'tag';
      notes.set(
        e.image,
        `${repo} is pulled both by tag and by digest, and only the ${other} form is mirrored (${f === 'tag' ? 'an ImageTagMirrorSet is needed for tags' : 'an ImageDigestMirrorSet is needed for digests'}; openshift/oc-mirror#1424)`,
      );
    }
  }
  const images = entries
    .map((e) => (notes.has(e.image) ? { ...e, reason: `${notes.get(e.image)}: ${e.reason}` } : e))
    .sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0));
  const covered = images.filter((e) => e.covered).length;
  return { images, summary: { covered, uncovered: images.length - covered } };
}
