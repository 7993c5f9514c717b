// JSON.parse for text that may hold secrets (auth files, key material, API objects): on a syntax error
// V8's message quotes the characters around the error (`Unexpected token 'c', ..."auth":c2VjcmV0"...`),
// and that text would travel into logs, findings and reports. This wrapper throws a position-only
// error instead: line, column, offset and a classification of what was wrong, never a character of
// the input. The position comes from our own linear, non-recursive scan, not from V8's message.

export type JsonProblem =
  | 'unexpected end of input'
  | 'a value was expected'
  | 'a quoted property name was expected'
  | "':' was expected after a property name"
  | "',' or '}' was expected after a property value"
  | "',' or ']' was expected after an array element"
  | 'unexpected data after the JSON value'
  | 'unterminated string'
  | 'control character in a string'
  | 'invalid escape in a string'
  | 'invalid number'
  | 'invalid JSON';

export class JsonTextError extends Error {
  override readonly name = 'JsonTextError';

  constructor(
    readonly problem: JsonProblem,
    /** UTF-16 offset of the error; null when it cannot be located. */
    readonly offset: number | null,
    readonly line: number | null,
    readonly column: number | null,
  ) {
    super(line === null ? problem : `${problem} at line ${line}, column ${column}`);
  }
}

/** `JSON.parse(text)`, but a syntax error is a `JsonTextError` that quotes nothing of `text`. */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw locateJsonError(text);
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

class Located extends Error {
  constructor(
    readonly problem: JsonProblem,
    readonly offset: number,
  ) {
    super(problem);
  }
}

/** Index after the string starting at `start` (a `"`). */
function scanString(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    if (i >= text.length) throw new Located('unterminated string', start);
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) throw new Located('control character in a string', i);
    if (c !== 0x5c) {
      i++;
      continue;
    }
    const e = text[i + 1];
    if (e === 'u') {
      for (let k = 2; k < 6; k++)
        if (!isHex(text.charCodeAt(i + k))) throw new Located('invalid escape in a string', i);
      i += 6;
    } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
    else throw new Located(e === undefined ? 'unterminated string' : 'invalid escape in a string', i);
  }
}

/** Index after the number starting at `start`, by JSON's grammar. */
function scanNumber(text: string, start: number): number {
  let i = start;
  const digits = () => {
    const from = i;
    while (isDigit(text.charCodeAt(i))) i++;
    if (i === from) throw new Located('invalid number', i);
  };
  if (text[i] === '-') i++;
  if (text[i] === '0') i++;
  else digits();
  if (text[i] === '.') {
    i++;
    digits();
  }
  if (text[i] === 'e' || text[i] === 'E') {
    i++;
    if (text[i] === '+' || text[i] === '-') i++;
    digits();
  }
  return i;
}

type Expect = 'value' | 'value-or-close' | 'key' | 'key-or-close' | 'colon' | 'after';

/** The first syntax error of `text`, or null when it is valid JSON. Linear; no recursion. */
function firstError(text: string): Located | null {
  const open: number[] = []; // '{' or '[' char codes
  let expect: Expect = 'value';
  let i = 0;
  try {
    for (;;) {
      while (i < text.length && isSpace(text.charCodeAt(i))) i++;
      if (i >= text.length) {
        return expect === 'after' && open.length === 0 ? null : new Located('unexpected end of input', i);
      }
      const c = text.charCodeAt(i);
      const top = open.at(-1);
      if ((expect === 'value-or-close' && c === 0x5d) || (expect === 'key-or-close' && c === 0x7d)) {
        open.pop();
        i++;
        expect = 'after';
        continue;
      }
      switch (expect) {
        case 'value':
        case 'value-or-close':
          if (c === 0x7b || c === 0x5b) {
            open.push(c);
            i++;
            expect = c === 0x7b ? 'key-or-close' : 'value-or-close';
          } else if (c === 0x22) {
            i = scanString(text, i);
            expect = 'after';
          } else if (c === 0x2d || isDigit(c)) {
            i = scanNumber(text, i);
            expect = 'after';
          } else {
            const word = ['true', 'false', 'null'].find((w) => text.startsWith(w, i));
            if (word === undefined) return new Located('a value was expected', i);
            i += word.length;
            expect = 'after';
          }
          break;
        case 'key':
        case 'key-or-close':
          if (c !== 0x22) return new Located('a quoted property name was expected', i);
          i = scanString(text, i);
          expect = 'colon';
          break;
        case 'colon':
          if (c !== 0x3a) return new Located("':' was expected after a property name", i);
          i++;
          expect = 'value';
          break;
        case 'after':
          if (top === undefined) return new Located('unexpected data after the JSON value', i);
          if (c === 0x2c) {
            i++;
            expect = top === 0x7b ? 'key' : 'value';
          } else if (c === (top === 0x7b ? 0x7d : 0x5d)) {
            open.pop();
            i++;
          } else {
            return new Located(
              top === 0x7b
                ? "',' or '}' was expected after a property value"
                : "',' or ']' was expected after an array element",
              i,
            );
          }
          break;
      }
    }
  } catch (err) {
    if (err instanceof Located) return err;
    throw err;
  }
}

/** Line and column (1-based, columns in UTF-16 units) of `offset`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function locateJsonError(text: string): JsonTextError {
  const found = firstError(text);
  // JSON.parse failed but our scan did not (it should not happen): say so without a position.
  if (found === null) return new JsonTextError('invalid JSON', null, null, null);
  const { line, column } = lineAndColumn(text, found.offset);
  return new JsonTextError(found.problem, found.offset, line, column);
}
