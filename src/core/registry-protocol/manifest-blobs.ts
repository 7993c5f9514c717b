// What a pull downloads after the manifest: the config blob and the layers of an image manifest, or,
// for an index / manifest list, which instance containers/image picks for the node's platform.
// Pure: it reads manifest bytes that were already fetched.
import { isDigest } from './manifest-types.js';

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  /** '' when none is wanted (or the entry names none). */
  readonly variant: string;
}

export interface BlobRef {
  readonly digest: string;
  readonly role: 'config' | 'layer';
  /** 1-based layer number (null for the config). */
  readonly layer: number | null;
  readonly size: number | null;
}

export interface IndexEntry {
  readonly digest: string;
  readonly mediaType: string;
  /** null: the entry has no platform (OCI allows it; containers/image ranks it last). */
  readonly platform: Platform | null;
  /** The `io.github.containers.compression.zstd: "true"` annotation of an OCI index entry. */
  readonly zstd: boolean;
}

export type ManifestContent =
  | { readonly kind: 'image'; readonly blobs: readonly BlobRef[] }
  | { readonly kind: 'index'; readonly oci: boolean; readonly entries: readonly IndexEntry[] }
  | { readonly kind: 'unreadable'; readonly reason: string };

const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);
const SCHEMA1_TYPES = new Set([
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/vnd.docker.distribution.manifest.v1+json',
]);
const ZSTD_ANNOTATION = 'io.github.containers.compression.zstd';

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function size(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/** The media type the document declares, else the Content-Type it came with (as c/image's GuessMIMEType). */
function kindOf(doc: Record<string, unknown>, contentType: string): string {
  const declared = text(doc.mediaType);
  if (declared !== '') return declared;
  if (contentType !== '') return contentType;
  if (Array.isArray(doc.manifests)) return 'application/vnd.oci.image.index.v1+json';
  if (doc.schemaVersion === 1) return 'application/vnd.docker.distribution.manifest.v1+json';
  return 'application/vnd.oci.image.manifest.v1+json';
}

/** The blobs (config, then layers in order) or the index entries of a manifest. */
export function manifestContent(bytes: Uint8Array, contentType: string): ManifestContent {
  let doc: Record<string, unknown> | null;
  try {
    doc = record(JSON.parse(Buffer.from(bytes).toString('utf8')));
  } catch {
    return { kind: 'unreadable', reason: 'the manifest is not valid JSON' };
  }
  if (doc === null) return { kind: 'unreadable', reason: 'the manifest is not a JSON object' };
  const mediaType = kindOf(doc, contentType);
  const bad = (what: string): ManifestContent => ({ kind: 'unreadable', reason: `${what} (${mediaType})` });
  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(doc.manifests)) return bad('the index has no "manifests" list');
    const entries: IndexEntry[] = [];
    for (const [i, raw] of doc.manifests.entries()) {
      const entry = record(raw);
      if (entry === null || !isDigest(text(entry.digest)))
        return bad(`entry ${i + 1} of the index has no valid digest`);
      const p = record(entry.platform);
      entries.push({
        digest: text(entry.digest),
        mediaType: text(entry.mediaType),
        platform:
          p === null
            ? null
            : { os: text(p.os), architecture: text(p.architecture), variant: text(p.variant) },
        zstd: record(entry.annotations)?.[ZSTD_ANNOTATION] === 'true',
      });
    }
    return { kind: 'index', oci: mediaType.startsWith('application/vnd.oci.'), entries };
  }
  if (SCHEMA1_TYPES.has(mediaType)) {
    // Schema 1 lists layers newest first under fsLayers; the config is embedded (no blob).
    if (!Array.isArray(doc.fsLayers)) return bad('the manifest has no "fsLayers" list');
    const sums = doc.fsLayers.map((l) => text(record(l)?.blobSum));
    if (sums.some((s) => !isDigest(s))) return bad('a layer of the manifest has no valid blobSum');
    const unique = [...new Set(sums.reverse())];
    return {
      kind: 'image',
      blobs: unique.map((digest, i) => ({ digest, role: 'layer', layer: i + 1, size: null })),
    };
  }
  const config = record(doc.config);
  if (config === null || !isDigest(text(config.digest))) return bad('the manifest has no valid config');
  if (!Array.isArray(doc.layers)) return bad('the manifest has no "layers" list');
  const blobs: BlobRef[] = [
    { digest: text(config.digest), role: 'config', layer: null, size: size(config.size) },
  ];
  for (const [i, raw] of doc.layers.entries()) {
    const layer = record(raw);
    if (layer === null || !isDigest(text(layer.digest)))
      return bad(`layer ${i + 1} of the manifest has no valid digest`);
    // Foreign layers (Windows base layers) come from their `urls`, not from the registry.
    if (Array.isArray(layer.urls) && layer.urls.length > 0) continue;
    blobs.push({ digest: text(layer.digest), role: 'layer', layer: i + 1, size: size(layer.size) });
  }
  return { kind: 'image', blobs };
}

