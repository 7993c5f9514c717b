// Decodes one parsed registries.conf document the way containers/image's Go decoder
// (BurntSushi/toml into `tomlConfig`) does: keys match struct tags exactly, then case-insensitively;
// unknown keys are ignored (we keep a note); a value of the wrong type fails the whole file.
import type { TomlPositions } from '../toml/positions.js';
import type { ConfigNote, Origin } from './types.js';

export interface RawEndpoint {
  location: string;
  insecure: boolean;
  pullFromMirror: string;
  origin: Origin;
  insecureOrigin: Origin | null;
  pullFromMirrorOrigin: Origin | null;
}

export interface RawRegistry extends RawEndpoint {
  prefix: string;
  blocked: boolean;
  blockedOrigin: Origin | null;
  mirrorByDigestOnly: boolean;
  mirrorByDigestOnlyOrigin: Origin | null;
  mirrors: RawEndpoint[];
}

interface Located<T> {
  value: T;
  origin: Origin;
}

/** A file's settings; `undefined` means the key was absent (Go's nil / zero value). */
export interface RawFile {
  registries: RawRegistry[] | undefined;
  unqualifiedSearchRegistries: Located<string[]> | undefined;
  shortNameMode: Located<string> | undefined;
  credentialHelpers: Located<string[]> | undefined;
  additionalLayerStoreAuthHelper: Located<string> | undefined;
  aliases: Map<string, Located<string>> | undefined;
  v1: {
    search: Located<string[]> | undefined;
    insecure: Located<string[]> | undefined;
    block: Located<string[]> | undefined;
  };
  notes: ConfigNote[];
}

export class DecodeError extends Error {
  constructor(
    message: string,
    readonly line: number | null,
  ) {
    super(message);
  }
}

type Path = (string | number)[];
type Table = Record<string, unknown>;

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'object') return value instanceof Date ? 'a date' : 'a table';
  if (typeof value === 'bigint') return 'an integer';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a float';
  return `a ${typeof value}`;
}

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

class Decoder {
  readonly notes: ConfigNote[] = [];

  constructor(
    private readonly file: string,
    private readonly positions: TomlPositions,
  ) {}

  line(path: Path): number | null {
    // Falls back to the closest enclosing element that has a line (e.g. an implicit table).
    return this.positions.closestLineOf(path) ?? null;
  }

  origin(path: Path): Origin {
    return { file: this.file, line: this.line(path) };
  }

  private label(path: Path): string {
    return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  }

  fail(path: Path, expected: string, value: unknown): never {
    throw new DecodeError(
      `${this.label(path)}: expected ${expected}, got ${describe(value)}`,
      this.line(path),
    );
  }

  string(value: unknown, path: Path): string {
    if (typeof value !== 'string') this.fail(path, 'a string', value);
    return value;
  }

  bool(value: unknown, path: Path): boolean {
    if (typeof value !== 'boolean') this.fail(path, 'a boolean (true or false)', value);
    return value;
  }

  stringArray(value: unknown, path: Path): string[] {
    if (!Array.isArray(value)) this.fail(path, 'an array of strings', value);
    return value.map((item, i) => this.string(item, [...path, i]));
  }

  tableArray(value: unknown, path: Path): Table[] {
    if (!Array.isArray(value)) this.fail(path, 'an array of tables ([[...]])', value);
    return value.map((item, i) => {
      if (!isTable(item)) this.fail([...path, i], 'a table', item);
      return item;
    });
  }

  table(value: unknown, path: Path): Table {
    if (!isTable(value)) this.fail(path, 'a table', value);
    return value;
  }

  /**
   * Visits the keys of a table against the known field names. Go's decoder prefers an exact match of
   * the tag and otherwise takes a case-insensitive one; anything else is ignored.
   */
  fields(
    table: Table,
    path: Path,
    known: readonly string[],
    visit: (field: string, value: unknown, keyPath: Path) => void,
  ): void {
    for (const key of Object.keys(table)) {
      const field = known.includes(key) ? key : known.find((k) => k.toLowerCase() === key.toLowerCase());
      const keyPath = [...path, key];
      if (field === undefined) {
        this.notes.push({
          code: 'unknown-key',
          message: `unknown key "${this.label(keyPath)}" is ignored by containers/image`,
          origin: this.origin(keyPath),
        });
        continue;
      }
      visit(field, table[key], keyPath);
    }
  }
}

