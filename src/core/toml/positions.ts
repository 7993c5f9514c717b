// A small TOML scanner that runs after the real parser has accepted a document. It does not build
// values; it records the line of every key, table header and array element, so that settings can say
// which line they came from, and it notices syntax that only TOML 1.1 accepts (CRI-O's parser,
// BurntSushi/toml, accepts 1.1 by default only since v1.6.0 of December 2025).

export interface TomlSyntaxNote {
  line: number;
  construct:
    'inline-table-newline' | 'inline-table-trailing-comma' | 'escape-e' | 'escape-x' | 'time-without-seconds';
}

export type TomlPath = readonly (string | number)[];

export interface TomlPositions {
  /** Line (1-based) of the key, table header or array element at a path; undefined when it has none. */
  lineOf(path: TomlPath): number | undefined;
  /** The line of the path, else of its closest enclosing element that has one (e.g. an implicit table). */
  closestLineOf(path: TomlPath): number | undefined;
  /** `lines.get(pathKey(path))` is `lineOf(path)`, for callers that build keys. */
  lines: { get(key: string): number | undefined };
  toml11: TomlSyntaxNote[];
}

const SEPARATOR = '\u0000';

export function pathKey(path: TomlPath): string {
  return path.join(SEPARATOR);
}

/**
 * One node per path (a trie), so that every step costs O(1) whatever the depth: a table header with
 * 60,000 dotted parts, or many keys below it, stays linear (joined path strings were quadratic).
 */
class PathNode {
  line: number | undefined;
  /** `[[x]]` headers seen for this path so far: its elements are children 0 … count-1. */
  arrayCount: number | undefined;
  private children: Map<string, PathNode> | undefined;

  // Keys and indices share one map: a node is a table (string keys) or an array (indices), never both,
  // and `lines.get` gets indices back as strings from pathKey.
  child(part: string | number): PathNode {
    part = String(part);
    this.children ??= new Map();
    let node = this.children.get(part);
    if (node === undefined) {
      node = new PathNode();
      this.children.set(part, node);
    }
    return node;
  }

  find(part: string | number): PathNode | undefined {
    return this.children?.get(String(part));
  }
}

type Token =
  | { kind: 'punct'; text: string; line: number }
  | { kind: 'newline'; line: number }
  | { kind: 'key'; text: string; line: number } // bare word or quoted string (value or key)
  | { kind: 'string'; text: string; line: number }
  | { kind: 'atom'; text: string; line: number };

function tokenize(src: string, notes: TomlSyntaxNote[]): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const n = src.length;
  const noteEscapes = (raw: string, startLine: number): void => {
    for (let k = 0; k < raw.length; k++) {
      if (raw[k] !== '\\') continue;
      const next = raw[k + 1];
      if (next === 'e') notes.push({ line: startLine, construct: 'escape-e' });
      if (next === 'x') notes.push({ line: startLine, construct: 'escape-x' });
      k++;
    }
  };
  while (i < n) {
    const c = src[i]!;
    if (c === '\n') {
      tokens.push({ kind: 'newline', line });
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#') {
      while (i < n && src[i] !== '\n') i++;
    } else if (c === '"' || c === "'") {
      const startLine = line;
      const triple = src.startsWith(c === '"' ? '"""' : "'''", i);
      const quote = triple ? 3 : 1;
      const start = i + quote;
      let j = start;
      let escapes = false;
      while (j < n) {
        const d = src[j];
        if (c === '"' && d === '\\') {
          escapes = true;
          if (src[j + 1] === '\n') line++;
          j += 2;
          continue;
        }
        if (d === c && (!triple || (src[j + 1] === c && src[j + 2] === c))) {
          // A multi-line string may end with up to two extra quote characters.
          while (triple && src[j + 3] === c) j++;
          break;
        }
        if (d === '\n') line++;
        j++;
      }
      // Slices, not a string built a character at a time: a 16 MiB file must not churn the heap.
      const raw = src.slice(start, Math.min(j, n));
      if (escapes) noteEscapes(raw, startLine);
      tokens.push({ kind: 'string', text: raw, line: startLine });
      i = j + quote;
    } else if ('[]{}=,.'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, line });
      i++;
    } else {
      let j = i;
      while (j < n && !' \t\r\n#[]{}=,'.includes(src[j]!)) j++;
      const text = src.slice(i, j);
      tokens.push({ kind: 'atom', text, line });
      i = j;
    }
  }
  return tokens;
}

class Scanner {
  private pos = 0;
  readonly tree = new PathNode();

