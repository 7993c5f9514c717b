// What one causesOf call may reuse from the previous one over (mostly) the same findings: where each
// finding goes (kind, host, group), and each cause whose findings are the very same objects as last
// time. A report rebuilt every few seconds over 300,000 problems, most of them unchanged, then pays
// for what changed. The caller owns the memo and passes the same `node` and `place` every time.
//
// Kept by position, not by finding: the findings of one call come mostly in the order of the last
// one (the report's problems are sorted alike every build), so one walk beside the last call's list
// finds what each finding had — no map of 300,000 findings, and no record per finding either: where
// a finding goes is shared by every finding that goes there alike.
//
// The causes of one finding each (90,000 in a large cluster, ~600 bytes apiece) are kept only as
// long as the list the last call returned lives (the report that holds it): a memo kept between
// builds holds where findings go and the few causes many findings share, not a copy of the report.
// A build after the report was collected makes those causes again from their findings.
import { positionsIn, sameItems } from '../list-alignment.js';
import { SortedReuse } from '../sorted-reuse.js';
import { tracePrefix } from './commands.js';
import { Locations } from './evidence.js';
import type { CauseKind } from './kinds.js';
import { PlacementTable, placementCarried, type Placement } from './placement.js';
import type { Cause, CauseFinding, ImageFailure } from './types.js';

/** A cause as built last time from exactly these members (pods aside: the pods move on their own). */
interface Built {
  /** One member as it is, else a list. */
  readonly members: CauseFinding | readonly CauseFinding[];
  readonly roots: number;
  readonly cause: Cause;
  /** The last call that built or reused it. */
  call: number;
}

/** Texts many findings repeat (`network|mirror.corp:5000`): kept once, not once per finding. */
const MAX_SHARED_TEXTS = 100_000;

/**
 * One copy of what many causes repeat: a one-item list (the mirror or image of 90,000 causes about
 * one node each) and a headline (`A setting in /etc/…:181 is not applied` on every node).
 */
class Repeated<T> {
  private table = new Map<string, T>();

  constructor(private readonly make: (key: string) => T) {}

  get(key: string): T {
    let value = this.table.get(key);
    if (value === undefined) {
      // Starting afresh only loses sharing for what comes next.
      if (this.table.size >= MAX_SHARED_TEXTS) this.table = new Map();
      this.table.set(key, (value = this.make(key)));
    }
    return value;
  }
}

export class CauseMemo {
  /** By cause id: the causes of groups other than one finding's own alone. */
  private readonly built = new Map<string, Built>();
  private call = 1;
  /** What the last call grouped. */
  private last: {
    readonly findings: readonly CauseFinding[];
    readonly failures: readonly ImageFailure[];
  } | null = null;
  /** The list of causes it returned, while something else holds it. */
  private lastAnswer: WeakRef<readonly Cause[]> | null = null;
  /** That list, held from the start of a build to its end (a build's own garbage collections keep it). */
  private held: readonly Cause[] | undefined = undefined;
  /** What goes with that list (and goes when it goes). */
  private readonly kept = new WeakMap<readonly Cause[], Kept>();
  /** The last call's findings and their placements. */
  private placedFindings: readonly CauseFinding[] = [];
  private placedPlacements: readonly Placement[] = [];
  /**
   * This call: what the last call left (empty when its causes are gone), where each finding was then
   * (-1: not there), and what it leaves.
   */
  private previous: Kept = emptyKept();
  private from: Int32Array = new Int32Array(0);
  private next: Kept = emptyKept();
  private readonly lists = new Repeated<readonly string[]>((value) => Object.freeze([value]));
  private readonly headlines = new Map<CauseKind, Repeated<string>>();

  /** The texts of places in files, shared by the causes that name them. */
  readonly locations = new Locations();
  /** Where findings go, shared by every finding placed alike. */
  private readonly table = new PlacementTable(this.locations);

  /** `[value]`, shared. */
  readonly one = (value: string): readonly string[] => this.lists.get(value);

  private readonly prefixes = new Repeated<string>(tracePrefix);
  /** The node asked for last, and its prefix. */
  private prefixNode: string | null = null;
  private prefix = '';

  /**
   * What the trace command on `node` starts with, shared by the node's causes. The causes of one
   * finding each come in the order of their keys, and keys that name their node put one node's
   * causes side by side: the last answer then serves the next ones without looking the node's name
   * up (a read of the name, somewhere on the heap, for its hash).
   */
  readonly tracePrefix = (node: string): string => {
    if (node !== this.prefixNode) {
      this.prefixNode = node;
      this.prefix = this.prefixes.get(node);
    }
    return this.prefix;
  };

  /** The headline of a cause of `kind` about `subject`, shared. */
  headline(kind: CauseKind, subject: string, make: (subject: string) => string): string {
    let byKind = this.headlines.get(kind);
    if (byKind === undefined) this.headlines.set(kind, (byKind = new Repeated(make)));
    return byKind.get(subject);
  }

