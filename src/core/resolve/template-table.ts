// The source templates of every `[[registry]]` entry, packed into flat arrays, and the resolution of a
// name below an entry's prefix from them.
//
// Why packed: with 10,000 entries the heap is tens of MiB, and a resolution that follows pointers from
// an entry to its templates array to each template object pays a cache and TLB miss at every step
// (this, not the lookup, made the cost grow with the file: bench/resolve.bench.ts). Here the position
// of an entry gives, from one small typed array, where its numbers and its references start: two short
// runs, read together. The references are only handed on (never read), and what most sources lack
// (a blocking entry, an insecure flag's origin, a skip) sits apart, read only when a flag says it is there.
import { refMatchingSubdomainPrefix } from '../registries/prefix-match.js';
import type { CompiledRegistry, SourceTemplate } from './compiled-registry.js';
import type { Located, MatchedRegistry, SkippedMirrorResolution, SourceResolution } from './types.js';

// Per entry, in `starts`: where its numbers and its references start.
const NUMBERS_START = 0;
const REFS_START = 1;
const STARTS = 2;

// Per entry in `numbers`: its template count (-1: the entry is not templated), its prefix length (-1:
// a wildcard), its longest location, where its templates' rare references start; then per template.
const COUNT = 0;
const PREFIX_LENGTH = 1;
const LONGEST_LOCATION = 2;
const RARE_START = 3;
const ENTRY_NUMBERS = 4;
// Per template: flags, then its spans in the shared text (its location, then its explanation's tail).
const FLAGS = 0;
const LOCATION_START = 1;
const TAIL_START = 2;
const TAIL_END = 3;
const TEMPLATE_NUMBERS = 4;

// Per entry in `refs`, then per template.
const EXPLANATION = 0;
const MATCHED = 1;
const ENTRY_REFS = 2;
const LOCATION = 0;
const HOST = 1;
const ORIGIN = 2;
const TEMPLATE_REFS = 3;

// Per template in `rare`.
const BLOCKED_BY = 0;
const INSECURE_ORIGIN = 1;
const SKIP = 2;
const SKIP_EXPLANATION = 3;
const TEMPLATE_RARE = 4;

// Flags.
const MIRROR = 1;
const INSECURE = 2;
const BLOCKED = 4;
/** Skipped for references without a digest. */
const SKIP_TAG = 8;
/** Skipped for references with a digest. */
const SKIP_DIGEST = 16;
/** `pullFromMirror` is `PULL_FROM_MIRROR[flags >> PULL_FROM_MIRROR_SHIFT]`. */
const PULL_FROM_MIRROR_SHIFT = 5;
const PULL_FROM_MIRROR: readonly SourceResolution['pullFromMirror'][] = [
  null,
  '',
  'all',
  'digest-only',
  'tag-only',
];

const NAME_TOTAL_LENGTH_MAX = 255;

/** A candidate resolved from its entry's templates. */
export interface TemplatedCandidate {
  /** The line naming the matching entry. */
  readonly explanation: string;
  readonly matched: MatchedRegistry;
  readonly sources: SourceResolution[];
  readonly skipped: SkippedMirrorResolution[];
  /** The `explanation` of each skipped mirror. */
  readonly skippedLines: string[];
}

type Ref = string | Located | MatchedRegistry;
type RareRef = string | Located | SkippedMirrorResolution | SourceResolution['blockedBy'];

function flagsOf(template: SourceTemplate): number {
  return (
    (template.mirror ? MIRROR : 0) |
    (template.insecure ? INSECURE : 0) |
    (template.blocked ? BLOCKED : 0) |
    (template.skipFor === 'tag' ? SKIP_TAG : template.skipFor === 'digest' ? SKIP_DIGEST : 0) |
    (PULL_FROM_MIRROR.indexOf(template.pullFromMirror) << PULL_FROM_MIRROR_SHIFT)
  );
}

export class TemplateTable {
  private readonly starts: Int32Array;
  private readonly numbers: Int32Array;
  private readonly refs: Ref[] = [];
  private readonly rare: RareRef[] = [];
  /** Read for a wildcard entry only. */
  private readonly prefixes: readonly string[];

