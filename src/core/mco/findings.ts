// What a render tells a person about the mirror objects themselves: the MCO rejects them (and only
// says so in its controller log), ICSPs are deprecated, or the merge produced an order the objects'
// authors probably did not expect.
import { finding } from '../check/finding.js';
import type { FindingId } from '../findings/catalogue.js';
import type { Finding } from '../findings/types.js';
import { idmsYamlFor } from './icsp-to-idms.js';
import type { ClusterObjects, MirrorSetEntry, RenderResult } from './types.js';

function renderFailed(result: RenderResult): Finding<FindingId>[] {
  return result.errors.map((e) =>
    finding(
      'mirror-config-render-failed',
      `The machine-config-operator rejects these objects, so no node gets a new registries.conf: ${e.message}`,
      null,
      null,
      null,
      `Correct the objects; the controller logs: ${e.mcoLog}`,
    ),
  );
}

function icspDeprecated(objects: ClusterObjects): Finding<FindingId>[] {
  return objects.mirrorSets
    .filter((o) => o.kind === 'ImageContentSourcePolicy')
    .map((o) =>
      finding(
        'icsp-deprecated',
        `ImageContentSourcePolicy "${o.ref.name}" is deprecated since OpenShift 4.13; an ImageDigestMirrorSet with the same entries renders the same registries.conf`,
        o.ref.file,
        o.ref.line,
        null,
        `Apply this ImageDigestMirrorSet, then delete the ImageContentSourcePolicy:\n${idmsYamlFor(o)}`,
      ),
    );
}

/** The first pair of one list's mirrors that the merged order reverses. */
function reversedPair(list: readonly string[], merged: readonly string[]): [string, string] | null {
  const position = new Map(merged.map((m, i) => [m, i] as const));
  const present = list.filter((m) => position.has(m));
  for (let i = 0; i + 1 < present.length; i++) {
    if (position.get(present[i]!)! > position.get(present[i + 1]!)!) return [present[i]!, present[i + 1]!];
  }
  return null;
}

function objectsShareAMirror(entries: readonly MirrorSetEntry[], source: string): boolean {
  const firstNamedBy = new Map<string, MirrorSetEntry['object']>();
  for (const entry of entries) {
    for (const mirror of entry.mirrors) {
      if (mirror === source) continue;
      const earlier = firstNamedBy.get(mirror);
      if (earlier !== undefined && earlier !== entry.object) return true;
      firstNamedBy.set(mirror, entry.object);
    }
  }
  return false;
}

function orderSurprises(objects: ClusterObjects, result: RenderResult): Finding<FindingId>[] {
  const findings: Finding<FindingId>[] = [];
  const bySource = new Map<string, MirrorSetEntry[]>();
  for (const entry of objects.mirrorSets.flatMap((o) => o.entries)) {
    if (!entry.mirrors.some((m) => m !== entry.source)) continue;
    const list = bySource.get(entry.source) ?? [];
    list.push(entry);
    bySource.set(entry.source, list);
  }
  for (const [source, entries] of bySource) {
    const merged = (result.mirrorOrigins[source] ?? [])
      .filter((m) => m.inheritedFrom === undefined && !m.fromTemplate)
      .map((m) => m.mirror);
    const first = entries[0]!;
    const where = { file: first.object.file, line: first.line };
    const inside = merged.indexOf(source);
    if (inside !== -1) {
      findings.push(
        finding(
          'mirror-order-surprise',
          `The merged mirror list of ${source} contains the source itself at position ${inside + 1} of ${merged.length}: CRI-O contacts ${source} before ${merged.slice(inside + 1).join(', ') || 'nothing else'}, and again last`,
          where.file,
          where.line,
          source,
          `List ${source} in no mirror list (it is always tried last), or give every object the same order.`,
        ),
      );
    }
    for (const entry of entries) {
      const pair = reversedPair(entry.mirrors, merged);
      if (pair === null) continue;
      findings.push(
        finding(
          'mirror-order-surprise',
          `${entry.object.kind} "${entry.object.name}" lists ${pair[0]} before ${pair[1]} for ${source}, but the merge with the other objects for this source tries ${pair[1]} first (conflicting orders are resolved by byte order)`,
          entry.object.file,
          entry.line,
          source,
          'Give every object that names this source the same relative order of mirrors, or keep one object per source.',
        ),
      );
    }
    // Unrelated lists (no mirror in common) from several objects are interleaved, not concatenated.
    const objectsNamed = new Set(entries.map((e) => e.object));
    if (objectsNamed.size > 1 && !objectsShareAMirror(entries, source)) {
      const concatenated = [...new Set(entries.flatMap((e) => e.mirrors.filter((m) => m !== source)))];
      const mergedMirrors = merged.filter((m) => m !== source);
      if (concatenated.join('\n') !== mergedMirrors.join('\n') && findings.every((f) => f.scope !== source)) {
        findings.push({
          ...finding(
            'mirror-order-surprise',
            `${objectsNamed.size} objects name ${source}; their lists are merged by byte order where they do not constrain each other: ${mergedMirrors.join(', ')} (not object by object: ${concatenated.join(', ')})`,
            where.file,
            where.line,
            source,
            'If one object should take precedence, put its mirrors first in every object that names this source.',
          ),
          // No object's stated order is broken here (the lists share no mirror), so this one informs.
          severity: 'info',
        });
      }
    }
  }
  return findings;
}

/** Findings about the objects of one render. */
export function renderFindings(objects: ClusterObjects, result: RenderResult): Finding<FindingId>[] {
  return [
    ...renderFailed(result),
    ...icspDeprecated(objects),
    ...(result.errors.length === 0 ? orderSurprises(objects, result) : []),
  ];
}
