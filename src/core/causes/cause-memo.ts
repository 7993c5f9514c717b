// What one causesOf call may reuse from the previous one over (mostly) the same findings: where each
// finding goes (kind, host, group), and each cause whose findings are the very same objects as last
// time. A report rebuilt every few seconds over 300,000 problems, most of them unchanged, then pays
// for what changed. The caller owns the memo and passes the same `node` and `place` every time.
import { SortedReuse } from '../sorted-reuse.js';
import type { CauseKind } from './kinds.js';
import type { Cause, CauseFinding, ImageFailure } from './types.js';

/** Where a finding goes: its cause kind, the host it is about, and the group it founds or joins. */
export interface Placed {
  readonly finding: CauseFinding;
  /** Roots found causes; aggregates join a root cause on their host; consequences what explains them. */
  readonly role: 'root' | 'aggregate' | 'consequence';
  readonly kind: CauseKind;
  /** The kind the catalogue gives the finding's id: a finding of the cause's own kind words it. */
  readonly catalogueKind: CauseKind | undefined;
  readonly host: string | null;
  /** The group of a root finding (`kind:subject`) and its subject. */
  readonly subject: string;
  readonly groupId: string;
  /** family|host of the kind: where aggregates and consequences on the same host join. */
  readonly familyHost: string | null;
}

/** `a`, `separator`, `b` as one text (a memo gives one copy of the texts many findings repeat). */
export type JoinText = (a: string, separator: ':' | '|', b: string) => string;

/** A cause as built last time from exactly these members (pods aside: the pods move on their own). */
interface Built {
  /** One member as it is (most causes of a large cluster have one), else a list. */
  readonly members: Placed | readonly Placed[];
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
  private readonly placed = new WeakMap<CauseFinding, Placed>();
  /** Joined texts by their separator, their first part, then their second part. */
  private readonly texts = new Map<string, Map<string, Map<string, string>>>();
  private textCount = 0;
  /** By cause id; one map kept from call to call (90,000 causes are not inserted again each call). */
  private readonly built = new Map<string, Built>();
  private call = 1;
  private last: {
    readonly findings: readonly CauseFinding[];
    readonly failures: readonly ImageFailure[];
    readonly causes: readonly Cause[];
  } | null = null;
  /** The causes in impact order (most stay from one call to the next). */
  readonly order = new SortedReuse<Cause>();
  private readonly lists = new Repeated<readonly string[]>((value) => Object.freeze([value]));
  private readonly headlines = new Map<CauseKind, Repeated<string>>();

  /** `[value]`, shared. */
  readonly one = (value: string): readonly string[] => this.lists.get(value);

  /** The headline of a cause of `kind` about `subject`, shared. */
  headline(kind: CauseKind, subject: string, make: (subject: string) => string): string {
    let byKind = this.headlines.get(kind);
    if (byKind === undefined) this.headlines.set(kind, (byKind = new Repeated(make)));
    return byKind.get(subject);
  }

  placement(f: CauseFinding, place: (f: CauseFinding, join: JoinText) => Placed): Placed {
    let p = this.placed.get(f);
    if (p === undefined) this.placed.set(f, (p = place(f, this.join)));
    return p;
  }

  /** One copy of each joined text, found from its parts: no text is built to look it up. */
  private readonly join: JoinText = (a, separator, b) => {
    let byFirst = this.texts.get(separator);
    if (byFirst === undefined) this.texts.set(separator, (byFirst = new Map()));
    let bySecond = byFirst.get(a);
    const known = bySecond?.get(b);
    if (known !== undefined) return known;
    // Starting afresh only loses sharing for what comes next.
    if (this.textCount >= MAX_SHARED_TEXTS) {
      this.texts.clear();
      this.texts.set(separator, (byFirst = new Map()));
      bySecond = undefined;
      this.textCount = 0;
    }
    if (bySecond === undefined) byFirst.set(a, (bySecond = new Map()));
    const text = a + separator + b;
    bySecond.set(b, text);
    this.textCount++;
    return text;
  };

  /** The cause built last time from the same members, roots and images (sorted); undefined when any differs. */
  reuse(id: string, members: readonly Placed[], roots: number, images: readonly string[]): Cause | undefined {
    const b = this.built.get(id);
    if (b === undefined || b.roots !== roots) return undefined;
    if (
      Array.isArray(b.members) ? !same(b.members, members) : members.length !== 1 || members[0] !== b.members
    )
      return undefined;
    if (!same(b.cause.affects.images, images)) return undefined;
    b.call = this.call;
    return b.cause;
  }

  remember(id: string, members: readonly Placed[], roots: number, cause: Cause): void {
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
    this.last = { findings, failures, causes };
  }

  /** The causes of the last call when it had the same findings (the same list) and failures. */
  lastCauses(findings: readonly CauseFinding[], failures: readonly ImageFailure[]): readonly Cause[] | null {
    const last = this.last;
    if (last === null || last.findings !== findings || last.failures.length !== failures.length) return null;
    for (let i = 0; i < failures.length; i++) {
      const a = last.failures[i]!;
      const b = failures[i]!;
      if (a.image !== b.image || a.node !== b.node || !same(a.keys, b.keys)) return null;
    }
    return last.causes;
  }

  /** A cause of the last call now reads `updated` (its pods moved; the id is its group's). */
  replace(updated: Cause): Cause {
    const b = this.built.get(updated.id);
    if (b !== undefined) this.built.set(updated.id, { ...b, cause: updated });
    return updated;
  }

  /** The last call's causes, their pods brought up to date. */
  updated(causes: readonly Cause[]): readonly Cause[] {
    if (this.last !== null) this.last = { ...this.last, causes };
    return causes;
  }
}

function same<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