const ENDPOINT_FIELDS = ['location', 'insecure', 'pull-from-mirror'] as const;
const REGISTRY_FIELDS = [...ENDPOINT_FIELDS, 'prefix', 'blocked', 'mirror-by-digest-only', 'mirror'] as const;
const TOP_FIELDS = [
  'unqualified-search-registries',
  'short-name-mode',
  'credential-helpers',
  'additional-layer-store-auth-helper',
  'registry',
  'aliases',
  'registries',
] as const;
const V1_TABLES = ['search', 'insecure', 'block'] as const;

function decodeEndpoint(
  d: Decoder,
  table: Table,
  path: Path,
  known: readonly string[],
  extra: (field: string, value: unknown, p: Path) => void,
): RawEndpoint {
  const endpoint: RawEndpoint = {
    location: '',
    insecure: false,
    pullFromMirror: '',
    origin: d.origin(path),
    insecureOrigin: null,
    pullFromMirrorOrigin: null,
  };
  d.fields(table, path, known, (field, value, p) => {
    if (field === 'location') endpoint.location = d.string(value, p);
    else if (field === 'insecure') {
      endpoint.insecure = d.bool(value, p);
      endpoint.insecureOrigin = d.origin(p);
    } else if (field === 'pull-from-mirror') {
      endpoint.pullFromMirror = d.string(value, p);
      endpoint.pullFromMirrorOrigin = d.origin(p);
    } else extra(field, value, p);
  });
  return endpoint;
}

function decodeRegistry(d: Decoder, table: Table, path: Path): RawRegistry {
  let prefix = '';
  let blocked = false;
  let blockedOrigin: Origin | null = null;
  let mirrorByDigestOnly = false;
  let mirrorByDigestOnlyOrigin: Origin | null = null;
  let mirrors: RawEndpoint[] = [];
  const endpoint = decodeEndpoint(d, table, path, REGISTRY_FIELDS, (field, value, p) => {
    if (field === 'prefix') prefix = d.string(value, p);
    else if (field === 'blocked') {
      blocked = d.bool(value, p);
      blockedOrigin = d.origin(p);
    } else if (field === 'mirror-by-digest-only') {
      mirrorByDigestOnly = d.bool(value, p);
      mirrorByDigestOnlyOrigin = d.origin(p);
    } else if (field === 'mirror') {
      mirrors = d
        .tableArray(value, p)
        .map((m, i) => decodeEndpoint(d, m, [...p, i], ENDPOINT_FIELDS, () => undefined));
    }
  });
  return {
    ...endpoint,
    prefix,
    blocked,
    blockedOrigin,
    mirrorByDigestOnly,
    mirrorByDigestOnlyOrigin,
    mirrors,
  };
}

export function decodeRegistriesFile(file: string, doc: Table, positions: TomlPositions): RawFile {
  const d = new Decoder(file, positions);
  const raw: RawFile = {
    registries: undefined,
    unqualifiedSearchRegistries: undefined,
    shortNameMode: undefined,
    credentialHelpers: undefined,
    additionalLayerStoreAuthHelper: undefined,
    aliases: undefined,
    v1: { search: undefined, insecure: undefined, block: undefined },
    notes: d.notes,
  };
  d.fields(doc, [], TOP_FIELDS, (field, value, p) => {
    const located = <T>(v: T) => ({ value: v, origin: d.origin(p) });
    switch (field) {
      case 'unqualified-search-registries':
        raw.unqualifiedSearchRegistries = located(d.stringArray(value, p));
        break;
      case 'short-name-mode':
        raw.shortNameMode = located(d.string(value, p));
        break;
      case 'credential-helpers':
        raw.credentialHelpers = located(d.stringArray(value, p));
        break;
      case 'additional-layer-store-auth-helper':
        raw.additionalLayerStoreAuthHelper = located(d.string(value, p));
        break;
      case 'registry':
        raw.registries = d.tableArray(value, p).map((t, i) => decodeRegistry(d, t, [...p, i]));
        break;
      case 'aliases': {
        const aliases = new Map<string, Located<string>>();
        for (const [key, v] of Object.entries(d.table(value, p))) {
          aliases.set(key, { value: d.string(v, [...p, key]), origin: d.origin([...p, key]) });
        }
        raw.aliases = aliases;
        break;
      }
      case 'registries':
        d.fields(d.table(value, p), p, V1_TABLES, (v1Field, v1Value, v1Path) => {
          d.fields(d.table(v1Value, v1Path), v1Path, ['registries'], (_f, list, listPath) => {
            raw.v1[v1Field as (typeof V1_TABLES)[number]] = {
              value: d.stringArray(list, listPath),
              origin: d.origin(listPath),
            };
          });
        });
        break;
    }
  });
  return raw;
}
