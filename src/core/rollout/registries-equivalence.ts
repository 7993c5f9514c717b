// Whether two registries.conf texts configure the same pulls, and if not, the first difference in
// words. Formatting, key order and comments do not matter; what containers/image loads does. (Byte
// equality would flag every cluster whose MCO encodes TOML slightly differently from ours.)
import { MirrorscopeError } from '../errors.js';
import { assembleRegistriesConfig } from '../registries/assemble.js';
import type { Endpoint, RegistriesConfig, Registry } from '../registries/types.js';

export type Loaded = { readonly config: RegistriesConfig } | { readonly error: string };

export function loadRegistriesText(path: string, text: string): Loaded {
  try {
    return { config: assembleRegistriesConfig({ main: { path, text }, dropIns: [] }) };
  } catch (err) {
    if (!(err instanceof MirrorscopeError)) throw err;
    return { error: err.message };
  }
}

function endpoint(e: Endpoint): string {
  const flags = [e.insecure ? 'insecure' : '', e.pullFromMirror === '' ? '' : e.pullFromMirror].filter(
    Boolean,
  );
  return flags.length === 0 ? e.location : `${e.location} (${flags.join(', ')})`;
}

function describeRegistry(r: Registry): string {
  const parts = [`location ${r.location || '(prefix)'}`];
  if (r.insecure) parts.push('insecure');
  if (r.blocked) parts.push('blocked');
  if (r.mirrorByDigestOnly) parts.push('mirror-by-digest-only');
  parts.push(r.mirrors.length === 0 ? 'no mirrors' : `mirrors ${r.mirrors.map(endpoint).join(', ')}`);
  return parts.join('; ');
}

function list(values: readonly string[]): string {
  return values.length === 0 ? '(none)' : values.join(', ');
}

function configDifference(a: RegistriesConfig, b: RegistriesConfig): string | null {
  if (list(a.unqualifiedSearchRegistries) !== list(b.unqualifiedSearchRegistries))
    return `unqualified-search-registries ${list(a.unqualifiedSearchRegistries)} vs ${list(b.unqualifiedSearchRegistries)}`;
  if (a.shortNameMode !== b.shortNameMode) return `short-name-mode ${a.shortNameMode} vs ${b.shortNameMode}`;
  const theirs = new Map(b.registries.map((r) => [r.prefix, r]));
  for (const r of a.registries) {
    const other = theirs.get(r.prefix);
    if (other === undefined) return `registry ${r.prefix} (${describeRegistry(r)}) vs no such registry`;
    const ours = describeRegistry(r);
    const their = describeRegistry(other);
    if (ours !== their) return `registry ${r.prefix}: ${ours} vs ${their}`;
  }
  const ours = new Set(a.registries.map((r) => r.prefix));
  for (const r of b.registries)
    if (!ours.has(r.prefix)) return `no registry ${r.prefix} vs ${r.prefix} (${describeRegistry(r)})`;
  return null;
}

/** null when both texts load to the same configuration; else the first difference ("A vs B"). */
export function registriesDifference(path: string, a: string, b: string): string | null {
  if (a === b) return null;
  const left = loadRegistriesText(path, a);
  const right = loadRegistriesText(path, b);
  if ('error' in left) {
    if (!('error' in right)) return `invalid (${left.error}) vs valid`;
    return left.error === right.error ? null : 'different invalid files';
  }
  if ('error' in right) return `valid vs invalid (${right.error})`;
  return configDifference(left.config, right.config);
}
