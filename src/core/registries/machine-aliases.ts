// The machine-written alias file (`/var/cache/containers/short-name-aliases.conf` for root, which is
// what CRI-O runs as). It holds only `[aliases]` and wins over every registries.conf alias.
import { parse as parseToml, TomlError } from 'smol-toml';
import { scanTomlPositions } from '../toml/positions.js';
import { parseAliasName, parseAliasValue } from './alias-syntax.js';
import type { Alias, ConfigFile, Origin } from './types.js';

export type MachineAliases =
  | { readonly ok: true; readonly aliases: ReadonlyMap<string, Alias> }
  | { readonly ok: false; readonly error: { message: string; upstream: string; origin: Origin } };

export function loadMachineAliases(file: ConfigFile): MachineAliases {
  const failWith = (detail: string, line: number | null): MachineAliases => ({
    ok: false,
    error: {
      message: `${file.path}${line === null ? '' : `:${line}`}: ${detail}`,
      upstream: `loading short-name aliases config file ${JSON.stringify(file.path)}: ${detail}`,
      origin: { file: file.path, line },
    },
  });
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(file.text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) return failWith(`invalid TOML: ${err.message.split('\n')[0]}`, err.line);
    throw err;
  }
  const positions = scanTomlPositions(file.text);
  const aliases = new Map<string, Alias>();
  const table = Object.entries(doc).find(([k]) => k.toLowerCase() === 'aliases')?.[1];
  if (table === undefined) return { ok: true, aliases };
  if (typeof table !== 'object' || table === null || Array.isArray(table))
    return failWith('"aliases" must be a table', positions.lineOf(['aliases']) ?? null);
  const problems: string[] = [];
  let firstLine: number | null = null;
  for (const [name, value] of Object.entries(table)) {
    const line = positions.lineOf(['aliases', name]) ?? null;
    const origin = { file: file.path, line };
    const nameError = parseAliasName(name);
    if (nameError !== undefined) problems.push(nameError);
    if (typeof value !== 'string') problems.push(`alias ${JSON.stringify(name)}: expected a string`);
    else if (value === '') aliases.set(name, { value: '', origin });
    else {
      const parsed = parseAliasValue(value);
      if (typeof parsed === 'string') aliases.set(name, { value: parsed, origin });
      else problems.push(parsed.error);
    }
    if (problems.length > 0) firstLine ??= line;
  }
  if (problems.length > 0) return failWith(problems.join('\n: '), firstLine);
  return { ok: true, aliases };
}
