// `loadConfigFile` and `postProcessRegistries` of containers/image's sysregistriesv2, for one file:
// TOML → settings, the v1 format and its conversion, and every validation containers/image applies,
// with the same conditions and the upstream error text alongside our own.
import { parse as parseToml, TomlError } from 'smol-toml';
import { scanTomlPositions } from '../toml/positions.js';
import { isDomain } from '../reference/grammar.js';
import {
  decodeRegistriesFile,
  DecodeError,
  type RawEndpoint,
  type RawFile,
  type RawRegistry,
} from './decode.js';
import { parseAliasName, parseAliasValue } from './alias-syntax.js';
import type {
  Alias,
  ConfigNote,
  Endpoint,
  Origin,
  PullFromMirror,
  Registry,
  ShortNameMode,
} from './types.js';
import { PULL_FROM_MIRROR_VALUES, SHORT_NAME_MODES } from './types.js';
import { compareBytes } from './byte-order.js';

/** One file's contribution, after validation. `undefined` means "not mentioned in this file". */
export interface ParsedFile {
  readonly path: string;
  readonly registries: readonly Registry[];
  readonly unqualifiedSearchRegistries: { value: string[]; origin: Origin } | undefined;
  readonly shortNameMode: { value: ShortNameMode; origin: Origin } | undefined;
  readonly credentialHelpers: { value: string[]; origin: Origin } | undefined;
  readonly additionalLayerStoreAuthHelper: string | undefined;
  readonly aliases: ReadonlyMap<string, Alias>;
  readonly notes: readonly ConfigNote[];
}

/**
 * A file that containers/image refuses to load. `upstream` is the error text it gives, except for TOML
 * syntax errors, where the words after `toml: line N:` are smol-toml's (README, "upstream").
 */
export class FileLoadError extends Error {
  constructor(
    message: string,
    readonly line: number | null,
    readonly upstream: string,
  ) {
    super(message);
  }
}

function fail(message: string, origin: Origin | null, upstream = message): never {
  throw new FileLoadError(message, origin?.line ?? null, upstream);
}

/** `parseLocation`: trailing slashes trimmed; URI schemes rejected. */
function parseLocation(input: string, origin: Origin | null): string {
  const trimmed = input.replace(/\/+$/, '');
  if (trimmed.startsWith('http://') || trimmed.startsWith('https://')) {
    fail(
      `invalid location '${input}': URI schemes are not supported (write the host and path only)`,
      origin,
      `invalid location '${input}': URI schemes are not supported`,
    );
  }
  return trimmed;
}

function goQuote(s: string): string {
  return JSON.stringify(s);
}

function postProcessEndpoint(raw: RawEndpoint, registry: RawRegistry, prefix: string): Endpoint {
  const location = parseLocation(raw.location, raw.origin);
  if (location === '') fail('invalid condition: mirror location is unset', raw.origin);
  if (registry.mirrorByDigestOnly && raw.pullFromMirror !== '') {
    fail(
      `cannot set mirror usage mirror-by-digest-only for the registry (${goQuote(prefix)}) and pull-from-mirror for per-mirror (${goQuote(location)}) at the same time`,
      raw.pullFromMirrorOrigin,
    );
  }
  if (!PULL_FROM_MIRROR_VALUES.includes(raw.pullFromMirror)) {
    fail(
      `unsupported pull-from-mirror value ${goQuote(raw.pullFromMirror)} for mirror ${goQuote(location)} (use "all", "digest-only" or "tag-only")`,
      raw.pullFromMirrorOrigin,
      `unsupported pull-from-mirror value ${goQuote(raw.pullFromMirror)} for mirror ${goQuote(location)}`,
    );
  }
  return {
    location,
    insecure: raw.insecure,
    pullFromMirror: raw.pullFromMirror as PullFromMirror,
    origin: raw.origin,
    insecureOrigin: raw.insecureOrigin,
    pullFromMirrorOrigin: raw.pullFromMirrorOrigin,
  };
}

function postProcessRegistry(raw: RawRegistry): Registry {
  const location = parseLocation(raw.location, raw.origin);
  let prefix: string;
  if (raw.prefix === '') {
    if (location === '') fail('invalid condition: both location and prefix are unset', raw.origin);
    prefix = location;
  } else {
    prefix = parseLocation(raw.prefix, raw.origin);
    if (!prefix.startsWith('*.') && location === '') {
      fail('invalid condition: location is unset and prefix is not in the format: *.example.com', raw.origin);
    }
  }
  if (raw.pullFromMirror !== '') {
    fail(
      `pull-from-mirror must not be set for a non-mirror registry ${goQuote(prefix)} (set it on a [[registry.mirror]])`,
      raw.pullFromMirrorOrigin,
      `pull-from-mirror must not be set for a non-mirror registry ${goQuote(prefix)}`,
    );
  }
  const mirrors = raw.mirrors.map((m) => postProcessEndpoint(m, raw, prefix));
  return {
    prefix,
    location,
    insecure: raw.insecure,
    blocked: raw.blocked,
    mirrorByDigestOnly: raw.mirrorByDigestOnly,
    pullFromMirror: '',
    mirrors,
    origin: raw.origin,
    insecureOrigin: raw.insecureOrigin,
    blockedOrigin: raw.blockedOrigin,
    mirrorByDigestOnlyOrigin: raw.mirrorByDigestOnlyOrigin,
    pullFromMirrorOrigin: null,
  };
}

