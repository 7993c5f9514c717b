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

/** A cause as built last time from exactly these members (pods aside: the pods move on their own). */
interface Built {
  readonly members: readonly Placed[];
  readonly roots: number;
  readonly cause: Cause;
}

/** Texts many findings repeat (`network|mirror.corp:5000`): kept once, not once per finding. */
const MAX_SHARED_TEXTS = 100_000;

export class CauseMemo {
  private readonly placed = new WeakMap<CauseFinding, Placed>();
  private texts = new Map<string, string>();
  private built = new Map<string, Built>();
  private next = new Map<string, Built>();
  private last: {
    readonly findings: readonly CauseFinding[];
    readonly failures: readonly ImageFailure[];
    readonly causes: readonly Cause[];
  } | null = null;
  /** The causes in impact order (most stay from one call to the next). */
  readonly order = new SortedReuse<Cause>();

  placement(f: CauseFinding, place: (f: CauseFinding, share: (text: string) => string) => Placed): Placed {
    let p = this.placed.get(f);
    if (p === undefined) this.placed.set(f, (p = place(f, this.shared)));
    return p;
  }

  private readonly shared = (text: string): string => {
    const known = this.texts.get(text);
    if (known !== undefined) return known;
    // Starting afresh only loses sharing for what comes next.
    if (this.texts.size >= MAX_SHARED_TEXTS) this.texts = new Map();
    this.texts.set(text, text);
    return text;
  };

  /** The cause built last time from the same members, roots and images; undefined when any differs. */
  reuse(
    id: string,
    members: readonly Placed[],
    roots: number,
    images: ReadonlySet<string>,
  ): Cause | undefined {
    const b = this.built.get(id);
    if (b === undefined || b.roots !== roots || !same(b.members, members)) return undefined;
    const had = b.cause.affects.images;
    if (had.length !== images.size || !had.every((i) => images.has(i))) return undefined;
    this.next.set(id, b);
    return b.cause;
  }

  remember(id: string, members: readonly Placed[], roots: number, cause: Cause): void {
    // A copy of the exact length: a list grown by push keeps room for 17.
    this.next.set(id, { members: members.slice(), roots, cause });
  }

  /** Ends a call that grouped `findings` and `failures` into `causes`: what it did not use is forgotten. */
  done(findings: readonly CauseFinding[], failures: readonly ImageFailure[], causes: readonly Cause[]): void {
    this.built = this.next;
    this.next = new Map();
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