  constructor(
    private readonly tokens: Token[],
    private readonly notes: TomlSyntaxNote[],
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private next(): Token | undefined {
    return this.tokens[this.pos++];
  }

  private skipNewlines(): void {
    while (this.peek()?.kind === 'newline') this.pos++;
  }

  private isPunct(t: Token | undefined, text: string): boolean {
    return t?.kind === 'punct' && t.text === text;
  }

  /** A dotted key; atoms such as `a.b` are split on dots (bare keys cannot contain dots). */
  private readKey(): string[] {
    const parts: string[] = [];
    for (;;) {
      const t = this.next();
      if (t === undefined) return parts;
      if (t.kind === 'string') parts.push(t.text);
      else if (t.kind === 'atom') for (const p of t.text.split('.')) if (p !== '') parts.push(p);
      if (this.isPunct(this.peek(), '.')) {
        this.pos++;
        continue;
      }
      return parts;
    }
  }

  /** Resolves `[a.b]` style paths against the array-of-tables counters: each array means its last element. */
  private resolveTablePath(parts: readonly string[], count = parts.length): PathNode {
    let node = this.tree;
    for (let i = 0; i < count; i++) {
      node = node.child(parts[i]!);
      if (node.arrayCount !== undefined) node = node.child(node.arrayCount - 1);
    }
    return node;
  }

  run(): void {
    let table = this.tree;
    for (;;) {
      this.skipNewlines();
      const t = this.peek();
      if (t === undefined) return;
      if (this.isPunct(t, '[')) {
        this.pos++;
        const isArray = this.isPunct(this.peek(), '[');
        if (isArray) this.pos++;
        const parts = this.readKey();
        this.pos += isArray ? 2 : 1;
        if (isArray && parts.length > 0) {
          const array = this.resolveTablePath(parts, parts.length - 1).child(parts[parts.length - 1]!);
          array.arrayCount = (array.arrayCount ?? 0) + 1;
          array.line ??= t.line;
          table = array.child(array.arrayCount - 1);
        } else {
          table = this.resolveTablePath(parts);
        }
        table.line = t.line;
        continue;
      }
      this.keyValue(table);
    }
  }

  private keyValue(base: PathNode): void {
    const keyToken = this.peek();
    let node = base;
    for (const part of this.readKey()) node = node.child(part);
    if (keyToken !== undefined) node.line = keyToken.line;
    if (this.isPunct(this.peek(), '=')) this.pos++;
    this.value(node);
  }

  // Recursive over nested arrays and inline tables: the TOML parser has accepted the document first,
  // and it refuses nesting deeper than its maxDepth (1000), which bounds this recursion.
  private value(node: PathNode): void {
    const t = this.next();
    if (t === undefined) return;
    if (this.isPunct(t, '[')) {
      let index = 0;
      for (;;) {
        this.skipNewlines();
        const p = this.peek();
        if (p === undefined) return;
        if (this.isPunct(p, ']')) {
          this.pos++;
          return;
        }
        if (this.isPunct(p, ',')) {
          this.pos++;
          continue;
        }
        const element = node.child(index);
        element.line = p.line;
        this.value(element);
        index++;
      }
    }
    if (this.isPunct(t, '{')) {
      let lastWasComma = false;
      for (;;) {
        const p = this.peek();
        if (p === undefined) return;
        if (p.kind === 'newline') {
          this.notes.push({ line: p.line, construct: 'inline-table-newline' });
          this.pos++;
          continue;
        }
        if (this.isPunct(p, '}')) {
          if (lastWasComma) this.notes.push({ line: p.line, construct: 'inline-table-trailing-comma' });
          this.pos++;
          return;
        }
        if (this.isPunct(p, ',')) {
          lastWasComma = true;
          this.pos++;
          continue;
        }
        lastWasComma = false;
        this.keyValue(node);
      }
    }
    if (t.kind === 'atom') {
      // A date-time such as `1979-05-27 07:32:00` is two atoms; only the time part matters here.
      let text = t.text;
      const after = this.peek();
      if (after?.kind === 'atom' && /^\d{2}:\d{2}/.test(after.text) && /^\d{4}-\d{2}-\d{2}$/.test(text)) {
        text += `T${after.text}`;
        this.pos++;
      }
      if (/(^|T)\d{2}:\d{2}(?!:\d)/.test(text)) {
        this.notes.push({ line: t.line, construct: 'time-without-seconds' });
      }
    }
  }
}

/** Records the positions of a document the real TOML parser has already accepted. */
export function scanTomlPositions(src: string): TomlPositions {
  const toml11: TomlSyntaxNote[] = [];
  const scanner = new Scanner(tokenize(src, toml11), toml11);
  scanner.run();
  const tree = scanner.tree;
  const walk = (path: TomlPath, closest: boolean): number | undefined => {
    let node: PathNode | undefined = tree;
    let line: number | undefined;
    for (const part of path) {
      node = node.find(part);
      if (node === undefined) return closest ? line : undefined;
      line = node.line ?? (closest ? line : undefined);
    }
    return line;
  };
  return {
    lineOf: (path) => walk(path, false),
    closestLineOf: (path) => walk(path, true),
    lines: { get: (key) => walk(key.split(SEPARATOR), false) },
    toml11,
  };
}
