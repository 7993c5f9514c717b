// registries.d without the YAML: what a parsed configuration holds, and the lookups containers/image
// makes in it (`docker/registries_d.go`): where signatures are read or written and whether sigstore
// attachments are used, per docker scope. Parsing the files (and so the `yaml` package) lives in
// ./registries-d.js, which re-exports all of this; `trace` imports only this module, so a node
// without registries.d files never loads a YAML parser.
import { policyScopeSearchOrder } from '../reference/policy-scopes.js';
import type { ImageReference } from '../reference/reference.js';
import type { Origin, ConfigNote } from '../registries/types.js';

/** Where c/image reads signatures when nothing is configured (rootful, as CRI-O runs). */
export const BUILTIN_DEFAULT_LOOKASIDE = 'file:///var/lib/containers/sigstore';

export type LookasideKey = 'lookaside' | 'lookaside-staging' | 'sigstore' | 'sigstore-staging';

export interface RegistriesDSection {
  /** `default-docker` or the `docker:` scope this section is for. */
  readonly scope: string;
  readonly origin: Origin;
  readonly values: Readonly<
    Partial<Record<LookasideKey, { readonly value: string; readonly origin: Origin }>>
  >;
  /** Tri-state: absent means "ask the next scope". */
  readonly useSigstoreAttachments: { readonly value: boolean; readonly origin: Origin } | null;
}

export interface RegistriesDConfig {
  readonly defaultDocker: RegistriesDSection | null;
  readonly docker: ReadonlyMap<string, RegistriesDSection>;
  /** The `.yaml` files read, in the order applied. */
  readonly files: readonly string[];
  /** Keys yaml.v3 ignores (unknown struct fields), each with the setting it was probably meant to be. */
  readonly notes?: readonly ConfigNote[];
}

export const DEFAULT_DOCKER_SCOPE = 'default-docker';

/** What an empty (or absent) registries.d amounts to: nothing configured, the built-in defaults apply. */
export function emptyRegistriesD(): RegistriesDConfig {
  return { defaultDocker: null, docker: new Map(), files: [] };
}

export interface LookasideChoice {
  /** The configured top-level URL, or the built-in default. */
  readonly topLevel: string;
  /** Which key supplied it; null for the built-in default. */
  readonly key: LookasideKey | null;
  /** `default-docker`, a `docker:` scope, or null for the built-in default. */
  readonly scope: string | null;
  readonly origin: Origin | null;
  /** Sections that matched but had no value for this purpose (fall-through), most specific first. */
  readonly skippedScopes: readonly string[];
}

function sectionTopLevel(
  section: RegistriesDSection,
  write: boolean,
): { value: string; key: LookasideKey; origin: Origin } | null {
  const order: readonly LookasideKey[] = write
    ? ['lookaside-staging', 'sigstore-staging', 'lookaside', 'sigstore']
    : ['lookaside', 'sigstore'];
  for (const key of order) {
    const entry = section.values[key];
    if (entry !== undefined && entry.value !== '') return { value: entry.value, key, origin: entry.origin };
  }
  return null;
}

function matchingSections(config: RegistriesDConfig, physical: ImageReference): RegistriesDSection[] {
  const sections: RegistriesDSection[] = [];
  for (const scope of policyScopeSearchOrder(physical)) {
    const section = config.docker.get(scope);
    if (section !== undefined) sections.push(section);
  }
  if (config.defaultDocker !== null) sections.push(config.defaultDocker);
  return sections;
}

/**
 * `signatureTopLevel`: the most specific section for the PHYSICAL reference that has a value; a
 * matching section without one does not stop the search.
 */
export function lookasideFor(
  config: RegistriesDConfig,
  physical: ImageReference,
  write = false,
): LookasideChoice {
  const skippedScopes: string[] = [];
  for (const section of matchingSections(config, physical)) {
    const found = sectionTopLevel(section, write);
    if (found !== null)
      return {
        topLevel: found.value,
        key: found.key,
        scope: section.scope,
        origin: found.origin,
        skippedScopes,
      };
    skippedScopes.push(section.scope);
  }
  return { topLevel: BUILTIN_DEFAULT_LOOKASIDE, key: null, scope: null, origin: null, skippedScopes };
}

