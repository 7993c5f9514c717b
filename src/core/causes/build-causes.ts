// Findings → causes, along the causal chain:
//  1. Findings about a root problem (a host that does not resolve, a missing CA, a typo at a line)
//     group by their kind and subject, across nodes: a missing CA on three nodes is one cause.
//  2. Aggregates ("3 nodes cannot reach host") join the cause of the same family on the same host.
//  3. Consequences join the cause that explains them. A kubelet pull failure names its source: it
//     joins the cause of the same family on that host, or stands for one. An image that cannot be
//     pulled (or a blocked source without a working mirror) joins a cause about the host its error
//     names, else the first root finding of the image's failure in the order CRI-O tried the
//     sources, else a cause about the same image. Only what nothing explains stands alone.
// Causes are ordered by impact: severity, then pods affected, then nodes, then findings.
import { SEVERITY_RANK, type Severity } from '../findings/types.js';
import type { CauseMemo } from './cause-memo.js';
import { causeCommands, type CommandPlace } from './commands.js';
import { EvidenceTally, Locations, MAX_QUOTED_CHARS, ownEvidence, quoted } from './evidence.js';
import { FINDING_CAUSE_KINDS } from './finding-kinds.js';
import { byImpact, ImpactOrder } from './impact-order.js';
import { CAUSE_KINDS, type CauseKind } from './kinds.js';
import { placementCarried, placementOf, type Placement } from './placement.js';
import { indexInSorted } from '../sorted-index.js';
import { keepsSeverityThenKey, severityThenKeyFromReportOrder } from './report-order.js';
import type { Cause, CauseFinding, CauseInput, ImageFailure } from './types.js';

interface Group {
  readonly kind: CauseKind;
  readonly subject: string;
  /** `kind:subject`; null for a group of one finding's own (named after its key when it becomes a cause). */
  readonly id: string | null;
  readonly host: string | null;
  /** Root findings first (they word the cause), then what joined. */
  readonly members: CauseFinding[];
  /** How many of `members` are root findings (they come first). */
  roots: number;
  /** Where the last root finding to join is in the input; -1 once one joined out of the input's order. */
  lastRoot: number;
  /**
   * The last root of the cause's own kind to join (null: none yet), whether those roots came most
   * severe first and then by key, and how many roots are of another kind: found out as each joins,
   * while it is at hand, so that primaryFirst need not walk thousands of members to tell them apart.
   */
  lastDirect: CauseFinding | null;
  directInOrder: boolean;
  otherRoots: number;
  /** The images of its findings: none, one (most causes), or a set. */
  images: null | string | Set<string>;
  /** The hosts its findings are about, the same way. */
  mirrors: null | string | Set<string>;
  /** The most severe of its findings. */
  severity: Severity;
  /** The longest witness list of its findings (a class's, where one joined: it usually holds the others). */
  longest: readonly string[];
  /** Where the finding that founded it is in the input. */
  readonly at: number;
}

/** Adds `value` to a field that holds none, one or a set of texts. */
function withText(values: null | string | Set<string>, value: string): string | Set<string> {
  if (values === null) return value;
  if (typeof values === 'string') return values === value ? values : new Set([values, value]);
  return values.add(value);
}

function addImage(g: Group, image: string): void {
  g.images = withText(g.images, image);
}

function hasImage(g: Group, image: string): boolean {
  return g.images === image || (g.images instanceof Set && g.images.has(image));
}

/** Texts held as none, one or a set, sorted (`one` makes the list of one). */
function listOf(values: null | string | Set<string>, one: OneList): readonly string[] {
  if (values === null) return [];
  if (typeof values === 'string') return one(values);
  return sorted(values);
}

/** The group's images, sorted. */
function imagesOf(g: Group, one: OneList): readonly string[] {
  return listOf(g.images, one);
}

/** What the headline names for a cause grouped by finding key. */
function displaySubject(kind: CauseKind, subject: string, first: CauseFinding, locations: Locations): string {
  if (CAUSE_KINDS[kind].subject !== 'finding' || subject !== first.key) return subject;
  const location = locations.of(first);
  if (location !== null) return location.at;
  const nodes = first.node ?? (first.nodes?.length ? first.nodes.slice(0, 3).join(', ') : undefined);
  return first.image ?? first.scope ?? first.host ?? nodes ?? first.id;
}

