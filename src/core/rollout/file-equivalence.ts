// Comparing the registry files of two MachineConfigs, or of a MachineConfig and a render. Between two
// MachineConfigs the bytes are what the daemon writes, so bytes decide; between a render of ours and
// the MCO's MachineConfig only the meaning can be compared (TOML/JSON formatting may differ).
import type { MachineConfigView } from './machine-config.js';
import { registriesDifference } from './registries-equivalence.js';

/** Compared paths whose bytes differ (or exist in only one), sorted. */
export function differingPaths(a: MachineConfigView, b: MachineConfigView): string[] {
  const out: string[] = [];
  for (const [path, file] of a.files) if (b.files.get(path)?.sha256 !== file.sha256) out.push(path);
  for (const path of b.files.keys()) if (!a.files.has(path)) out.push(path);
  return out.sort();
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function jsonDifference(a: string, b: string): string | null {
  try {
    return canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b)) ? null : 'the policy differs';
  } catch {
    return a === b ? null : 'the policy differs (one is not valid JSON)';
  }
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
  if (path.endsWith('.json')) return jsonDifference(expected, actual);
  if (path.endsWith('.conf')) return registriesDifference(path, expected, actual);
  return expected === actual ? null : 'the contents differ';
}
