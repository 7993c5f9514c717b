// A cause's evidence: the findings' own words, one line each (file:line first where they have one),
// the distinct lines in member order, the first MAX_EVIDENCE of them listed and the rest counted.
import { DistinctMessages, messageHash } from './distinct-messages.js';
import type { CauseFinding } from './types.js';

const MAX_EVIDENCE = 20;

/**
 * A cause quotes its findings' words: a line of evidence or a fix longer than this is clipped, so a
 * cause stays a summary however long a finding's text is (an agent may send 16 KiB); the finding
 * itself keeps the whole text, in the report's problems and nodes.
 */
export const MAX_QUOTED_CHARS = { evidence: 4096, fix: 2048 } as const;

export function quoted(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never half a surrogate pair.
  const end = /[\uD800-\uDBFF]/.test(text[max - 1]!) ? max - 1 : max;
  return `${text.slice(0, end)} … (clipped: the finding has all ${text.length} characters)`;
}

const shownLine = (line: string): string => quoted(line, MAX_QUOTED_CHARS.evidence);

/** Where a finding is (`file:line`), when it names a file. */
function locationOf(f: Pick<CauseFinding, 'file' | 'line'>): string | null {
  if (!f.file) return null;
  return f.line === null || f.line === undefined ? f.file : `${f.file}:${f.line}`;
}

/**
 * The property under which a problem made by the witness index carries its evidence key: its
 * message's hash, and whether the message names its own place (`file:line`), as
 * `hash * 2 + names`. A symbol: the report and its JSON do not see it.
 */
export const EVIDENCE_KEY: unique symbol = Symbol('evidence key');

/** The evidence key of a finding (see EVIDENCE_KEY). */
export function evidenceKeyOf(f: Pick<CauseFinding, 'message' | 'file' | 'line'>): number {
  const at = locationOf(f);
  return messageHash(f.message) * 2 + (at !== null && f.message.includes(at) ? 1 : 0);
}

/** The evidence key `f` carries, if whoever made it worked that out. */
export function evidenceKeyCarried(f: object): number | undefined {
  return (f as { readonly [EVIDENCE_KEY]?: number })[EVIDENCE_KEY];
}

/** A place in a file as a cause names it (`file:line`), and as a line of evidence starts with it. */
export interface Location {
  readonly at: string;
  readonly prefix: string;
}

/** Places this many and more start afresh (losing only the sharing of what comes next). */
const MAX_LOCATIONS = 100_000;

/**
 * Each place's texts made once: the findings of one line of a file on 15,000 nodes (a cause each)
 * share them, rather than each building `file:line` twice.
 */
export class Locations {
  private byFile = new Map<string, Map<number | null, Location>>();
  private count = 0;

  /** The place of `f`, when it names a file. */
  of(f: CauseFinding): Location | null {
    if (!f.file) return null;
    const line = f.line ?? null;
    let byLine = this.byFile.get(f.file);
    if (byLine === undefined) {
      if (this.count >= MAX_LOCATIONS) {
        this.byFile = new Map();
        this.count = 0;
      }
      this.byFile.set(f.file, (byLine = new Map()));
    }
    let location = byLine.get(line);
    if (location === undefined) {
      const at = locationOf(f)!;
      byLine.set(line, (location = { at, prefix: `${at}: ` }));
      this.count++;
    }
    return location;
  }
}

export function evidenceLine(f: CauseFinding): string {
  return lineOf(f, null);
}

function lineOf(f: CauseFinding, locations: Locations | null): string {
  const stale = f.stale === undefined ? '' : ` (not checked again: ${f.stale})`;
  if (locations !== null) {
    const location = locations.of(f);
    if (location === null) return stale === '' ? f.message : `${f.message}${stale}`;
    const line = f.message.includes(location.at) ? f.message : location.prefix + f.message;
    return stale === '' ? line : line + stale;
  }
  const at = locationOf(f);
  if (at === null) return `${f.message}${stale}`;
  return `${f.message.includes(at) ? f.message : `${at}: ${f.message}`}${stale}`;
}

/** No string of `prefixes` (sorted) starts another: `p + m` then names `p` and `m` unambiguously. */
function prefixFree(prefixes: readonly string[]): boolean {
  for (let i = 1; i < prefixes.length; i++) if (prefixes[i]!.startsWith(prefixes[i - 1]!)) return false;
  return true;
}

/**
 * The evidence of a cause, its findings added one by one in member order: the distinct lines, the
 * first MAX_EVIDENCE of them shown, and how many there are — counted without building them where a
 * line is a prefix (the location, or nothing) and the message: when no finding is stale and no
 * location's prefix starts another, distinct lines are distinct (prefix, message) pairs, less the
 * lines without a location that a located pair also gives. One pass over a cause's thousands of
 * findings, beside whatever else the pass does.
 */
