// YAML documents → plain values that remember their line, so that every complaint about an object
// can name the file and line it came from.
import { isAlias, isMap, isNode, isScalar, isSeq, visit, type Alias, type Document, type Node } from 'yaml';
import { configError } from '../errors.js';
import { parseYamlBounded, YamlDepthError, type ParsedYaml } from '../yaml/bounded-parse.js';
import type { ConfigFile } from '../registries/types.js';

export type Value = string | number | boolean | null | Located[] | Map<string, Located>;

export interface Located {
  readonly value: Value;
  readonly line: number | null;
}

export interface YamlDocument {
  readonly root: Located;
  /** Line of the document start. */
  readonly line: number | null;
}

/** Parses every document of a (multi-document) YAML or JSON file; throws `config-invalid` with file:line. */
/** More values than any set of mirror objects has; bounds what aliases can expand to. */
const MAX_EXPANDED_NODES = 1_000_000;

export function parseYamlDocuments(file: ConfigFile): YamlDocument[] {
  let parsed: ParsedYaml;
  try {
    parsed = parseYamlBounded(file.text);
  } catch (err) {
    if (!(err instanceof YamlDepthError)) throw err;
    throw configError(`invalid YAML: ${err.message}`, { file: file.path, line: err.line });
  }
  const { lineAt } = parsed;
  // Aliases make a tree out of a graph: `*a` ten times in a list of ten … expands exponentially.
  const budget = { nodes: MAX_EXPANDED_NODES };
  const out: YamlDocument[] = [];
  for (const doc of parsed.docs) {
    const error = doc.errors[0];
    if (error !== undefined) {
      throw configError(`invalid YAML: ${error.message.split('\n')[0]}`, {
        file: file.path,
        line: lineAt(error.pos[0]),
      });
    }
    if (doc.contents === null) continue;
    const ctx = { aliases: anchorsOf(doc), lineAt, path: file.path, budget };
    out.push({ root: convert(ctx, doc.contents, 0), line: lineAt(doc.range[0]) });
  }
  return out;
}

/**
 * What each alias of a document stands for: the last node before it with that anchor. One pass;
 * `Alias.resolve` walks the whole document for every alias, which is quadratic.
 */
function anchorsOf(doc: Document): Map<Alias, Node | undefined> {
  const aliases = new Map<Alias, Node | undefined>();
  const latest = new Map<string, Node>();
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) aliases.set(node, latest.get(node.source));
      else if (isNode(node) && node.anchor !== undefined) latest.set(node.anchor, node);
    },
  });
  return aliases;
}

interface ConvertContext {
  readonly aliases: Map<Alias, Node | undefined>;
  readonly lineAt: (o: number | undefined) => number | null;
  readonly path: string;
  readonly budget: { nodes: number };
}

function convert(ctx: ConvertContext, node: unknown, depth: number): Located {
  const { lineAt, path, budget } = ctx;
  const n = node as Node | null;
  const line = n === null ? null : lineAt(n.range?.[0]);
  if (depth > 64) throw configError('YAML nested too deeply', { file: path, line });
  if (--budget.nodes < 0) {
    throw configError(`YAML expands to more than ${MAX_EXPANDED_NODES} values (aliases of aliases?)`, {
      file: path,
      line,
    });
  }
  if (n === null) return { value: null, line };
  if (isAlias(n)) {
    const target = ctx.aliases.get(n);
    if (target === undefined)
      throw configError(`invalid YAML: unknown anchor "${n.source}"`, { file: path, line });
    return convert(ctx, target, depth + 1);
  }
  if (isScalar(n)) {
    const v = n.value;
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      return { value: v, line };
    return { value: String(v), line };
  }
  if (isSeq(n)) return { value: n.items.map((item) => convert(ctx, item, depth + 1)), line };
  if (isMap(n)) {
    const map = new Map<string, Located>();
    for (const pair of n.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      const keyLine = lineAt((pair.key as Node | null)?.range?.[0]);
      if (typeof key !== 'string')
        throw configError('mapping keys must be strings', { file: path, line: keyLine });
      if (map.has(key))
        throw configError(`invalid YAML: Map keys must be unique ("${key}")`, { file: path, line: keyLine });
      map.set(key, convert(ctx, pair.value, depth + 1));
    }
    return { value: map, line };
  }
  throw configError('unsupported YAML node', { file: path, line });
}
