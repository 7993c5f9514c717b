// Whether a node's registries.conf carries what a mirror object asks for: for each of its entries, a
// registry for the source with every mirror in the pull mode the object's kind renders to (digest-only
// for ICSP/IDMS, tag-only for ITMS), and blocked when the entry says NeverContactSource. The order of
// mirrors is not checked here: the merge may legitimately reorder them (see mirror-order-surprise).
import type { MirrorSetObject } from '../mco/types.js';
import type { RegistriesConfig, Registry } from '../registries/types.js';

function servesMirror(reg: Registry, mirror: string, tagOnly: boolean): boolean {
  return reg.mirrors.some((m) =>
    m.location !== mirror
      ? false
      : tagOnly
        ? m.pullFromMirror === 'tag-only'
        : m.pullFromMirror === 'digest-only' || (reg.mirrorByDigestOnly && m.pullFromMirror === ''),
  );
}

export function appliesObject(config: RegistriesConfig, object: MirrorSetObject): boolean {
  const byPrefix = new Map(config.registries.map((r) => [r.prefix, r]));
  const tagOnly = object.kind === 'ImageTagMirrorSet';
  for (const entry of object.entries) {
    const mirrors = entry.mirrors.filter((m) => m !== entry.source);
    if (mirrors.length === 0) continue; // the MCO ignores such an entry, policy included
    const reg = byPrefix.get(entry.source);
    if (reg === undefined) return false;
    if (entry.policy === 'NeverContactSource' && !reg.blocked) return false;
    if (!mirrors.every((m) => servesMirror(reg, m, tagOnly))) return false;
  }
  return true;
}
