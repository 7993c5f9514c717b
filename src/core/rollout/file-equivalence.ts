// Comparing the registry files of two MachineConfigs, or of a MachineConfig and a render. Between two
// MachineConfigs the bytes are what the daemon writes, so bytes decide; between a render of ours and
// the MCO's MachineConfig only the meaning can be compared (TOML/JSON formatting may differ).
import type { MachineConfigView } from './machine-config.js';
import { parse as parseYaml } from 'yaml';
import { registriesDifference } from './registries-equivalence.js';

/** Compared paths whose bytes differ (or exist in only one), sorted. */
export function differingPaths(a: MachineConfigView, b: MachineConfigView): string[] {
  const out: string[] = [];
  for (const [path, file] of a.files) if (b.files.get(path)?.sha256 !== file.sha256) out.push(path);
  for (const path of b.files.keys()) if (!a.files.has(path)) out.push(path);
  return out.sort();
}

type Requirements = readonly { readonly type?: unknown }[];
interface PolicyShape {
  readonly default?: Requirements;
  readonly transports?: Readonly<Record<string, Readonly<Record<string, Requirements>>>>;
}

function types(reqs: Requirements | undefined): string {
  return (reqs ?? []).map((r) => String(r.type)).join(', ') || '(none)';
}

/** A requirement's meaning, key order aside (a sigstoreSigned one carries its keys and identity). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** The scopes a registries.d file turns `use-sigstore-attachments` on for, sorted. */
function attachmentScopes(text: string): string[] | null {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    return null;
  }
  const docker = (doc as { docker?: Record<string, { 'use-sigstore-attachments'?: unknown }> } | null)
    ?.docker;
  if (typeof docker !== 'object' || docker === null) return [];
  return Object.entries(docker)
    .filter(([, v]) => v?.['use-sigstore-attachments'] === true)
    .map(([k]) => k)
    .sort();
}

function registriesDDifference(expected: string, actual: string): string | null {
  const want = attachmentScopes(expected);
  const got = attachmentScopes(actual);
  if (want === null || got === null) return expected === actual ? null : 'the file is not valid YAML';
  const missing = want.filter((s) => !got.includes(s));
  const extra = got.filter((s) => !want.includes(s));
  if (missing.length > 0) return `use-sigstore-attachments for ${missing.join(', ')} vs not set`;
  if (extra.length > 0) return `use-sigstore-attachments not called for on ${extra.join(', ')}`;
  return null;
}

/**
 * What the MCO's allowed/blocked rendering puts into policy.json: the default and the docker
 * transport's scopes. Other content (a ClusterImagePolicy's sigstore requirements, say) is not ours
 * to render, so only its absence of these scopes counts.
 */
function policyDifference(expected: string, actual: string): string | null {
  let want: PolicyShape;
  let got: PolicyShape;
  try {
    want = JSON.parse(expected) as PolicyShape;
    got = JSON.parse(actual) as PolicyShape;
  } catch {
    return expected === actual ? null : 'the policy is not valid JSON';
  }
  if (types(want.default) !== types(got.default))
    return `default ${types(want.default)} vs ${types(got.default)}`;
  for (const [scope, reqs] of Object.entries(want.transports?.['docker'] ?? {})) {
    const theirs = got.transports?.['docker']?.[scope];
    if (theirs === undefined) return `docker scope ${scope} (${types(reqs)}) vs no such scope`;
    if (types(reqs) !== types(theirs)) return `docker scope ${scope}: ${types(reqs)} vs ${types(theirs)}`;
    if (canonical(reqs) !== canonical(theirs))
      return `docker scope ${scope}: the ${types(reqs)} requirement's keys or identity differ`;
  }
  return null;
}

/** null when `actual` means what `expected` means; else the first difference, "expected vs actual". */
export function contentDifference(
  path: string,
  expected: string | null,
  actual: string | null,
): string | null {
  if (expected === null || actual === null) {
    if (expected === actual) return null;
    return expected === null ? 'no file expected, but there is one' : 'the file is missing';
  }
  if (path.endsWith('.json')) return policyDifference(expected, actual);
  if (path.endsWith('.conf')) return registriesDifference(path, expected, actual);
  if (path.endsWith('.yaml')) return registriesDDifference(expected, actual);
  return expected === actual ? null : 'the contents differ';
}
