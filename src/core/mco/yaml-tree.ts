// YAML documents → plain values that remember their line, so that every complaint about an object
// can name the file and line it came from.
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node,
} from 'yaml';
import { configError } from '../errors.js';
import type { ConfigFile } from '../registries/types.js';

export type Value = string | number | boolean | null | Located[] | Map<string, Located>;

export interface Located {
  readonly value: Value;
  readonly line: number | null;
  /** For a mapping value: the line of its key. */
  readonly keyLine?: number | null;
}

export interface YamlDocument {
  readonly root: Located;
  /** Line of the document start. */
  readonly line: number | null;
}

/** Parses every document of a (multi-document) YAML or JSON file; throws `config-invalid` with file:line. */
export function parseYamlDocuments(file: ConfigFile): YamlDocument[] {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(file.text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const docs = Array.isArray(parsed) ? parsed : [];
  const lineAt = (offset: number | undefined): number | null =>
    offset === undefined ? null : lineCounter.linePos(offset).line;
  const out: YamlDocument[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error !== undefined) {
      throw configError(`invalid YAML: ${error.message.split('\n')[0]}`, {
        file: file.path,
        line: lineAt(error.pos[0]),
      });
    }
    if (doc.contents === null) continue;
    out.push({ root: convert(doc, doc.contents, lineAt, file.path, 0), line: lineAt(doc.range[0]) });
  }
  return out;
}

function convert(
  doc: Document,
  node: unknown,
  lineAt: (o: number | undefined) => number | null,
  path: string,
  depth: number,
): Located {
  if (depth > 64) throw configError('YAML nested too deeply', { file: path, line: null });
  const n = node as Node | null;
  const line = n === null ? null : lineAt(n.range?.[0]);
  if (n === null) return { value: null, line };
  if (isAlias(n)) return convert(doc, n.resolve(doc), lineAt, path, depth + 1);
  if (isScalar(n)) {
    const v = n.value;
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      return { value: v, line };
    return { value: String(v), line };
  }
  if (isSeq(n)) return { value: n.items.map((item) => convert(doc, item, lineAt, path, depth + 1)), line };
  if (isMap(n)) {
    const map = new Map<string, Located>();
    for (const pair of n.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof key !== 'string') {
        throw configError('mapping keys must be strings', {
          file: path,
          line: lineAt((pair.key as Node | null)?.range?.[0]),
        });
      }
      const keyLine = lineAt((pair.key as Node | null)?.range?.[0]);
      map.set(key, { ...convert(doc, pair.value, lineAt, path, depth + 1), keyLine });
    }
    return { value: map, line };
  }
  throw configError('unsupported YAML node', { file: path, line });
}
