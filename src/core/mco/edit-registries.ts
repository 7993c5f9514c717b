// runtime-utils `EditRegistriesConfig`: applies merged mirror sets, insecure and blocked scopes to
// the decoded template, in place, step by step as upstream does (the order of the steps is
// observable: flags are propagated before mirrors are copied into nested scopes).
import { goQuote } from './go-format.js';
import { mergeMirrorSets, type MergedMirrorSet } from './mirror-sets.js';
import {
  registryScope,
  type MirrorValue,
  type RegistriesConfValue,
  type RegistryValue,
} from './registries-model.js';
import { scopeIsNestedInsideScope } from './scopes.js';
import type { MirrorSetEntry } from './types.js';

export class EditError extends Error {
  override readonly name = 'EditError';
}

export interface EditInput {
  readonly insecureScopes: readonly string[];
  readonly blockedScopes: readonly string[];
  /** IDMS entries then ICSP entries (current), or ICSP entries only (legacy). */
  readonly digestEntries: readonly MirrorSetEntry[];
  readonly tagEntries: readonly MirrorSetEntry[];
  /** MCO ≤ 4.12: registry-level `mirror-by-digest-only` instead of per-mirror `pull-from-mirror`. */
  readonly legacy: boolean;
}

class RegistryList {
  /** The first entry per scope; scopes never change once an entry exists. */
  private readonly byScope = new Map<string, RegistryValue>();

  constructor(private readonly conf: RegistriesConfValue) {
    for (const reg of conf.registries ?? []) {
      const scope = registryScope(reg);
      if (!this.byScope.has(scope)) this.byScope.set(scope, reg);
    }
  }

  get all(): RegistryValue[] {
    return this.conf.registries ?? [];
  }

  /** `getRegistryEntry`: the first entry with this scope, else a new one (`prefix` for `*.` scopes). */
  get(scope: string): RegistryValue {
    const found = this.byScope.get(scope);
    if (found !== undefined) return found;
    const wildcard = scope.startsWith('*.');
    const reg: RegistryValue = {
      prefix: wildcard ? scope : '',
      location: wildcard ? '' : scope,
      insecure: false,
      pullFromMirror: '',
      mirrors: [],
      blocked: false,
      mirrorByDigestOnly: false,
    };
    (this.conf.registries ??= []).push(reg);
    this.byScope.set(scope, reg);
    return reg;
  }
}

interface ScopedRegistry {
  readonly scope: string;
  readonly reg: RegistryValue;
}

/** Entries sorted by scope, to find those below a plain scope (`scope/…`) without a full scan. */
class ScopeIndex {
  private readonly sorted: ScopedRegistry[];

  constructor(registries: readonly RegistryValue[]) {
    this.sorted = registries
      .map((reg) => ({ scope: registryScope(reg), reg }))
      .sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0));
  }

  /** Entries whose scope starts with `prefix` (a contiguous run in sorted order). */
  startingWith(prefix: string): ScopedRegistry[] {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid]!.scope < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: ScopedRegistry[] = [];
    for (let i = lo; i < this.sorted.length && this.sorted[i]!.scope.startsWith(prefix); i++)
      out.push(this.sorted[i]!);
    return out;
  }
}

function mirrorsForNestedScope(
  mirroredScope: string,
  subScope: string,
  mirrors: readonly MirrorValue[],
): MirrorValue[] {
  if (mirroredScope.startsWith('*.')) {
    throw new EditError(
      `internal error: mirrorsAdjustedForNestedScope for a wildcard scope ${goQuote(mirroredScope)}`,
    );
  }
  const adjustment = subScope.slice(mirroredScope.length);
  return mirrors.map((m) => ({
    location: m.location + adjustment,
    insecure: m.insecure,
    pullFromMirror: m.pullFromMirror,
    provenance: { objects: m.provenance.objects, inheritedFrom: mirroredScope },
  }));
}

function addMirrors(
  list: RegistryList,
  sets: readonly MergedMirrorSet[],
  pullFromMirror: string,
  legacy: boolean,
): void {
  for (const set of sets) {
    const reg = list.get(set.source);
    if (legacy) reg.mirrorByDigestOnly = true;
    if (set.neverContactSource) reg.blocked = true;
    for (const location of set.mirrors) {
      reg.mirrors.push({
        location,
        insecure: false,
        pullFromMirror,
        provenance: { objects: set.origins.get(location) ?? [] },
      });
    }
  }
}

export function editRegistriesConfig(conf: RegistriesConfValue, input: EditInput): void {
  const list = new RegistryList(conf);
  const digestSets = mergeMirrorSets(input.digestEntries);
  addMirrors(list, digestSets, input.legacy ? '' : 'digest-only', input.legacy);
  const tagSets = input.legacy ? [] : mergeMirrorSets(input.tagEntries);
  addMirrors(list, tagSets, 'tag-only', false);

  // Blocked scopes exist before the insecure pass, so that a blocked sub-scope of an insecure scope
  // also becomes insecure.
  for (const scope of input.blockedScopes) list.get(scope);
  for (const insecureScope of input.insecureScopes) {
    list.get(insecureScope).insecure = true;
    for (const reg of list.all) {
      if (scopeIsNestedInsideScope(registryScope(reg), insecureScope)) reg.insecure = true;
      for (const mirror of reg.mirrors) {
        if (scopeIsNestedInsideScope(mirror.location, insecureScope)) mirror.insecure = true;
      }
    }
  }
  for (const blockedScope of input.blockedScopes) {
    list.get(blockedScope).blocked = true;
    for (const reg of list.all) {
      if (scopeIsNestedInsideScope(registryScope(reg), blockedScope)) reg.blocked = true;
    }
  }

  // Only the most specific [[registry]] applies to a pull, so a nested entry without mirrors (made
  // for an insecure/blocked scope, or by the template) receives the mirrored scope's mirrors.
  // No entry is added from here on, so one index serves every set. Within one set the entries are
  // independent of each other, so visiting them in scope order rather than file order changes nothing.
  const index = new ScopeIndex(list.all);
  for (const set of [...digestSets, ...tagSets]) {
    const mirroredReg = list.get(set.source);
    const mirroredScope = registryScope(mirroredReg);
    const nested = mirroredScope.startsWith('*.')
      ? list.all
          .map((reg) => ({ scope: registryScope(reg), reg }))
          .filter(({ scope }) => scope !== mirroredScope && scopeIsNestedInsideScope(scope, mirroredScope))
      : index.startingWith(`${mirroredScope}/`);
    for (const { scope, reg } of nested) {
      if (reg.mirrors.length > 0) continue;
      if (input.legacy) reg.mirrorByDigestOnly = mirroredReg.mirrorByDigestOnly;
      reg.mirrors = mirrorsForNestedScope(mirroredScope, scope, mirroredReg.mirrors);
    }
  }
}