function nodesOf(f: CauseFinding, fallback: string | null): readonly string[] {
  if (f.nodes !== undefined) return f.nodes;
  if (f.node !== undefined) return [f.node];
  return fallback === null ? [] : [fallback];
}

function bySeverityThenKey(a: CauseFinding, b: CauseFinding): number {
  return SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || (a.key < b.key ? -1 : 1);
}

/** `list` most severe first, then by key: as it is (`inOrder`), merged from the report's order, or sorted. */
function severityThenKey(list: CauseFinding[], inOrder: boolean, fromReport: boolean): CauseFinding[] {
  if (inOrder) return list;
  return fromReport ? severityThenKeyFromReportOrder(list) : list.sort(bySeverityThenKey);
}

/**
 * The members of `g` with the finding that words it first: root findings whose id is of the cause's
 * kind, then the other roots, each most severe first; then what joined, as it joined.
 * `reportOrder`: the input is in the report's order (CauseInput), so are roots that joined in it.
 */
function primaryFirst(g: Group, reportOrder: boolean): readonly CauseFinding[] {
  const fromReport = reportOrder && g.lastRoot !== -1;
  // Whether the roots are all of the cause's kind, and in order, was found out as each joined: a
  // class-wide cause's thousands of findings (scattered over the heap: each pass costs) are not
  // walked again to tell.
  const directInOrder = fromReport && g.directInOrder;
  if (g.otherRoots === 0 && directInOrder) return g.members;
  let direct: CauseFinding[];
  const other: CauseFinding[] = [];
  let otherInOrder = fromReport;
  if (g.otherRoots === 0) direct = g.members.slice(0, g.roots);
  else {
    direct = [];
    for (let i = 0; i < g.roots; i++) {
      const f = g.members[i]!;
      if (FINDING_CAUSE_KINDS[f.id] === g.kind) direct.push(f);
      else {
        if (otherInOrder && other.length > 0)
          otherInOrder = keepsSeverityThenKey(other[other.length - 1]!, f);
        other.push(f);
      }
    }
  }
  const members = severityThenKey(direct, directInOrder, fromReport);
  const others = severityThenKey(other, otherInOrder, fromReport);
  for (let i = 0; i < others.length; i++) members.push(others[i]!);
  for (let i = g.roots; i < g.members.length; i++) members.push(g.members[i]!);
  return members;
}

/** The cause of the first root finding that explains a failure of `image`, in source order. */
function explaining(
  image: string | null,
  failuresByImage: ReadonlyMap<string, readonly ImageFailure[]>,
  rootKeys: ReadonlySet<string>,
  byKey: ReadonlyMap<string, Group>,
): Group | undefined {
  for (const failure of image === null ? [] : (failuresByImage.get(image) ?? [])) {
    const key = failure.keys.find((k) => rootKeys.has(k));
    if (key !== undefined) return byKey.get(key);
  }
  return undefined;
}

/** The first node that `members` from `from` on name (what joined a cause). */
function failingNode(members: readonly CauseFinding[], from: number): string | undefined {
  for (let i = from; i < members.length; i++) {
    const finding = members[i]!;
    const n = finding.node ?? [...(finding.nodes ?? [])].sort()[0];
    if (n !== undefined) return n;
  }
  return undefined;
}

function sorted(values: Iterable<string>): string[] {
  return [...values].sort();
}

/** Strictly increasing: distinct and sorted already (witness lists usually are). */
/** Witness lists of the store are frozen: whether one is a sorted set is found out once. */
const SORTED_SETS = new WeakMap<readonly string[], boolean>();

/** `isSortedSet`, remembered for a frozen list (the class list many causes of a large cluster share). */
function sortedSet(values: readonly string[]): boolean {
  if (values.length < 2 || !Object.isFrozen(values)) return isSortedSet(values);
  let known = SORTED_SETS.get(values);
  if (known === undefined) SORTED_SETS.set(values, (known = isSortedSet(values)));
  return known;
}

function isSortedSet(values: readonly string[]): boolean {
  for (let i = 1; i < values.length; i++) if (values[i - 1]! >= values[i]!) return false;
  return true;
}