const PLATFORM_RE = /^([a-z0-9_]+)\/([a-z0-9_]+)(?:\/([a-z0-9_]+))?$/;

/** `os/arch[/variant]`, as `--platform` takes it; null when malformed. */
export function parsePlatform(value: string): Platform | null {
  const m = PLATFORM_RE.exec(value);
  return m ? { os: m[1]!, architecture: m[2]!, variant: m[3] ?? '' } : null;
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** containers/image `compatibility`: known variants, most capable first. */
const COMPATIBLE_VARIANTS: Readonly<Record<string, readonly string[]>> = {
  arm: ['v7', 'v6', 'v5'],
  arm64: ['v8'],
};
/** containers/image `baseVariants`: a variant every machine of the architecture supports. */
const BASE_VARIANTS: Readonly<Record<string, string>> = { arm64: 'v8' };

/**
 * containers/image `platform.WantedPlatforms` (internal/pkg/platform/platform_matcher.go, c/image
 * 0fd82e7f3a): the wanted variant and the ones it can run, then "no variant"; with no wanted variant,
 * "no variant" and then the architecture's base variant.
 */
export function wantedPlatforms(wanted: Platform): Platform[] {
  let variants: string[];
  if (wanted.variant !== '') {
    const order = COMPATIBLE_VARIANTS[wanted.architecture];
    const at = order ? order.indexOf(wanted.variant) : -1;
    variants = [...(at === -1 ? [wanted.variant] : order!.slice(at)), ''];
  } else {
    const base = BASE_VARIANTS[wanted.architecture];
    variants = base === undefined ? [''] : ['', base];
  }
  return variants.map((variant) => ({ os: wanted.os, architecture: wanted.architecture, variant }));
}

function matches(image: Platform, wanted: Platform): boolean {
  return (
    image.architecture === wanted.architecture && image.os === wanted.os && image.variant === wanted.variant
  );
}

/**
 * The instance containers/image pulls from an index, or null with c/image's error text.
 * Docker lists (`Schema2List.ChooseInstance`): the first wanted platform that any entry matches, in
 * entry order. OCI indexes (`OCI1Index.chooseInstance`, c/image internal/manifest/oci_index.go at
 * 04865d9126): the best wanted-platform rank, then zstd instances (CRI-O does not prefer gzip), then
 * entry order; an entry without a platform ranks after every matching one.
 */
export function chooseInstance(
  index: { readonly oci: boolean; readonly entries: readonly IndexEntry[] },
  wanted: Platform,
): { entry: IndexEntry } | { error: string } {
  const platforms = wantedPlatforms(wanted);
  const first = platforms[0]!;
  if (!index.oci) {
    for (const p of platforms) {
      const entry = index.entries.find((e) => e.platform !== null && matches(e.platform, p));
      if (entry !== undefined) return { entry };
    }
    return {
      error: `no image found in manifest list for architecture ${first.architecture}, variant "${first.variant}", OS ${first.os}`,
    };
  }
  let best: { entry: IndexEntry; rank: number } | null = null;
  for (const entry of index.entries) {
    let rank = Number.MAX_SAFE_INTEGER;
    if (entry.platform !== null) {
      rank = platforms.findIndex((p) => matches(entry.platform!, p));
      if (rank === -1) continue;
    }
    const better =
      best === null ||
      rank < best.rank ||
      (rank === best.rank && entry.zstd !== best.entry.zstd && entry.zstd);
    if (better) best = { entry, rank };
  }
  if (best !== null) return { entry: best.entry };
  return {
    error: `no image found in image index for architecture "${first.architecture}", variant "${first.variant}", OS "${first.os}"`,
  };
}