/** Same location (or prefix, for wildcard entries) must agree on insecure and blocked, within one file. */
function checkConflicts(registries: readonly Registry[]): void {
  const seen = new Map<string, Registry>();
  for (const reg of registries) {
    const key = reg.location === '' ? reg.prefix : reg.location;
    const other = seen.get(key);
    if (other === undefined) {
      seen.set(key, reg);
      continue;
    }
    for (const setting of ['insecure', 'blocked'] as const) {
      if (other[setting] !== reg[setting]) {
        const upstream = `registry '${reg.location}' is defined multiple times with conflicting '${setting}' setting`;
        fail(`${upstream} (also at line ${other.origin.line ?? '?'})`, reg.origin, upstream);
      }
    }
  }
}

function dedupeAndSort(registries: readonly Registry[], notes: ConfigNote[]): Registry[] {
  const byPrefix = new Map<string, Registry>();
  for (const reg of registries) {
    const first = byPrefix.get(reg.prefix);
    if (first === undefined) byPrefix.set(reg.prefix, reg);
    else {
      notes.push({
        code: 'duplicate-prefix-ignored',
        message: `[[registry]] with prefix "${reg.prefix}" is ignored: the same file defines that prefix earlier (line ${first.origin.line ?? '?'}), and containers/image keeps only the first`,
        origin: reg.origin,
      });
    }
  }
  return [...byPrefix.values()].sort((a, b) => compareBytes(a.prefix, b.prefix));
}

function convertV1(raw: RawFile, path: string, notes: ConfigNote[]): RawRegistry[] {
  const byLocation = new Map<string, RawRegistry>();
  const visit = (
    list: { value: string[]; origin: Origin } | undefined,
    setting: 'blocked' | 'insecure',
  ): void => {
    for (const entry of list?.value ?? []) {
      const location = parseLocation(entry, list!.origin);
      let reg = byLocation.get(location);
      if (reg === undefined) {
        reg = {
          prefix: location,
          location,
          insecure: false,
          blocked: false,
          mirrorByDigestOnly: false,
          pullFromMirror: '',
          mirrors: [],
          origin: list!.origin,
          insecureOrigin: null,
          blockedOrigin: null,
          mirrorByDigestOnlyOrigin: null,
          pullFromMirrorOrigin: null,
        };
        byLocation.set(location, reg);
      }
      reg[setting] = true;
      reg[setting === 'blocked' ? 'blockedOrigin' : 'insecureOrigin'] = list!.origin;
    }
  };
  visit(raw.v1.block, 'blocked');
  visit(raw.v1.insecure, 'insecure');
  notes.push({
    code: 'v1-format',
    message:
      'this file uses the deprecated v1 format ([registries.search]/[registries.insecure]/[registries.block]); containers/image converts it, but drop-ins must use v2',
    origin: { file: path, line: (raw.v1.search ?? raw.v1.insecure ?? raw.v1.block)?.origin.line ?? null },
  });
  return [...byLocation.values()];
}

function validateUnqualifiedSearch(list: { value: string[]; origin: Origin }): {
  value: string[];
  origin: Origin;
} {
  const value = list.value.map((entry) => {
    const trimmed = parseLocation(entry, list.origin);
    if (!isDomain(trimmed)) {
      // containers/image quotes the trimmed value.
      const upstream = `Invalid unqualified-search-registries entry ${goQuote(trimmed)}`;
      fail(`${upstream}: it must be a host[:port] with no namespace`, list.origin, upstream);
    }
    return trimmed;
  });
  return { value, origin: list.origin };
}

