// A cause's evidence: the findings' own words, one line each (file:line first where they have one),
// the distinct lines in member order, the first MAX_EVIDENCE of them listed and the rest counted.
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
function locationOf(f: CauseFinding): string | null {
  if (!f.file) return null;
  return f.line === null || f.line === undefined ? f.file : `${f.file}:${f.line}`;
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
 * How many distinct lines `findings` give, counted without building them: a line is a prefix (the
 * location, or nothing) and the message, so when no finding is stale and no prefix starts another,
 * distinct lines are distinct (prefix, message) pairs. Undefined when that does not hold.
 */
function countWithoutLines(findings: readonly CauseFinding[], locations: Locations): number | undefined {
  const byPrefix = new Map<string, Set<string>>();
  for (let i = 0; i < findings.length; i++) {
    const f = findings[i]!;
    if (f.stale !== undefined) return undefined;
    let prefix = '';
    const location = locations.of(f);
    if (location !== null && !f.message.includes(location.at)) prefix = location.prefix;
    let messages = byPrefix.get(prefix);
    if (messages === undefined) byPrefix.set(prefix, (messages = new Set()));
    messages.add(f.message);
  }
  if (byPrefix.size > 1 && !prefixFree([...byPrefix.keys()].sort())) return undefined;
  let count = 0;
  for (const messages of byPrefix.values()) count += messages.size;
  return count;
}

/**
 * The evidence lines of a cause whose members are `findings`, in that order (`locations`: the texts
 * of places, shared across calls).
 */
export function evidenceOf(findings: readonly CauseFinding[], locations: Locations | null = null): string[] {
  if (findings.length === 1) return [shownLine(lineOf(findings[0]!, locations))];
  const shown: string[] = [];
  const seen = new Set<string>();
  for (const f of findings) {
    const line = lineOf(f, locations);
    if (seen.has(line)) continue;
    seen.add(line);
    if (shown.push(shownLine(line)) === MAX_EVIDENCE) break;
  }
  if (shown.length < MAX_EVIDENCE) return shown;
  // A large cause (a class of nodes): its thousands of lines are counted, not built, where they can be.
  let count = countWithoutLines(findings, locations ?? new Locations());
  if (count === undefined) {
    const lines = new Set<string>();
    for (const f of findings) lines.add(lineOf(f, locations));
    count = lines.size;
  }
  if (count > MAX_EVIDENCE) shown.push(`… and ${count - MAX_EVIDENCE} more`);
  return shown;
}
