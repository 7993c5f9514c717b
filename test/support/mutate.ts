// Deterministic input generation for the fuzzer: a seeded PRNG and mutations that aim at what breaks
// parsers — structure characters, nesting bombs, long dotted keys, repetition, truncation, splices
// of other seeds, odd Unicode. The same (seed, target, index) always gives the same input, so a
// failure found in a long run is reproduced from three numbers.

/** mulberry32: small, fast, good enough to drive mutations. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of the parts, to derive one input's PRNG seed from (run seed, target, index). */
export function inputSeed(seed: number, target: string, index: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (const ch of `${target}\0${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

/** Inputs never grow beyond this: bombs stay bombs of structure, not of bytes. */
export const MAX_INPUT_CHARS = 300_000;

const ODD = [
  '\u0000',
  '\r',
  '\r\n',
  '\t',
  '\u2028',
  '\ufeff',
  '\ud800',
  '\udc00',
  '\u{1f600}',
  '\u00e9',
  '\\',
  '\u007f',
];

export interface Dialect {
  /** Tokens that mean something in the format (brackets, quotes, keywords, field names). */
  readonly tokens: readonly string[];
  /** Builds a nesting bomb of the given depth around an inner text. */
  readonly nest: (depth: number, inner: string) => string;
}

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const int = (rng: Rng, max: number): number => Math.floor(rng() * max);
/** Mostly small, sometimes huge: 1 … 2^maxLog. */
const size = (rng: Rng, maxLog: number): number => 1 + Math.floor(2 ** (rng() * rng() * maxLog));

function mutateOnce(text: string, rng: Rng, dialect: Dialect, seeds: readonly string[]): string {
  const at = int(rng, text.length + 1);
  const span = Math.min(text.length - at, size(rng, 8));
  switch (int(rng, 11)) {
    case 0: // replace one character with a structural one
      return text.slice(0, at) + pick(rng, dialect.tokens).slice(0, 1) + text.slice(at + 1);
    case 1: // insert a token
      return text.slice(0, at) + pick(rng, dialect.tokens) + text.slice(at);
    case 2: // delete a span
      return text.slice(0, at) + text.slice(at + span);
    case 3: // repeat a span many times
      return text.slice(0, at) + text.slice(at, at + span).repeat(size(rng, 14)) + text.slice(at);
    case 4: // truncate
      return text.slice(0, at);
    case 5: // splice another seed in
      return text.slice(0, at) + pick(rng, seeds) + text.slice(at + span);
    case 6: // odd characters
      return text.slice(0, at) + pick(rng, ODD) + text.slice(at);
    case 7: // a nesting bomb
      return (
        text.slice(0, at) + dialect.nest(size(rng, 15), text.slice(at, at + span)) + text.slice(at + span)
      );
    case 8: // a long dotted key / path
      return (
        text.slice(0, at) +
        Array.from({ length: size(rng, 15) }, (_, i) => `k${i}`).join(pick(rng, ['.', '/', '.'])) +
        text.slice(at)
      );
    case 9: // many distinct lines copied from the text, numbered so keys do not collide
      return (
        text.slice(0, at) +
        Array.from({ length: size(rng, 13) }, (_, i) =>
          text.slice(at, at + span).replace(/[a-z]+/, (w) => `${w}${i}`),
        ).join('') +
        text.slice(at)
      );
    default: // swap two spans
      return text.slice(at + span, at + 2 * span) + text.slice(at, at + span) + text.slice(at + 2 * span);
  }
}

/** One fuzz input: a seed with 1 to 8 mutations. */
export function generate(rng: Rng, seeds: readonly string[], dialect: Dialect): string {
  let text = pick(rng, seeds);
  const rounds = 1 + int(rng, 8);
  for (let i = 0; i < rounds; i++) {
    text = mutateOnce(text, rng, dialect, seeds);
    if (text.length > MAX_INPUT_CHARS) text = text.slice(0, MAX_INPUT_CHARS);
  }
  return text;
}
