// A JSON parser that keeps what policy.json's "paranoid" decoding needs and JSON.parse throws away:
// duplicate keys (in order) and the line of every value. Syntax errors use encoding/json's texts.

export type JsonNode =
  | { readonly kind: 'object'; readonly line: number; readonly entries: readonly JsonEntry[] }
  | { readonly kind: 'array'; readonly line: number; readonly items: readonly JsonNode[] }
  | { readonly kind: 'string'; readonly line: number; readonly value: string }
  | { readonly kind: 'number'; readonly line: number; readonly value: number; readonly raw: string }
  | { readonly kind: 'bool'; readonly line: number; readonly value: boolean }
  | { readonly kind: 'null'; readonly line: number };

export interface JsonEntry {
  readonly key: string;
  readonly keyLine: number;
  readonly value: JsonNode;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

/** encoding/json's maxNestingDepth. The parser keeps its own stack, so any depth up to it parses. */
const MAX_DEPTH = 10_000;

/** An object or array still open, innermost last. */
type Frame =
  | { kind: 'object'; line: number; entries: JsonEntry[]; key: string; keyLine: number }
  | { kind: 'array'; line: number; items: JsonNode[] };

class Parser {
  private pos = 0;
  private line = 1;

  constructor(private readonly text: string) {}

  private fail(message: string): never {
    throw new JsonSyntaxError(message, this.line);
  }

  private describe(c: string): string {
    return c === "'" ? "'\\''" : `'${c}'`;
  }

  private skipSpace(): void {
    for (;;) {
      const c = this.text[this.pos];
      if (c === '\n') this.line++;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.pos++;
      else return;
    }
  }

  private expectEnd(context: string): never {
    if (this.pos >= this.text.length) this.fail('unexpected end of JSON input');
    this.fail(`invalid character ${this.describe(this.text[this.pos]!)} ${context}`);
  }

  parseDocument(): JsonNode {
    this.skipSpace();
    const node = this.value();
    this.skipSpace();
    if (this.pos < this.text.length) this.fail('Unexpected data after JSON object');
    return node;
  }

  /** `"key":` of an object member, then the spaces before its value. */
  private memberKey(frame: Frame & { kind: 'object' }): void {
    if (this.text[this.pos] !== '"') this.expectEnd('looking for beginning of object key string');
    frame.keyLine = this.line;
    frame.key = this.string();
    this.skipSpace();
    if (this.text[this.pos] !== ':') this.expectEnd('after object key');
    this.pos++;
    this.skipSpace();
  }

  /** One value with everything nested in it, iteratively: nesting costs heap, never call stack. */
  private value(): JsonNode {
    const stack: Frame[] = [];
    for (;;) {
      if (stack.length > MAX_DEPTH) this.fail('exceeded max depth');
      const line = this.line;
      const c = this.text[this.pos];
      let done: JsonNode;
      if (c === '{' || c === '[') {
        this.pos++;
        this.skipSpace();
        const close = c === '{' ? '}' : ']';
        if (this.text[this.pos] === close) {
          this.pos++;
          done = c === '{' ? { kind: 'object', line, entries: [] } : { kind: 'array', line, items: [] };
        } else {
          if (c === '{') {
            const frame = { kind: 'object' as const, line, entries: [], key: '', keyLine: line };
            stack.push(frame);
            this.memberKey(frame);
          } else stack.push({ kind: 'array', line, items: [] });
          continue;
        }
      } else done = this.scalar(line);
      // A complete value: add it to the open collections, closing each that ends here.
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) return done;
        if (top.kind === 'object') top.entries.push({ key: top.key, keyLine: top.keyLine, value: done });
        else top.items.push(done);
        this.skipSpace();
        const next = this.text[this.pos];
        this.pos++;
        if (next === (top.kind === 'object' ? '}' : ']')) {
          stack.pop();
          done =
            top.kind === 'object'
              ? { kind: 'object', line: top.line, entries: top.entries }
              : { kind: 'array', line: top.line, items: top.items };
          continue;
        }
        if (next !== ',') {
          this.pos--;
          this.expectEnd(top.kind === 'object' ? 'after object key:value pair' : 'after array element');
        }
        this.skipSpace();
        if (top.kind === 'object') this.memberKey(top);
        break;
      }
    }
  }

  private scalar(line: number): JsonNode {
    const c = this.text[this.pos];
    if (c === '"') return { kind: 'string', line, value: this.string() };
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number(line);
    for (const [word, node] of [
      ['true', { kind: 'bool', line, value: true }],
      ['false', { kind: 'bool', line, value: false }],
      ['null', { kind: 'null', line }],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return node;
      }
    }
    return this.expectEnd('looking for beginning of value');
  }

  private string(): string {
    const start = this.pos;
    this.pos++;
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) this.fail('unexpected end of JSON input');
      if (c === '"') break;
      if (c === '\\') {
        const next = this.text[this.pos + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))) {
            this.fail('invalid character in \\u hexadecimal character escape');
          }
          this.pos += 6;
          continue;
        }
        if (next === undefined || !'"\\/bfnrt'.includes(next)) {
          this.pos++;
          this.expectEnd('in string escape code');
        }
        this.pos += 2;
        continue;
      }
      if (c < ' ') this.fail(`invalid character ${this.describe(c)} in string literal`);
      this.pos++;
    }
    this.pos++;
    return JSON.parse(this.text.slice(start, this.pos)) as string;
  }

  private number(line: number): JsonNode {
    const match = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(
      this.text.slice(this.pos, this.pos + 400),
    );
    if (match === null) {
      this.pos++;
      this.expectEnd('in numeric literal');
    }
    this.pos += match[0].length;
    return { kind: 'number', line, value: Number(match[0]), raw: match[0] };
  }
}

export function parseJsonTree(text: string): JsonNode {
  return new Parser(text).parseDocument();
}

/** How encoding/json names a JSON value's kind in "cannot unmarshal X into ..." errors. */
export function jsonKindName(node: JsonNode): string {
  switch (node.kind) {
    case 'bool':
      return 'bool';
    case 'null':
      return 'null';
    default:
      return node.kind;
  }
}

/** `%#v` of the first decoder token, as in `JSON object expected, got …`. */
export function goTokenText(node: JsonNode): string {
  switch (node.kind) {
    case 'array':
      return '91'; // json.Delim('[') printed with %#v
    case 'object':
      return '123';
    case 'string':
      return JSON.stringify(node.value);
    case 'number':
      return String(node.value);
    case 'bool':
      return String(node.value);
    case 'null':
      return '<nil>';
  }
}