/** Binary search in a sorted list. */
function includes(sortedValues: readonly string[], value: string): boolean {
  return indexInSorted(sortedValues, value) !== -1;
}

/**
 * `indexInSorted`, looking first at `near` and the place after it: the one-node findings that join a
 * class's cause come in key order, which is mostly the order of their nodes.
 */
function indexNear(sortedValues: readonly string[], value: string, near: number): number {
  if (sortedValues[near] === value) return near;
  if (sortedValues[near + 1] === value) return near + 1;
  return indexInSorted(sortedValues, value);
}

function mergeSorted(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length)
    if (a[i]! < b[j]!) out.push(a[i++]!);
    else if (a[i]! > b[j]!) out.push(b[j++]!);
    else {
      out.push(a[i++]!);
      j++;
    }
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}

/** `values` (sorted) holds every item of each list of `others`. */
function holdsAll(values: readonly string[], others: readonly (readonly string[])[]): boolean {
  for (let i = 0; i < others.length; i++) {
    const list = others[i]!;
    if (list !== values) for (let j = 0; j < list.length; j++) if (!includes(values, list[j]!)) return false;
  }
  return true;
}

/** The distinct names of all lists, sorted; linear when each list is (witness lists usually are). */
function union(lists: ReadonlySet<readonly string[]>): readonly string[] {
  const all = [...lists].filter((l) => l.length > 0);
  if (all.length === 0) return [];
  // A cause spanning a class of nodes: the class's list holds the witnesses of everything that joined
  // it (thousands of one-node lists), found by binary search, not by merging them all.
  let longest = all[0]!;
  for (const l of all) if (l.length > longest.length) longest = l;
  if (all.length > 4 && isSortedSet(longest) && holdsAll(longest, all)) return longest;
  // Pairwise merges are linear for a few long lists (classes of nodes), not for many short ones.
  if (all.length > 4 || !all.every(isSortedSet)) return sorted(new Set(all.flat()));
  if (all.length === 1) return all[0]!;
  let merged = all[0]!;
  for (let k = 1; k < all.length; k++) merged = mergeSorted(merged, all[k]!);
  return merged;
}

/**
 * The causes of `input.findings`, most important first. With a memo (the same `node` and `place` on
 * every call), what did not change since the previous call is reused rather than built again.
 */