export class EvidenceTally {
  private readonly shown: string[] = [];
  private readonly seen = new Set<string>();
  /** Messages by prefix; null once a finding is stale (then the lines are counted as built). */
  private byPrefix: Map<string, DistinctMessages> | null = new Map();
  /**
   * The last finding's place and the messages under its prefix (null: none yet): the thousands of
   * findings of a class-wide cause mostly come from one line of one file.
   */
  private lastFile: string | null | undefined = null;
  private lastLine: number | null | undefined = null;
  private lastLocation: Location | null = null;
  private lastPrefix = '';
  private lastMessages: DistinctMessages | null = null;

  constructor(private readonly locations: Locations) {}

  add(f: CauseFinding): void {
    if (this.shown.length < MAX_EVIDENCE) {
      const line = lineOf(f, this.locations);
      if (!this.seen.has(line)) {
        this.seen.add(line);
        this.shown.push(shownLine(line));
      }
    }
    if (this.byPrefix === null) return;
    if (f.stale !== undefined) {
      this.byPrefix = null;
      return;
    }
    const sameFile = this.lastMessages !== null && f.file === this.lastFile && f.line === this.lastLine;
    const location = sameFile ? this.lastLocation : this.locations.of(f);
    // What the witness index worked out as the finding came (its message is not read here), else now.
    const key = evidenceKeyCarried(f);
    const namesPlace =
      location !== null && (key === undefined ? f.message.includes(location.at) : key % 2 === 1);
    const prefix = location !== null && !namesPlace ? location.prefix : '';
    let messages =
      this.lastMessages !== null && prefix === this.lastPrefix
        ? this.lastMessages
        : this.byPrefix.get(prefix);
    if (messages === undefined) this.byPrefix.set(prefix, (messages = new DistinctMessages()));
    messages.add(f.message, key === undefined ? messageHash(f.message) : key >>> 1);
    this.lastFile = f.file;
    this.lastLine = f.line;
    this.lastLocation = location;
    this.lastPrefix = prefix;
    this.lastMessages = messages;
  }

  /** The evidence lines, once `findings` (those added) are all in. */
  lines(findings: readonly CauseFinding[]): string[] {
    const shown = this.shown;
    if (shown.length < MAX_EVIDENCE) return shown;
    let count = this.countWithoutLines();
    if (count === undefined) {
      const lines = new Set<string>();
      for (const f of findings) lines.add(lineOf(f, this.locations));
      count = lines.size;
    }
    if (count > MAX_EVIDENCE) shown.push(`… and ${count - MAX_EVIDENCE} more`);
    return shown;
  }

  private countWithoutLines(): number | undefined {
    const byPrefix = this.byPrefix;
    if (byPrefix === null) return undefined;
    let count = 0;
    for (const messages of byPrefix.values()) count += messages.size;
    if (byPrefix.size === 1) return count;
    const located = [...byPrefix.keys()].filter((p) => p !== '');
    if (!prefixFree(located.sort())) return undefined;
    // The empty prefix starts every other: a line without a location (an aggregate that joined a
    // cause about a file's hosts) is counted once more only where it is not also a located line.
    const plain = byPrefix.get('');
    if (plain !== undefined)
      for (const message of plain.values()) if (locatedLine(message, byPrefix)) count--;
    return count;
  }
}

/**
 * `message` is a located line of `byPrefix` too: a location's prefix (each ends with ": ") and a
 * message under it. Located prefixes are prefix-free, so at most one of them can give it.
 */
function locatedLine(message: string, byPrefix: ReadonlyMap<string, DistinctMessages>): boolean {
  for (let end = message.indexOf(': '); end !== -1; end = message.indexOf(': ', end + 1)) {
    const messages = byPrefix.get(message.slice(0, end + 2));
    if (messages !== undefined && messages.has(message.slice(end + 2))) return true;
  }
  return false;
}

/** The evidence of a cause of one finding: its line. */
export function ownEvidence(f: CauseFinding, locations: Locations | null): string[] {
  return [shownLine(lineOf(f, locations))];
}

/**
 * The evidence lines of a cause whose members are `findings`, in that order (`locations`: the texts
 * of places, shared across calls).
 */
export function evidenceOf(findings: readonly CauseFinding[], locations: Locations | null = null): string[] {
  if (findings.length === 1) return ownEvidence(findings[0]!, locations);
  const tally = new EvidenceTally(locations ?? new Locations());
  for (let i = 0; i < findings.length; i++) tally.add(findings[i]!);
  return tally.lines(findings);
}
