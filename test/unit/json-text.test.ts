import { describe, expect, it } from 'vitest';
import { JsonTextError, parseJsonText } from '../../src/core/json-text.js';

function errorOf(text: string): JsonTextError {
  try {
    parseJsonText(text);
  } catch (err) {
    if (err instanceof JsonTextError) return err;
    throw err;
  }
  throw new Error('parsed');
}

const SECRET = 'c2VjcmV0LXRva2VuLXZhbHVl';

describe('parseJsonText', () => {
  it('parses valid JSON like JSON.parse', () => {
    const text = '{"auths":{"h":{"auth":"x"}},"n":[1,-2.5e3,true,null,"\\u00e9"]}';
    expect(parseJsonText(text)).toEqual(JSON.parse(text));
  });

  it.each([
    ['{"auths":{"h":{"auth":c2VjcmV0LXRva2VuLXZhbHVl}}}', 'a value was expected', 1, 23],
    [
      '{\n  "auths": {\n    "h": {"auth": "c2VjcmV0LXRva2VuLXZhbHVl" x}\n  }\n}',
      "',' or '}' was expected after a property value",
      3,
      46,
    ],
    ['{"auths": {"h": {"auth": "c2VjcmV0LXRva2VuLXZhbHVl', 'unterminated string', 1, 26],
    ['{"a": "c2VjcmV0\tLXRva2VuLXZhbHVl"}', 'control character in a string', 1, 16],
    ['{"a": "c2VjcmV0\\qLXRva2VuLXZhbHVl"}', 'invalid escape in a string', 1, 16],
    ['{c2VjcmV0LXRva2VuLXZhbHVl: 1}', 'a quoted property name was expected', 1, 2],
    ['{"c2VjcmV0LXRva2VuLXZhbHVl" 1}', "':' was expected after a property name", 1, 29],
    ['["c2VjcmV0LXRva2VuLXZhbHVl" 1]', "',' or ']' was expected after an array element", 1, 29],
    ['{"a": 1} c2VjcmV0LXRva2VuLXZhbHVl', 'unexpected data after the JSON value', 1, 10],
    ['{"a": -c2VjcmV0}', 'invalid number', 1, 8],
    ['{"a": 01}', "',' or '}' was expected after a property value", 1, 8],
    ['{"a": {', 'unexpected end of input', 1, 8],
    ['', 'unexpected end of input', 1, 1],
    ['\ufeff{}', 'a value was expected', 1, 1],
  ])('%j: %s at %i:%i, quoting nothing', (text, problem, line, column) => {
    const e = errorOf(text);
    expect({ problem: e.problem, line: e.line, column: e.column }).toEqual({ problem, line, column });
    expect(e.message).toBe(`${problem} at line ${line}, column ${column}`);
    expect(e.message).not.toMatch(/c2Vj|LXRv|bHVl/);
    expect(JSON.stringify(e)).not.toContain(SECRET.slice(0, 4));
  });

  it('agrees with JSON.parse on what is valid, over seeded mutations of real auth files', () => {
    const base = JSON.stringify(
      { auths: { 'quay.io/ns': { auth: SECRET, identitytoken: 'tok\\"en' } }, credHelpers: { h: 'x' } },
      null,
      2,
    );
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = '{}[]",:\\ \n\t-0123456789.eEtrufalsn\u0001x';
    for (let round = 0; round < 3000; round++) {
      let text = base;
      for (let k = 0, edits = 1 + rand(3); k < edits; k++) {
        const at = rand(text.length + 1);
        const op = rand(3);
        const ch = alphabet[rand(alphabet.length)]!;
        text =
          op === 0
            ? text.slice(0, at) + text.slice(at + 1)
            : op === 1
              ? text.slice(0, at) + ch + text.slice(at)
              : text.slice(0, at) + ch + text.slice(at + 1);
      }
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      if (valid) continue;
      const e = errorOf(text);
      expect(e.problem, text).not.toBe('invalid JSON');
      expect(e.offset).toBeGreaterThanOrEqual(0);
      expect(e.offset).toBeLessThanOrEqual(text.length);
      expect(e.message).not.toContain('c2Vj');
    }
  });

  it('is linear on deep nesting and long input (no recursion)', () => {
    expect(errorOf('['.repeat(200_000)).problem).toBe('unexpected end of input');
    expect(errorOf(`{"a":"${'x'.repeat(1_000_000)}`).problem).toBe('unterminated string');
  });
});