export function causesOf(input: CauseInput): Cause[];
export function causesOf(input: CauseInput, memo: CauseMemo | null): readonly Cause[];
export function causesOf(input: CauseInput, memo: CauseMemo | null = null): readonly Cause[] {
  if (memo !== null) {
    // The same findings and failures as last time: the same causes, but for the pods they affect.
    const last = memo.lastCauses(input.findings, input.failures ?? []);
    if (last !== null) return memo.updated(withPods(last, input, memo), byImpact);
  }
  const node = input.node ?? null;
  const findings = input.findings;
  const locations = memo?.locations ?? new Locations();
  // In the order they were founded (a consequence joins the first one with its image). A group of one
  // finding's own that nothing can join is its finding's place in the list, made into a group only
  // as it becomes a cause: 90,000 groups of a large cluster are not kept until the end.
  const groups: (Group | number)[] = [];
  const groupAt = (at: number): Group => {
    const f = findings[at]!;
    const p = placed[at]!;
    return founding(f, p, at, f.key, node);
  };
  // By kind, then subject (a group of one finding's own: its key), as `kind:subject` would key them —
  // without building that id for the 90,000 groups of one finding each of a large cluster.
  const byKind = new Map<CauseKind, Map<string, Group>>();
  const byFamilyHost = new Map<string, Group>();
  // The group of each finding key that an image failure names (the only keys ever looked up).
  const byKey = new Map<string, Group>();
  const failureKeys = new Set<string>();
  for (const failure of input.failures ?? []) for (const key of failure.keys) failureKeys.add(key);
  // Whether a failure names `f`'s key: by the finding itself where the caller gave them.
  const failureFindings = input.reportOrder === true ? input.failureFindings : undefined;
  const named = (f: CauseFinding): boolean =>
    failureFindings === undefined ? failureKeys.has(f.key) : failureFindings.has(f);
  // Subjects of shared groups, by kind, when every finding has a key of its own: a group named after
  // a key is then looked up only when a shared group has that key for subject.
  let sharedSubjects: Map<CauseKind, Set<string>> | null = null;
  // Founds the group of `f` (a root), or joins it.
  const add = (f: CauseFinding, p: Placement, at: number): void => {
    const subject = p.subject ?? f.key;
    const alone =
      p.subject === null && sharedSubjects !== null && sharedSubjects.get(p.kind)?.has(subject) !== true;
    if (alone) {
      const joinable = (p.familyHost !== null && !byFamilyHost.has(p.familyHost)) || named(f);
      if (!joinable) {
        groups.push(at);
        return;
      }
    }
    let bySubject = alone ? undefined : byKind.get(p.kind);
    if (bySubject === undefined && !alone) byKind.set(p.kind, (bySubject = new Map()));
    const g = bySubject?.get(subject);
    if (g !== undefined) {
      join(g, f, p, at);
      return;
    }
    const founded = founding(f, p, at, subject, node);
    groups.push(founded);
    bySubject?.set(subject, founded);
    if (p.familyHost !== null && !byFamilyHost.has(p.familyHost)) byFamilyHost.set(p.familyHost, founded);
    if (named(f)) byKey.set(f.key, founded);
  };
  // `rootAt`: where `f` is in the input, when it joins as a root (null: it joins what it is explained by).
  const join = (g: Group, f: CauseFinding, p: Placement, rootAt: number | null): void => {
    if (rootAt !== null) {
      if (g.roots === g.members.length) g.members.push(f);
      else g.members.splice(g.roots, 0, f);
      g.roots++;
      g.lastRoot = g.lastRoot !== -1 && rootAt > g.lastRoot ? rootAt : -1;
      if (FINDING_CAUSE_KINDS[f.id] === g.kind) {
        if (g.directInOrder && g.lastDirect !== null) g.directInOrder = keepsSeverityThenKey(g.lastDirect, f);
        g.lastDirect = f;
      } else g.otherRoots++;
    } else g.members.push(f);
    if (f.image) addImage(g, f.image);
    if (p.host !== null) g.mirrors = withText(g.mirrors, p.host);
    if (SEVERITY_RANK[f.severity] < SEVERITY_RANK[g.severity]) g.severity = f.severity;
    const list = nodesOf(f, node);
    if (list.length > g.longest.length) g.longest = list;
    if (named(f)) byKey.set(f.key, g);
  };

  const placed =
    memo === null
      ? findings.map((f) => placementCarried(f) ?? placementOf(f, locations))
      : memo.placements(findings);
  if (input.reportOrder === true) {
    sharedSubjects = new Map();
    for (let i = 0; i < placed.length; i++) {
      const p = placed[i]!;
      if (p.subject === null || (i > 0 && placed[i - 1] === p)) continue;
      let subjects = sharedSubjects.get(p.kind);
      if (subjects === undefined) sharedSubjects.set(p.kind, (subjects = new Set()));
      subjects.add(p.subject);
    }
  }
  const aggregates: number[] = [];
  const consequences: number[] = [];
  for (let i = 0; i < placed.length; i++) {
    const p = placed[i]!;
    if (p.role === 'aggregate') aggregates.push(i);
    else if (p.role === 'consequence') consequences.push(i);
    else add(findings[i]!, p, i);
  }
  for (const i of aggregates) {
    const p = placed[i]!;
    const g = p.familyHost === null ? undefined : byFamilyHost.get(p.familyHost);
    if (g !== undefined) join(g, findings[i]!, p, null);
    else add(findings[i]!, p, i);
  }

  // Which root causes explain each image's failure, in source order.
  const rootKeys = new Set(byKey.keys());
  const failuresByImage = new Map<string, ImageFailure[]>();
  for (const failure of input.failures ?? []) {
    const list = failuresByImage.get(failure.image);
    if (list === undefined) failuresByImage.set(failure.image, [failure]);
    else list.push(failure);
    for (const key of failure.keys) if (rootKeys.has(key)) addImage(byKey.get(key)!, failure.image);
  }
  // The first root group with `image` (a group of one finding's own is made where it is one).
  const roots = groups.length;
  const firstWithImage = (image: string): Group | undefined => {
    for (let k = 0; k < roots; k++) {
      const g = groups[k]!;
      if (typeof g !== 'number') {
        if (hasImage(g, image)) return g;
      } else if (findings[g]!.image === image) return (groups[k] = groupAt(g));
    }
    return undefined;
  };
  for (const i of consequences) {
    const p = placed[i]!;
    const f = findings[i]!;
    const sameHost = p.familyHost === null ? undefined : byFamilyHost.get(p.familyHost);
    // A kubelet event names the source it is about: it joins a cause about that host, or stands for
    // one. The agent's own consequences are linked to what explains them.
    let target: Group | undefined = sameHost;
    if (target === undefined && (p.host === null || !f.id.startsWith('pull-')))
      target =
        explaining(f.image ?? null, failuresByImage, rootKeys, byKey) ??
        (f.image ? firstWithImage(f.image) : undefined);
    if (target !== undefined) join(target, f, p, null);
    else add(f, p, i);
  }

  const made: Making = { node, input, place: input.place ?? { kind: 'cluster' }, memo, locations };
  const impact = new ImpactOrder(groups.length);
  if (memo === null) {
    for (const g of groups)
      if (typeof g === 'number') impact.add(ownCause(findings[g]!, placed[g]!, made), findings[g]!.key);
      else impact.add(toCause(g, made), g.subject);
    return impact.sorted();
  }
  for (let k = 0; k < groups.length; k++) {
    const entry = groups[k]!;
    if (typeof entry === 'number') {
      // A group of its finding alone: the last call's cause of the finding, else made now.
      const image = findings[entry]!.image;
      const reused = memo.reuseOwn(entry, image ? memo.one(image) : NO_IMAGES);
      const cause =
        reused === undefined ? ownCause(findings[entry]!, placed[entry]!, made) : withPodsOf(reused, input);
      memo.rememberOwn(entry, cause);
      impact.add(cause, findings[entry]!.key);
      continue;
    }
    const g = entry;
    const images = imagesOf(g, memo.one);
    // A group of one finding's own alone (most causes of a large cluster): found by the finding's place.
    const alone = g.id === null && g.members.length === 1;
    const reused = alone
      ? memo.reuseOwn(g.at, images)
      : memo.reuse(g.id ?? ownId(g.kind, g.subject), g.members, g.roots, images);
    const cause = reused === undefined ? toCause(g, made) : withPodsOf(reused, input);
    if (alone) memo.rememberOwn(g.at, cause);
    else if (cause !== reused) memo.remember(cause.id, g.members, g.roots, cause);
    impact.add(cause, g.subject);
  }
  const causes = impact.added();
  const ordered = memo.sort(causes, byImpact, (added) =>
    added === causes ? impact.sorted() : added.slice().sort(byImpact),
  );
  memo.done(findings, input.failures ?? [], ordered);
  return ordered;
}