  /** `compiled[i]` is the entry at position `i`; `text` is the text their templates' spans refer to. */
  constructor(
    compiled: readonly CompiledRegistry[],
    private readonly text: string,
  ) {
    this.starts = new Int32Array(compiled.length * STARTS);
    this.prefixes = compiled.map((c) => c.prefix);
    const numbers: number[] = [];
    compiled.forEach((c, position) => {
      this.starts[position * STARTS + NUMBERS_START] = numbers.length;
      this.starts[position * STARTS + REFS_START] = this.refs.length;
      numbers.push(
        c.templates?.length ?? -1,
        c.prefix.startsWith('*.') ? -1 : c.prefix.length,
        Math.max(...c.endpoints.map((e) => e.location.length)),
        this.rare.length,
      );
      this.refs.push(c.explanation, c.matched);
      for (const t of c.templates ?? []) {
        numbers.push(flagsOf(t), t.locationStart, t.tailStart, t.tailEnd);
        this.refs.push(t.location, t.host, t.origin);
        this.rare.push(t.blockedBy, t.insecureOrigin, t.skip, t.skip?.explanation ?? null);
      }
    });
    this.numbers = Int32Array.from(numbers);
  }

  /**
   * `PullSourcesFromReference` for a name below the prefix of the entry at `position` (`prefix/…`),
   * described; null when the general path must rewrite and parse. `image` is the reference's `String()`.
   */
  candidate(position: number, name: string, image: string, digested: boolean): TemplatedCandidate | null {
    const entry = this.starts[position * STARTS + NUMBERS_START]!;
    const head = this.starts[position * STARTS + REFS_START]!;
    const numbers = this.numbers;
    const refs = this.refs;
    // Read first, so that its load goes out with the numbers' load.
    const explanation = refs[head + EXPLANATION] as string;
    const count = numbers[entry + COUNT]!;
    if (count === -1) return null;
    const prefixLength = numbers[entry + PREFIX_LENGTH]!;
    const n = prefixLength === -1 ? refMatchingSubdomainPrefix(name, this.prefixes[position]!) : prefixLength;
    if (name.charCodeAt(n) !== 0x2f) return null;
    if (numbers[entry + LONGEST_LOCATION]! + (name.length - n) > NAME_TOTAL_LENGTH_MAX) return null;
    // What `rewriteReference` assembles for a canonical location: the location, then the rest of the reference.
    const rest = image.slice(n);
    const skippedWith = digested ? SKIP_DIGEST : SKIP_TAG;
    const rare = numbers[entry + RARE_START]!;
    const sources: SourceResolution[] = [];
    const skipped: SkippedMirrorResolution[] = [];
    const skippedLines: string[] = [];
    // The mirrors in order, then the primary location (template 0).
    for (let i = 1; i < count; i++) {
      const at = entry + ENTRY_NUMBERS + i * TEMPLATE_NUMBERS;
      if ((numbers[at + FLAGS]! & skippedWith) === 0) {
        sources.push(this.source(at, head + ENTRY_REFS + i * TEMPLATE_REFS, rare + i * TEMPLATE_RARE, rest));
        continue;
      }
      skipped.push(this.rare[rare + i * TEMPLATE_RARE + SKIP] as SkippedMirrorResolution);
      skippedLines.push(this.rare[rare + i * TEMPLATE_RARE + SKIP_EXPLANATION] as string);
    }
    sources.push(this.source(entry + ENTRY_NUMBERS, head + ENTRY_REFS, rare, rest));
    return { explanation, matched: refs[head + MATCHED] as MatchedRegistry, sources, skipped, skippedLines };
  }

  /** The source of the template whose numbers, references and rare references start at `at`, `ref`, `rare`. */
  private source(at: number, ref: number, rare: number, rest: string): SourceResolution {
    const numbers = this.numbers;
    const flags = numbers[at + FLAGS]!;
    const tailStart = numbers[at + TAIL_START]!;
    const reference = this.text.slice(numbers[at + LOCATION_START]!, tailStart) + rest;
    const mirror = (flags & MIRROR) !== 0;
    const blocked = (flags & BLOCKED) !== 0;
    const insecure = (flags & INSECURE) !== 0;
    return {
      reference,
      mirror,
      insecure,
      blocked,
      location: this.refs[ref + LOCATION] as string,
      host: this.refs[ref + HOST] as string,
      pullFromMirror: PULL_FROM_MIRROR[flags >> PULL_FROM_MIRROR_SHIFT]!,
      origin: this.refs[ref + ORIGIN] as Located,
      blockedBy: blocked ? (this.rare[rare + BLOCKED_BY] as SourceResolution['blockedBy']) : null,
      insecureOrigin: insecure ? (this.rare[rare + INSECURE_ORIGIN] as Located | null) : null,
      explanation:
        (mirror ? 'mirror ' : 'primary ') + reference + this.text.slice(tailStart, numbers[at + TAIL_END]!),
    };
  }
}
