// Where a finding goes among causes: its role, its cause kind, the host it is about and the group it
// founds or joins. A function of the finding alone, so it can be worked out whenever the finding is
// at hand: causesOf works it out for the findings it is given, and the collector's witness index
// does it as each one-node finding arrives (300,000 at 15,000 agents), carrying the answer on the
// problem it makes then, so that a report build from nothing does not place them all at once.
import type { FindingId } from '../findings/catalogue.js';
import { Locations } from './evidence.js';
import { causeKindOf, kindFamily } from './finding-kinds.js';
import { hostInText, hostnameOf, hostScope } from './hosts.js';
import { CAUSE_KINDS, type CauseKind } from './kinds.js';
import type { CauseFinding } from './types.js';

/**
 * Where a finding goes, apart from the finding itself: its cause kind, the host it is about and the
 * group it founds or joins. One object for every finding placed alike.
 */
export interface Placement {
  /** Roots found causes; aggregates join a root cause on their host; consequences what explains them. */
  readonly role: 'root' | 'aggregate' | 'consequence';
  readonly kind: CauseKind;
  readonly host: string | null;
  /**
   * The group of a root finding (`kind:subject`) and its subject; both null for a group of the
   * finding's own (named after its key, `kind:key`: nothing to share).
   */
  readonly subject: string | null;
  readonly groupId: string | null;
  /** family|host of the kind: where aggregates and consequences on the same host join. */
  readonly familyHost: string | null;
}

/** A placement's own parts, which decide the rest. */
type Where = Pick<Placement, 'role' | 'kind' | 'host' | 'subject'>;

/** `a`, `separator`, `b` as one text (a table gives one copy of the texts many findings repeat). */
type JoinText = (a: string, separator: ':' | '|', b: string) => string;

/** Aggregates of what the agents saw: they join a cause about the same host. */
const AGGREGATES: ReadonlySet<string> = new Set<FindingId>([
  'mirror-unreachable-from-nodes',
  'mirror-auth-failing',
  'mirror-tls-failing',
]);

function isConsequence(id: string): boolean {
  return id === 'image-pull-fails' || id === 'source-blocked-no-working-mirror' || id.startsWith('pull-');
}

function hostOf(f: CauseFinding): string | null {
  return f.host ?? hostScope(f.scope) ?? hostInText(f.message);
}

function subjectOf(f: CauseFinding, kind: CauseKind, host: string | null, locations: Locations): string {
  switch (CAUSE_KINDS[kind].subject) {
    case 'hostname':
      if (host !== null) return hostnameOf(host);
      break;
    case 'host':
      if (host !== null) return host;
      break;
    case 'location':
    case 'scope': {
      if (CAUSE_KINDS[kind].subject === 'location' && f.file) return locations.of(f)!.at;
      const scope = f.scope ?? host ?? f.image;
      if (scope) return scope;
      break;
    }
    case 'finding':
      break;
  }
  return f.key;
}

/** Where `f` goes, in short. */
function whereOf(f: CauseFinding, locations: Locations): Where {
  const kind = causeKindOf(f);
  const host = hostOf(f);
  const subject = subjectOf(f, kind, host, locations);
  return {
    role: AGGREGATES.has(f.id) ? 'aggregate' : isConsequence(f.id) ? 'consequence' : 'root',
    kind,
    host,
    // A group named after the finding's own key is that finding's alone: nothing to share.
    subject: subject === f.key ? null : subject,
  };
}

/** Where a finding goes, in full: the ids of its group and of its family on its host. */
function completed(w: Where, join: JoinText): Placement {
  let familyHost: string | null = null;
  if (w.host !== null) {
    const family = kindFamily(w.kind);
    familyHost = join(family, '|', family === 'network' ? hostnameOf(w.host) : w.host);
  }
  return { ...w, groupId: w.subject === null ? null : join(w.kind, ':', w.subject), familyHost };
}

const plainJoin: JoinText = (a, separator, b) => a + separator + b;

/** Where `f` goes, made afresh (a build without a memo). */
export function placementOf(f: CauseFinding, locations: Locations): Placement {
  return completed(whereOf(f, locations), plainJoin);
}

/** Placements (and joined texts) this many and more start afresh, losing only the sharing of what comes next. */
const MAX_SHARED = 100_000;

/** Placements by their parts: role, kind, host, subject (null: the finding's own group). */
type ByParts = Map<string, Map<CauseKind, Map<string | null, Map<string | null, Placement>>>>;

/** One placement object for every finding placed alike, and one copy of each joined text. */
export class PlacementTable {
  private shared: ByParts = new Map();
  private sharedCount = 0;
  /** Joined texts by their separator, their first part, then their second part. */
  private readonly texts = new Map<string, Map<string, Map<string, string>>>();
  private textCount = 0;

  /** `locations`: the texts of places in files (the caller's, shared with what else it names). */
  constructor(private readonly locations: Locations = new Locations()) {}

  /** Where `f` goes: the shared object (made in full the first time). */
  place(f: CauseFinding): Placement {
    const w = whereOf(f, this.locations);
    if (this.sharedCount >= MAX_SHARED) {
      this.shared = new Map();
      this.sharedCount = 0;
    }
    let byKind = this.shared.get(w.role);
    if (byKind === undefined) this.shared.set(w.role, (byKind = new Map()));
    let byHost = byKind.get(w.kind);
    if (byHost === undefined) byKind.set(w.kind, (byHost = new Map()));
    let bySubject = byHost.get(w.host);
    if (bySubject === undefined) byHost.set(w.host, (bySubject = new Map()));
    let p = bySubject.get(w.subject);
    if (p === undefined) {
      bySubject.set(w.subject, (p = completed(w, this.join)));
      this.sharedCount++;
    }
    return p;
  }

  /** One copy of each joined text, found from its parts: no text is built to look it up. */
  private readonly join: JoinText = (a, separator, b) => {
    let byFirst = this.texts.get(separator);
    if (byFirst === undefined) this.texts.set(separator, (byFirst = new Map()));
    let bySecond = byFirst.get(a);
    const known = bySecond?.get(b);
    if (known !== undefined) return known;
    if (this.textCount >= MAX_SHARED) {
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
}

/**
 * The property under which a problem carries its placement, worked out when the problem was made. A
 * symbol: JSON.stringify, Object.keys and the report's comparisons do not see it, so the report and
 * its JSON are what they would be without it.
 */
export const PLACEMENT: unique symbol = Symbol('placement');

/** The placement `f` carries, if whoever made it worked that out. */
export function placementCarried(f: CauseFinding): Placement | undefined {
  return (f as { readonly [PLACEMENT]?: Placement })[PLACEMENT];
}