/** The group `f` founds. */
function founding(f: CauseFinding, p: Placement, at: number, subject: string, node: string | null): Group {
  // Most groups keep their one finding: a list of one, not one with room for 17.
  const direct = FINDING_CAUSE_KINDS[f.id] === p.kind;
  return {
    kind: p.kind,
    subject,
    id: p.groupId,
    host: p.host,
    members: [f],
    roots: 1,
    lastRoot: at,
    lastDirect: direct ? f : null,
    directInOrder: true,
    otherRoots: direct ? 0 : 1,
    images: f.image ? f.image : null,
    mirrors: p.host,
    severity: f.severity,
    longest: nodesOf(f, node),
    at,
  };
}

const NO_IMAGES: readonly string[] = Object.freeze([]);

/** `kind:` of each kind, made once. */
const ID_PREFIXES = new Map<string, string>(Object.keys(CAUSE_KINDS).map((k) => [k, `${k}:`]));

/** The id of a group of one finding's own: `kind:key`. */
function ownId(kind: CauseKind, key: string): string {
  return (ID_PREFIXES.get(kind) ?? `${kind}:`) + key;
}

/** `cause` with its pod count brought up to date (the same object when it did not move). */
function withPodsOf(cause: Cause, input: CauseInput): Cause {
  const pods = podsOf(input, cause.affects.images, cause.affects.nodes);
  return pods === cause.affects.pods ? cause : { ...cause, affects: { ...cause.affects, pods } };
}