/** `useSigstoreAttachments`: the first matching section that sets the flag decides; default false. */
export function sigstoreAttachmentsFor(
  config: RegistriesDConfig,
  physical: ImageReference,
): { readonly value: boolean; readonly scope: string | null; readonly origin: Origin | null } {
  for (const section of matchingSections(config, physical)) {
    const flag = section.useSigstoreAttachments;
    if (flag !== null) return { value: flag.value, scope: section.scope, origin: flag.origin };
  }
  return { value: false, scope: null, origin: null };
}

/** A lookaside URL split the way Go's `url.Parse` does, enough to append to its path. */
export interface LookasideUrl {
  readonly scheme: string;
  /** Everything before the path: `scheme://authority` or `scheme:`; '' without a scheme. */
  readonly head: string;
  readonly path: string;
  /** `?query#fragment`, kept after the path. */
  readonly tail: string;
}

export class LookasideUrlError extends Error {}

/** `url.Parse` of a lookaside value; the error text is the one c/image shows. */
export function parseLookasideUrl(raw: string): LookasideUrl {
  const invalid = (why: string): never => {
    throw new LookasideUrlError(`Invalid signature storage URL ${raw}: parse "${raw}": ${why}`);
  };
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(raw)) invalid('net/url: invalid control character in URL');
  const hash = raw.indexOf('#');
  const noFragment = hash === -1 ? raw : raw.slice(0, hash);
  const q = noFragment.indexOf('?');
  const beforeQuery = q === -1 ? noFragment : noFragment.slice(0, q);
  const tail = raw.slice(beforeQuery.length);
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(beforeQuery);
  if (schemeMatch === null) {
    if (beforeQuery.startsWith(':')) invalid('missing protocol scheme');
    const colon = beforeQuery.indexOf(':');
    const slash = beforeQuery.indexOf('/');
    if (colon !== -1 && (slash === -1 || colon < slash))
      invalid('first path segment in URL cannot contain colon');
    return { scheme: '', head: '', path: beforeQuery, tail };
  }
  const scheme = schemeMatch[1]!.toLowerCase();
  const rest = beforeQuery.slice(schemeMatch[0].length);
  if (rest.startsWith('//')) {
    const pathStart = rest.indexOf('/', 2);
    const authority = pathStart === -1 ? rest : rest.slice(0, pathStart);
    return {
      scheme,
      head: `${schemeMatch[1]}:${authority}`,
      path: pathStart === -1 ? '' : rest.slice(pathStart),
      tail,
    };
  }
  return { scheme, head: `${schemeMatch[1]}:`, path: rest, tail };
}

/** `lookasideStorageBaseURL`: the top level plus `/` plus the repository path, with no slash de-duplication. */
export function lookasideBase(topLevel: string, physical: ImageReference): LookasideUrl {
  const base = parseLookasideUrl(topLevel);
  return { ...base, path: `${base.path}/${physical.path}` };
}

/** `lookasideStorageURL`: `BASE@sha256=HEX/signature-N`, N from 1. */
export function signatureUrl(base: LookasideUrl, manifestDigest: string, index: number): LookasideUrl {
  const colon = manifestDigest.indexOf(':');
  const algorithm = manifestDigest.slice(0, colon);
  const hex = manifestDigest.slice(colon + 1);
  return { ...base, path: `${base.path}@${algorithm}=${hex}/signature-${index + 1}` };
}

export function formatLookasideUrl(url: LookasideUrl): string {
  return `${url.head}${url.path}${url.tail}`;
}

/** A lookaside that only this node can read: a `file:` URL, the built-in default included. */
export function isLocalLookaside(topLevel: string): boolean {
  try {
    const url = parseLookasideUrl(topLevel);
    return url.scheme === 'file' || url.scheme === '';
  } catch {
    return false;
  }
}

/** `url.Redacted()`: a password in the URL is shown as `xxxxx` (never print a lookaside secret). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#@:]*):[^/?#@]*@/, '$1:xxxxx@');
}