  /**
   * Where each of `findings` goes: the last call's answer for the findings it had in the same order
   * (one walk beside its list), else the one the finding carries (the witness index's problems),
   * else worked out.
   */
  placements(findings: readonly CauseFinding[]): Placement[] {
    const last = this.placedFindings;
    const lastPlaced = this.placedPlacements;
    const out = new Array<Placement>(findings.length);
    const from = positionsIn(last, findings);
    for (let i = 0; i < findings.length; i++) {
      const at = from[i]!;
      out[i] =
        at === -1 ? (placementCarried(findings[i]!) ?? this.table.place(findings[i]!)) : lastPlaced[at]!;
    }
    this.placedFindings = findings;
    this.placedPlacements = out;
    this.from = from;
    this.previous = this.keptNow() ?? emptyKept();
    this.next = { own: new Array<Cause | undefined>(findings.length), order: new SortedReuse() };
    return out;
  }

  /**
   * The cause built last time for the finding at `at` (of this call's list), when it was a group of
   * its own alone then too, with the same images (sorted).
   */
  reuseOwn(at: number, images: readonly string[]): Cause | undefined {
    const j = this.from[at]!;
    const cause = j === -1 ? undefined : this.previous.own[j];
    if (cause === undefined || !sameItems(cause.affects.images, images)) return undefined;
    return cause;
  }

  /** `cause` is that of the finding at `at`, a group of its own alone. */
  rememberOwn(at: number, cause: Cause): void {
    this.next.own[at] = cause;
  }

  /**
   * `causes` in impact order: the last call's order, where the causes are the same. `sorted` gives
   * new causes in that order as a new list (see SortedReuse.sort).
   */
  sort(
    causes: readonly Cause[],
    compare: (a: Cause, b: Cause) => number,
    sorted?: (added: readonly Cause[]) => Cause[],
  ): readonly Cause[] {
    const order = this.previous.order;
    this.next = { own: this.next.own, order };
    return order.sort(causes, compare, sorted);
  }

  /**
   * A build starts: the last call's causes, if they still live, are held until `done` — the build's
   * own work collects garbage long before it comes to its causes.
   */
  begin(): void {
    this.held = this.lastAnswer?.deref();
  }

  /** The last call's causes, while they live. */
  private lastList(): readonly Cause[] | undefined {
    return this.held ?? this.lastAnswer?.deref();
  }

  /** What goes with the last call's causes, while they live. */
  private keptNow(): Kept | undefined {
    const causes = this.lastList();
    return causes === undefined ? undefined : this.kept.get(causes);
  }

  /** `causes` are the answer of this call: what goes with them is kept as long as they are. */
  private keep(causes: readonly Cause[], kept: Kept): void {
    this.kept.set(causes, kept);
    this.lastAnswer = new WeakRef(causes);
  }

  /** The cause built last time from the same members, roots and images (sorted); undefined when any differs. */
  reuse(
    id: string,
    members: readonly CauseFinding[],
    roots: number,
    images: readonly string[],
  ): Cause | undefined {
    const b = this.built.get(id);
    if (b === undefined || b.roots !== roots) return undefined;
    if (
      Array.isArray(b.members)
        ? !sameItems(b.members, members)
        : members.length !== 1 || members[0] !== b.members
    )
      return undefined;
    if (!sameItems(b.cause.affects.images, images)) return undefined;
    b.call = this.call;
    return b.cause;
  }

  remember(id: string, members: readonly CauseFinding[], roots: number, cause: Cause): void {
    // A copy of the exact length: a list grown by push keeps room for 17.
    const kept = members.length === 1 ? members[0]! : members.slice();
    this.built.set(id, { members: kept, roots, cause, call: this.call });
  }

  /** Ends a call that grouped `findings` and `failures` into `causes`: what it did not use is forgotten. */
  done(findings: readonly CauseFinding[], failures: readonly ImageFailure[], causes: readonly Cause[]): void {
    const call = this.call++;
    this.built.forEach((b, id) => {
      if (b.call !== call) this.built.delete(id);
    });
    this.keep(causes, this.next);
    this.held = undefined;
    this.previous = emptyKept();
    this.next = emptyKept();
    this.from = new Int32Array(0);
    this.last = { findings, failures };
  }

  /** The causes of the last call when it had the same findings (the same list) and failures, if they live. */
  lastCauses(findings: readonly CauseFinding[], failures: readonly ImageFailure[]): readonly Cause[] | null {
    const last = this.last;
    if (last === null || last.findings !== findings || last.failures.length !== failures.length) return null;
    for (let i = 0; i < failures.length; i++) {
      const a = last.failures[i]!;
      const b = failures[i]!;
      if (a.image !== b.image || a.node !== b.node || !sameItems(a.keys, b.keys)) return null;
    }
    return this.lastList() ?? null;
  }

  /** A cause of the last call now reads `updated` (its pods moved; the id is its group's). */
  replace(updated: Cause): Cause {
    const b = this.built.get(updated.id);
    if (b !== undefined) this.built.set(updated.id, { ...b, cause: updated });
    return updated;
  }

  /** The last call's causes in impact order, their pods brought up to date (`lastCauses` gave them). */
  updated(causes: readonly Cause[], compare: (a: Cause, b: Cause) => number): readonly Cause[] {
    const kept = this.keptNow()!;
    const ordered = kept.order.sort(causes, compare);
    this.keep(ordered, kept);
    this.held = undefined;
    return ordered;
  }
}

/**
 * What goes with the causes a call returned: the cause of each finding that was a group of its own
 * alone (by the finding's place in the call's findings), and their order.
 */
interface Kept {
  readonly own: (Cause | undefined)[];
  readonly order: SortedReuse<Cause>;
}

function emptyKept(): Kept {
  return { own: [], order: new SortedReuse() };
}