/** `causes` with their pod counts brought up to date (the same objects where they did not move). */
function withPods(causes: readonly Cause[], input: CauseInput, memo: CauseMemo): readonly Cause[] {
  let changed: Cause[] | null = null;
  causes.forEach((c, i) => {
    const pods = podsOf(input, c.affects.images, c.affects.nodes);
    if (pods === c.affects.pods) return;
    changed ??= [...causes];
    changed[i] = memo.replace({ ...c, affects: { ...c.affects, pods } });
  });
  return changed ?? causes;
}

/** Pods that use one of `images` on one of `nodeList` (sorted; empty: anywhere). */
function podsOf(input: CauseInput, images: readonly string[], nodeList: readonly string[]): number {
  let pods = 0;
  if (input.podsOn !== undefined) {
    // From the pods' side: a cause can span 15,000 nodes, an image runs on a few of them.
    for (let k = 0; k < images.length; k++) {
      const image = images[k]!;
      if (nodeList.length === 0) {
        pods += input.pods?.(image, null) ?? 0;
        continue;
      }
      // Whichever side is shorter: a cause of one node asks that node, not the image's 750 nodes.
      const on = input.podsOn(image);
      // No pod uses the image (most causes of one node's own finding): nothing to walk.
      if (on.size === 0) continue;
      if (nodeList.length < on.size)
        for (let i = 0; i < nodeList.length; i++) pods += on.get(nodeList[i]!) ?? 0;
      else pods += podsOnListed(on, nodeList);
    }
  } else if (input.pods !== undefined)
    for (const image of images)
      if (nodeList.length === 0) pods += input.pods(image, null);
      else for (const n of nodeList) pods += input.pods(image, n);
  return pods;
}

/**
 * Pods of `on` on the nodes of `nodeList` (sorted). Its own function: a closure over podsOf's count
 * would make every call of podsOf (90,000 a build) allocate a context for it.
 */
function podsOnListed(on: ReadonlyMap<string, number>, nodeList: readonly string[]): number {
  let pods = 0;
  on.forEach((count, n) => {
    if (includes(nodeList, n)) pods += count;
  });
  return pods;
}

/** `[value]`: shared by a memo, else a new list. */
type OneList = (value: string) => readonly string[];

const newList: OneList = (value) => [value];

/** What a cause says, from the findings it explains. */
interface CauseParts {
  /** The finding that words it. */
  readonly primary: CauseFinding;
  /** The keys of its findings. */
  readonly keys: readonly string[];
  readonly severity: Severity;
  readonly mirrors: readonly string[];
  readonly nodeList: readonly string[];
  readonly evidence: string[];
  /** How many fixes the root findings give (2: more than one). */
  readonly fixes: number;
  /** A node where the pull fails, when what joined the cause names one. */
  readonly failing: string | undefined;
}

/** What the cause of `f` alone says (most causes of a large cluster: a finding of one node). */
function ownParts(
  f: CauseFinding,
  mirrors: readonly string[],
  node: string | null,
  locations: Locations,
): CauseParts {
  const own = nodesOf(f, node);
  return {
    primary: f,
    keys: [f.key],
    severity: f.severity,
    mirrors,
    nodeList: own.length === 0 || sortedSet(own) ? own : sorted(new Set(own)),
    evidence: ownEvidence(f, locations),
    fixes: 1,
    failing: undefined,
  };
}

