// registries.d: where containers/image reads (and writes) simple-signing signatures and whether it
// looks for sigstore attachments, per docker scope (`docker/registries_d.go`). This module parses the
// YAML files; the configuration's types and lookups are in ./registries-d-lookup.js (re-exported).
import { isMap, isScalar, type Node, type Pair } from 'yaml';
import { configError } from '../errors.js';
import { parseYamlBounded, YamlDepthError, type ParsedYaml } from '../yaml/bounded-parse.js';
import type { ConfigFile, Origin } from '../registries/types.js';
import {
  DEFAULT_DOCKER_SCOPE,
  type LookasideKey,
  type RegistriesDConfig,
  type RegistriesDSection,
} from './registries-d-lookup.js';

export * from './registries-d-lookup.js';

const SECTION_KEYS: readonly LookasideKey[] = [
  'lookaside',
  'lookaside-staging',
  'sigstore',
  'sigstore-staging',
];
const SECTION_FIELDS: readonly string[] = [...SECTION_KEYS, 'use-sigstore-attachments'];

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
  constructor(
    readonly file: ConfigFile,
    private readonly yaml: ParsedYaml,
  ) {}

  lineOf(node: { range?: readonly number[] | null } | null | undefined): number | null {
    return this.yaml.lineAt(node?.range?.[0]);
  }

  fail(line: number | null, detail: string): never {
    const yamlText = line === null ? `yaml: ${detail}` : `yaml: unmarshal errors:\n  line ${line}: ${detail}`;
    throw configError(detail, { file: this.file.path, line }, `parsing ${this.file.path}: ${yamlText}`);
  }

  /**
   * The pairs of a mapping decoded into `into`: a Go map when `fields` is absent, else a struct with
   * those fields. Duplicates are yaml.v3's errors (a struct ignores unknown keys, duplicates too).
   */
  entries(node: Node | null, into: string, fields?: readonly string[]): Pair<Node | null, Node | null>[] {
    if (node === null || (isScalar(node) && node.value === null)) return [];
    if (!isMap(node)) this.fail(this.lineOf(node), `cannot unmarshal ${yamlKind(node)} into ${into}`);
    const pairs = node.items as Pair<Node | null, Node | null>[];
    const seen = new Map<string, number | null>();
    for (const pair of pairs) {
      const key = this.keyText(pair);
      if (fields !== undefined && !fields.includes(key)) continue;
      const line = this.lineOf(pair.key as Node);
      if (seen.has(key)) {
        this.fail(
          line,
          fields === undefined
            ? `mapping key ${JSON.stringify(key)} already defined at line ${seen.get(key) ?? '?'}`
            : `field ${key} already set in type ${into}`,
        );
      }
      seen.set(key, line);
    }
    return pairs;
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
    for (const entry of this.entries(pair.value, 'docker.registryNamespace', SECTION_FIELDS)) {
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
  let yaml: ParsedYaml;
  try {
    yaml = parseYamlBounded(file.text);
  } catch (err) {
    if (!(err instanceof YamlDepthError)) throw err;
    // No upstream text: yaml.v3 parses deeper (to 10,000 levels) and would say something else.
    throw configError(err.message, { file: file.path, line: err.line });
  }
  const parser = new FileParser(file, yaml);
  const first = yaml.docs[0];
  if (first === undefined) return { defaultDocker: null, docker: [] };
  const error = first.errors[0];
  if (error !== undefined) {
    const line = yaml.lineAt(error.pos[0]);
    // The first line of the message only: the rest quotes the file.
    const detail = error.message.split('\n')[0] ?? error.message;
    throw configError(
      `invalid YAML: ${detail}`,
      { file: file.path, line },
      `parsing ${file.path}: yaml: line ${line ?? 0}: ${detail}`,
    );
  }
  let defaultDocker: RegistriesDSection | null = null;
  const docker: RegistriesDSection[] = [];
  for (const pair of parser.entries(first.contents as Node | null, 'docker.registryConfiguration', [
    DEFAULT_DOCKER_SCOPE,
    'docker',
  ])) {
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
