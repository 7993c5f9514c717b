// registries.d: where containers/image reads (and writes) simple-signing signatures and whether it
// looks for sigstore attachments, per docker scope (`docker/registries_d.go`).
import { isMap, isScalar, LineCounter, parseAllDocuments, type Node, type Pair } from 'yaml';
import { configError } from '../errors.js';
import { policyScopeSearchOrder } from '../reference/policy-scopes.js';
import type { ImageReference } from '../reference/reference.js';
import type { ConfigFile, Origin } from '../registries/types.js';

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
}

export const DEFAULT_DOCKER_SCOPE = 'default-docker';

const SECTION_KEYS: readonly LookasideKey[] = [
  'lookaside',
  'lookaside-staging',
  'sigstore',
  'sigstore-staging',
];

// yaml.v3 accepts the YAML 1.1 spellings too when it decodes into a typed bool.
const BOOLEANS: Readonly<Record<string, boolean>> = Object.fromEntries([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'true', 'True', 'TRUE'].map((s) => [s, true]),
  ...['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF', 'false', 'False', 'FALSE'].map((s) => [s, false]),
]);

function yamlKind(node: Node | null): string {
  if (node === null) return '!!null';
  if (isMap(node)) return '!!map';
  if (isScalar(node))
    return typeof node.value === 'number' ? (Number.isInteger(node.value) ? '!!int' : '!!float') : '!!str';
  return '!!seq';
}

class FileParser {
  readonly lines = new LineCounter();

  constructor(readonly file: ConfigFile) {}

  lineOf(node: { range?: readonly number[] | null } | null | undefined): number | null {
    const offset = node?.range?.[0];
    return offset === undefined ? null : this.lines.linePos(offset).line;
  }

  fail(line: number | null, detail: string): never {
    const yamlText = line === null ? `yaml: ${detail}` : `yaml: unmarshal errors:\n  line ${line}: ${detail}`;
    throw configError(detail, { file: this.file.path, line }, `parsing ${this.file.path}: ${yamlText}`);
  }

  entries(node: Node | null, into: string): Pair<Node | null, Node | null>[] {
    if (node === null || (isScalar(node) && node.value === null)) return [];
    if (!isMap(node)) this.fail(this.lineOf(node), `cannot unmarshal ${yamlKind(node)} into ${into}`);
    return node.items as Pair<Node | null, Node | null>[];
  }

  keyText(pair: Pair<Node | null, Node | null>): string {
    const key = pair.key;
    if (isScalar(key) && key.value !== null && typeof key.value !== 'object') return String(key.value);
    if (isScalar(key)) return '';
    return this.fail(this.lineOf(key), `cannot unmarshal ${yamlKind(key)} into string`);
  }

  section(scope: string, pair: Pair<Node | null, Node | null>): RegistriesDSection {
    const origin = { file: this.file.path, line: this.lineOf(pair.key as Node) };
    const values: Partial<Record<LookasideKey, { value: string; origin: Origin }>> = {};
    let useSigstoreAttachments: RegistriesDSection['useSigstoreAttachments'] = null;
    for (const entry of this.entries(pair.value, 'docker.registryNamespace')) {
      const key = this.keyText(entry);
      const value = entry.value;
      const at = { file: this.file.path, line: this.lineOf(entry.key as Node) };
      if ((SECTION_KEYS as readonly string[]).includes(key)) {
        if (value === null || (isScalar(value) && value.value === null)) continue;
        if (!isScalar(value))
          this.fail(this.lineOf(value), `cannot unmarshal ${yamlKind(value)} into string`);
        values[key as LookasideKey] = { value: String(value.source ?? value.value), origin: at };
      } else if (key === 'use-sigstore-attachments') {
        if (value === null || (isScalar(value) && value.value === null)) continue;
        const text = isScalar(value) ? String(value.source ?? value.value) : undefined;
        const bool = text === undefined ? undefined : BOOLEANS[text];
        if (bool === undefined) {
          this.fail(this.lineOf(value), `cannot unmarshal ${yamlKind(value)} \`${text ?? ''}\` into bool`);
        }
        useSigstoreAttachments = { value: bool, origin: at };
      }
      // Other keys are ignored, as yaml.v3 does for unknown struct fields.
    }
    return { scope, origin, values, useSigstoreAttachments };
  }
}

interface ParsedFile {
  readonly defaultDocker: RegistriesDSection | null;
  readonly docker: RegistriesDSection[];
}

function parseFile(file: ConfigFile): ParsedFile {
  const parser = new FileParser(file);
  const docs = parseAllDocuments(file.text, { lineCounter: parser.lines, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const first = list[0];
  if (first === undefined) return { defaultDocker: null, docker: [] };
  const error = first.errors[0];
  if (error !== undefined) {
    const line = error.linePos?.[0].line ?? null;
    const detail = error.message.split('\n')[0] ?? error.message;
    throw configError(
      `invalid YAML: ${detail}`,
      { file: file.path, line },
      `parsing ${file.path}: yaml: line ${line ?? 0}: ${detail}`,
    );
  }
  let defaultDocker: RegistriesDSection | null = null;
  const docker: RegistriesDSection[] = [];
  for (const pair of parser.entries(first.contents as Node | null, 'docker.registryConfiguration')) {
    const key = parser.keyText(pair);
    if (key === DEFAULT_DOCKER_SCOPE) {
      // A null `default-docker:` (as in the shipped default.yaml) stays unset and conflicts with nothing.
      if (pair.value === null || (isScalar(pair.value) && pair.value.value === null)) continue;
      defaultDocker = parser.section(DEFAULT_DOCKER_SCOPE, pair);
    } else if (key === 'docker') {
      for (const scopePair of parser.entries(pair.value, 'map[string]docker.registryNamespace')) {
        docker.push(parser.section(parser.keyText(scopePair), scopePair));
      }
    }
  }
  return { defaultDocker, docker };
}

function duplicateError(what: string, first: Origin, second: Origin): never {
  const upstream = `Error parsing signature storage configuration: ${what} defined both in "${first.file}" and "${second.file}"`;
  throw configError(
    `${what} is also defined in ${first.file}${first.line === null ? '' : `:${first.line}`}`,
    second,
    upstream,
  );
}

/**
 * Merges every `.yaml` file of registries.d. containers/image reads them in directory order, which
 * is unspecified; we apply them in byte order of their paths, so which file a duplicate is reported
 * against is deterministic (the error itself does not depend on the order).
 */
export function parseRegistriesD(files: readonly ConfigFile[]): RegistriesDConfig {
  const sorted = files
    .filter((f) => f.path.endsWith('.yaml'))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  let defaultDocker: RegistriesDSection | null = null;
  const docker = new Map<string, RegistriesDSection>();
  for (const file of sorted) {
    const parsed = parseFile(file);
    if (parsed.defaultDocker !== null) {
      if (defaultDocker !== null)
        duplicateError('"default-docker"', defaultDocker.origin, parsed.defaultDocker.origin);
      defaultDocker = parsed.defaultDocker;
    }
    for (const section of parsed.docker) {
      const existing = docker.get(section.scope);
      if (existing !== undefined) {
        if (existing.origin.file === section.origin.file) {
          // Within one file yaml.v3 already refuses the duplicate mapping key.
          throw configError(`mapping key "${section.scope}" already defined`, section.origin);
        }
        duplicateError(`"docker" namespace "${section.scope}"`, existing.origin, section.origin);
      }
      docker.set(section.scope, section);
    }
  }
  return { defaultDocker, docker, files: sorted.map((f) => f.path) };
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