/** What a cause says, from its members. */
function memberParts(
  g: Group,
  node: string | null,
  one: OneList,
  locations: Locations,
  reportOrder: boolean,
): CauseParts {
  const mirrors = listOf(g.mirrors, one);
  if (g.members.length === 1) return ownParts(g.members[0]!, mirrors, node, locations);
  const members = primaryFirst(g, reportOrder);
  // One pass over what may be thousands of findings: their keys, evidence, fixes and witnesses.
  const longest = g.longest;
  const sortedLongest = sortedSet(longest);
  // Nodes outside it (a node that left the class, and its findings), and the last list looked at.
  const outside = new Set<string>();
  let checked: readonly string[] = longest;
  // Where in it the last node looked up was.
  let near = 0;
  const tally = new EvidenceTally(locations);
  const keys = new Array<string>(members.length);
  const fix = members[0]!.fix;
  let fixes = 1;
  for (let i = 0; i < members.length; i++) {
    const f = members[i]!;
    keys[i] = f.key;
    tally.add(f);
    if (i < g.roots && f.fix !== fix) fixes = 2;
    // A cause spanning a class of nodes: the class's list holds the witnesses of the one-node
    // findings that joined it (thousands), each found in it.
    if (sortedLongest) {
      const list = nodesOf(f, node);
      if (list !== checked) {
        for (let k = 0; k < list.length; k++) {
          const at = indexNear(longest, list[k]!, near);
          if (at === -1) outside.add(list[k]!);
          else near = at;
        }
        if (list.length > 1) checked = list;
      }
    }
  }
  return {
    primary: members[0]!,
    keys,
    severity: g.severity,
    mirrors,
    nodeList: !sortedLongest
      ? nodesOfAll(members, node)
      : outside.size === 0
        ? longest
        : mergeSorted(longest, sorted(outside)),
    evidence: tally.lines(members),
    fixes,
    failing: failingNode(members, g.roots),
  };
}

/** Every node of `members`, sorted. */
function nodesOfAll(members: readonly CauseFinding[], node: string | null): readonly string[] {
  // Findings of one class of nodes share one witness list: each list is merged once.
  const lists = new Set<readonly string[]>();
  for (let i = 0; i < members.length; i++) lists.add(nodesOf(members[i]!, node));
  return union(lists);
}

/** What every cause of one causesOf call is made with. */
interface Making {
  readonly node: string | null;
  readonly input: CauseInput;
  readonly place: CommandPlace;
  readonly memo: CauseMemo | null;
  readonly locations: Locations;
}

function toCause(g: Group, made: Making): Cause {
  const one = made.memo?.one ?? newList;
  const parts = memberParts(g, made.node, one, made.locations, made.input.reportOrder === true);
  const head = { kind: g.kind, id: g.id ?? ownId(g.kind, g.subject), subject: g.subject, host: g.host };
  return causeOf(head, imagesOf(g, one), parts, made);
}

/** The cause of `f` alone, placed at `p`: toCause of the group it would found, without making it. */
function ownCause(f: CauseFinding, p: Placement, made: Making): Cause {
  const one = made.memo?.one ?? newList;
  const parts = ownParts(f, p.host === null ? [] : one(p.host), made.node, made.locations);
  const head = { kind: p.kind, id: ownId(p.kind, f.key), subject: f.key, host: p.host };
  return causeOf(head, f.image ? one(f.image) : [], parts, made);
}

/** The cause: what its group is (`head`), its images, and what its findings say. */
function causeOf(
  head: {
    readonly kind: CauseKind;
    readonly id: string;
    readonly subject: string;
    readonly host: string | null;
  },
  images: readonly string[],
  parts: CauseParts,
  { node, input, place, memo, locations }: Making,
): Cause {
  const { primary, keys, severity, mirrors, nodeList, evidence, fixes } = parts;
  const kind = head.kind;
  const def = CAUSE_KINDS[kind];
  const pods = podsOf(input, images, nodeList);
  const subject = displaySubject(kind, head.subject, primary, locations);
  return {
    id: head.id,
    kind,
    severity,
    title: memo === null ? def.headline(subject) : memo.headline(kind, subject, def.headline),
    explanation: def.explanation,
    fix: {
      // One concrete fix when the findings agree on it; the kind's own when each says something else.
      text: fixes > 1 ? def.fix : quoted(primary.fix, MAX_QUOTED_CHARS.fix),
      commands: causeCommands(
        {
          kind,
          host: head.host,
          image: images[0] ?? null,
          // A node where the pull fails (what joined the cause says so), else the first one.
          node: node ?? parts.failing ?? nodeList[0] ?? null,
          file: primary.file ?? null,
        },
        place,
        memo?.tracePrefix,
      ),
    },
    evidence,
    affects: { nodes: nodeList, pods, images, mirrors },
    findings: keys,
  };
}
