// A small TOML scanner that runs after the real parser has accepted a document. It does not build
// values; it records the line of every key, table header and array element, so that settings can say
// which line they came from, and it notices syntax that only TOML 1.1 accepts (CRI-O's parser,
// BurntSushi/toml, accepts 1.1 by default only since v1.6.0 of December 2025).

export interface TomlSyntaxNote {
  line: number;
  construct:
    'inline-table-newline' | 'inline-table-trailing-comma' | 'escape-e' | 'escape-x' | 'time-without-seconds';
}

export interface TomlPositions {
  /** Line (1-based) of a value, keyed by its path joined with `pathKey`. */
  lines: Map<string, number>;
  toml11: TomlSyntaxNote[];
}

export function pathKey(path: readonly (string | number)[]): string {
  return path.join('\u0000');
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
      const triple = src.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      let j = i + quote.length;
      let raw = '';
      while (j < n) {
        if (c === '"' && src[j] === '\\') {
          raw += src.slice(j, j + 2);
          if (src[j + 1] === '\n') line++;
          j += 2;
          continue;
        }
        if (src.startsWith(quote, j)) {
          // A multi-line string may end with up to two extra quote characters.
          while (triple && src[j + 3] === c) {
            raw += c;
            j++;
          }
          break;
        }
        if (src[j] === '\n') line++;
        raw += src[j];
        j++;
      }
      if (c === '"') noteEscapes(raw, startLine);
      tokens.push({ kind: 'string', text: raw, line: startLine });
      i = j + quote.length;
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
  readonly lines = new Map<string, number>();
  private readonly arrayCounts = new Map<string, number>();

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
      else if (t.kind === 'atom') parts.push(...t.text.split('.').filter((p) => p !== ''));
      if (this.isPunct(this.peek(), '.')) {
        this.pos++;
        continue;
      }
      return parts;
    }
  }

  /** Resolves `[[a.b]]` style paths against the array-of-tables counters. */
  private resolveTablePath(parts: string[]): (string | number)[] {
    const resolved: (string | number)[] = [];
    for (const part of parts) {
      resolved.push(part);
      const count = this.arrayCounts.get(pathKey(resolved));
      if (count !== undefined) resolved.push(count - 1);
    }
    return resolved;
  }

  run(): void {
    let table: (string | number)[] = [];
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
        if (isArray) {
          const parent = this.resolveTablePath(parts.slice(0, -1));
          const arrayPath = [...parent, parts[parts.length - 1]!];
          const count = (this.arrayCounts.get(pathKey(arrayPath)) ?? 0) + 1;
          this.arrayCounts.set(pathKey(arrayPath), count);
          table = [...arrayPath, count - 1];
          if (!this.lines.has(pathKey(arrayPath))) this.lines.set(pathKey(arrayPath), t.line);
        } else {
          table = this.resolveTablePath(parts);
        }
        this.lines.set(pathKey(table), t.line);
        continue;
      }
      this.keyValue(table);
    }
  }

  private keyValue(base: (string | number)[]): void {
    const keyToken = this.peek();
    const parts = this.readKey();
    const path = [...base, ...parts];
    if (keyToken !== undefined) this.lines.set(pathKey(path), keyToken.line);
    if (this.isPunct(this.peek(), '=')) this.pos++;
    this.value(path);
  }

  private value(path: (string | number)[]): void {
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
        this.lines.set(pathKey([...path, index]), p.line);
        this.value([...path, index]);
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
        this.keyValue(path);
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
  return { lines: scanner.lines, toml11 };
}
