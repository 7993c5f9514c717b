// runtime-utils `mirrorSets`: the entries of every object, grouped by exact source string, and each
// source's lists merged into one ordered list (topo-sort.ts). Also remembers which objects gave
// each mirror, for `mirrorOrigins`.
import { TopoGraph } from './topo-sort.js';
import type { MirrorSetEntry, ObjectRef } from './types.js';

export interface MergedMirrorSet {
  readonly source: string;
  readonly mirrors: readonly string[];
  /** Some entry for this source said NeverContactSource. */
  readonly neverContactSource: boolean;
  /** mirror → the objects whose list for this source contains it. */
  readonly origins: ReadonlyMap<string, readonly ObjectRef[]>;
}

/** An entry whose mirrors are empty or only repeat the source is ignored entirely, policy included. */
function hasRealMirror(entry: MirrorSetEntry): boolean {
  return entry.mirrors.some((m) => m !== entry.source);
}

export function mergeMirrorSets(entries: readonly MirrorSetEntry[]): MergedMirrorSet[] {
  const lists = new Map<string, MirrorSetEntry[]>();
  for (const entry of entries) {
    if (!hasRealMirror(entry)) continue;
    let bucket = lists.get(entry.source);
    if (bucket === undefined) lists.set(entry.source, (bucket = []));
    bucket.push(entry);
  }
  const sources = [...lists.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sources.map((source) => {
    const bucket = lists.get(source)!;
    const graph = new TopoGraph();
    const origins = new Map<string, ObjectRef[]>();
    for (const { mirrors, object } of bucket) {
      for (let i = 0; i + 1 < mirrors.length; i++) graph.addEdge(mirrors[i]!, mirrors[i + 1]!);
      if (!mirrors.includes(source)) graph.addEdge(mirrors[mirrors.length - 1]!, source);
      for (const m of new Set(mirrors)) {
        const refs = origins.get(m) ?? [];
        if (!refs.includes(object)) refs.push(object);
        origins.set(m, refs);
      }
    }
    const sorted = graph.sorted();
    // The source is tried last anyway; it stays in the list only when it did not sort last.
    if (sorted[sorted.length - 1] === source) sorted.pop();
    return {
      source,
      mirrors: sorted,
      neverContactSource: bucket.some((e) => e.policy === 'NeverContactSource'),
      origins,
    };
  });
}
