import { describe, expect, it } from 'vitest';
import { pathKey, scanTomlPositions } from '../../src/core/toml/positions.js';

describe('scanTomlPositions', () => {
  it('locates keys in nested arrays of tables, dotted keys and multi-line values', () => {
    const src = `a = """
multi
line"""
[[registry]]
prefix = "x"
[[registry.mirror]]
location = "m1"
[[registry.mirror]]
"location" = 'm2'
[[registry]]
blocked.deep = true
list = [
  "one",
  "two",
]
`;
    const { lineOf } = scanTomlPositions(src);
    expect(lineOf(['a'])).toBe(1);
    expect(lineOf(['registry', 0])).toBe(4);
    expect(lineOf(['registry', 0, 'prefix'])).toBe(5);
    expect(lineOf(['registry', 0, 'mirror', 1, 'location'])).toBe(9);
    expect(lineOf(['registry', 1, 'blocked', 'deep'])).toBe(11);
    expect(lineOf(['registry', 1, 'list', 1])).toBe(14);
    expect(scanTomlPositions(src).lines.get(pathKey(['registry', 0, 'mirror', 1, 'location']))).toBe(9);
  });

  it('flags TOML 1.1-only constructs with their lines', () => {
    const src = `t = { a = 1,\n b = 2, }\ns = "bell \\e and \\x41"\nwhen = 07:32\n`;
    const notes = scanTomlPositions(src).toml11.map((n) => [n.construct, n.line]);
    expect(notes).toEqual(
      expect.arrayContaining([
        ['inline-table-newline', 1],
        ['inline-table-trailing-comma', 2],
        ['escape-e', 3],
        ['escape-x', 3],
        ['time-without-seconds', 4],
      ]),
    );
  });

  it('finds nothing to flag in TOML 1.0', () => {
    expect(
      scanTomlPositions(`t = { a = 1, b = "x" }\nwhen = 1979-05-27T07:32:00Z\ns = "\\u00e9"\n`).toml11,
    ).toEqual([]);
  });
});