function validateAliases(raw: RawFile): Map<string, Alias> {
  const aliases = new Map<string, Alias>();
  const errors: string[] = [];
  let firstLine: number | null = null;
  for (const [name, { value, origin }] of raw.aliases ?? []) {
    const problems: string[] = [];
    const nameError = parseAliasName(name);
    if (nameError !== undefined) problems.push(nameError);
    if (value === '') {
      aliases.set(name, { value: '', origin });
    } else {
      const parsed = parseAliasValue(value);
      if (typeof parsed === 'string') aliases.set(name, { value: parsed, origin });
      else problems.push(parsed.error);
    }
    if (problems.length > 0) {
      firstLine ??= origin.line;
      errors.push(...problems.map((p) => (origin.line === null ? p : `line ${origin.line}: ${p}`)));
    }
  }
  if (errors.length > 0) {
    fail(
      `validating short-name aliases: ${errors.join('; ')}`,
      { file: '', line: firstLine },
      `validating short-name aliases: ${errors.map((e) => e.replace(/^line \d+: /, '')).join('\n: ')}`,
    );
  }
  return aliases;
}

function parseDocument(text: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const firstLine = err.message.split('\n')[0] ?? err.message;
      throw new FileLoadError(
        `invalid TOML at column ${err.column}: ${firstLine.replace(/^Invalid TOML document: /, '')}`,
        err.line,
        `toml: line ${err.line}: ${firstLine}`,
      );
    }
    throw err;
  }
}

/**
 * Loads one registries.conf file. `dropIn` files must be in the v2 format.
 * Throws FileLoadError for anything containers/image rejects.
 */
export function loadRegistriesFile(path: string, text: string, dropIn: boolean): ParsedFile {
  const doc = parseDocument(text);
  const positions = scanTomlPositions(text);
  let raw: RawFile;
  try {
    raw = decodeRegistriesFile(path, doc, positions);
  } catch (err) {
    if (err instanceof DecodeError) throw new FileLoadError(err.message, err.line, `toml: ${err.message}`);
    throw err;
  }
  const notes: ConfigNote[] = [...raw.notes];
  for (const note of positions.toml11) {
    notes.push({
      code: 'toml-1.1-syntax',
      message: `TOML 1.1-only syntax (${note.construct}): CRI-O builds whose TOML parser predates BurntSushi/toml v1.6.0 (December 2025) reject this file`,
      origin: { file: path, line: note.line },
    });
  }

  const v1Set = raw.v1.search !== undefined || raw.v1.insecure !== undefined || raw.v1.block !== undefined;
  const v2Set =
    raw.registries !== undefined ||
    raw.unqualifiedSearchRegistries !== undefined ||
    raw.credentialHelpers !== undefined ||
    (raw.shortNameMode !== undefined && raw.shortNameMode.value !== '') ||
    (raw.additionalLayerStoreAuthHelper !== undefined && raw.additionalLayerStoreAuthHelper.value !== '') ||
    raw.aliases !== undefined;
  let rawRegistries = raw.registries ?? [];
  let unqualified = raw.unqualifiedSearchRegistries;
  if (v1Set) {
    const v1Origin = (raw.v1.search ?? raw.v1.insecure ?? raw.v1.block)!.origin;
    if (dropIn)
      fail(
        'registry must be in v2 format but is in v1 (drop-in files cannot use [registries.*] tables)',
        v1Origin,
        'registry must be in v2 format but is in v1',
      );
    if (v2Set)
      fail(
        'mixing sysregistry v1/v2 is not supported: this file has both [registries.*] tables and v2 keys',
        v1Origin,
        'mixing sysregistry v1/v2 is not supported',
      );
    rawRegistries = convertV1(raw, path, notes);
    unqualified = raw.v1.search;
  }

  const processed = rawRegistries.map(postProcessRegistry);
  checkConflicts(processed);
  const unqualifiedSearchRegistries =
    unqualified === undefined ? undefined : validateUnqualifiedSearch(unqualified);
  const registries = dedupeAndSort(processed, notes);

  let shortNameMode: ParsedFile['shortNameMode'];
  if (raw.shortNameMode !== undefined && raw.shortNameMode.value !== '') {
    const { value, origin } = raw.shortNameMode;
    if (!SHORT_NAME_MODES.includes(value)) {
      fail(
        `invalid short-name mode: ${goQuote(value)} (use "enforcing", "permissive" or "disabled")`,
        origin,
        `invalid short-name mode: ${goQuote(value)}`,
      );
    }
    shortNameMode = { value: value as ShortNameMode, origin };
  }

  for (const reg of registries) {
    if (reg.prefix.startsWith('*.') && /[/@:]/.test(reg.prefix)) {
      fail(
        `Wildcarded prefix should be in the format: *.example.com. Current prefix ${goQuote(reg.prefix)} is incorrectly formatted`,
        reg.origin,
      );
    }
  }

  const aliases = validateAliases(raw);

  return {
    path,
    registries,
    unqualifiedSearchRegistries,
    shortNameMode,
    credentialHelpers: raw.credentialHelpers,
    additionalLayerStoreAuthHelper: raw.additionalLayerStoreAuthHelper?.value,
    aliases,
    notes,
  };
}
