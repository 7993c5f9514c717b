// A small, strict argument parser: every command declares its flags; unknown flags are usage errors.
import { MirrorscopeError } from './errors.js';

export interface FlagSpec {
  readonly type: 'boolean' | 'string' | 'number';
  readonly multiple?: boolean;
  readonly short?: string;
}

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

/** What a flag of this spec parses to: repeatable flags collect strings. */
type FlagValue<S extends FlagSpec> = S['multiple'] extends true
  ? string[]
  : S['type'] extends 'boolean'
    ? boolean
    : S['type'] extends 'number'
      ? number
      : string;

/** The flags a command declared, each typed by its spec; absent flags are undefined. */
export type TypedFlags<S extends Readonly<Record<string, FlagSpec>>> = {
  -readonly [K in keyof S]?: FlagValue<S[K]>;
};

export interface ParsedArgs<
  S extends Readonly<Record<string, FlagSpec>> = Readonly<Record<string, FlagSpec>>,
> {
  readonly flags: TypedFlags<S>;
  readonly positionals: string[];
}

export function parseArgs<const S extends Readonly<Record<string, FlagSpec>>>(
  argv: readonly string[],
  specs: S,
): ParsedArgs<S> {
  const flags: FlagValues = {};
  const positionals: string[] = [];
  const byShort = new Map(
    Object.entries(specs).flatMap(([name, s]) => (s.short ? [[s.short, name] as const] : [])),
  );
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
    } else {
      const long = byShort.get(arg.slice(1));
      if (long === undefined) throw new MirrorscopeError('usage', `unknown flag ${arg}`);
      name = long;
    }
    const spec = specs[name];
    if (spec === undefined) throw new MirrorscopeError('usage', `unknown flag --${name}`);
    let value: string | number | boolean;
    if (spec.type === 'boolean') {
      if (inline !== undefined && inline !== 'true' && inline !== 'false') {
        throw new MirrorscopeError('usage', `--${name} takes no value (or =true/=false)`);
      }
      value = inline !== 'false';
    } else {
      const raw = inline ?? argv[++i];
      if (raw === undefined) throw new MirrorscopeError('usage', `--${name} needs a value`);
      if (spec.type === 'number') {
        value = Number(raw);
        if (!Number.isFinite(value))
          throw new MirrorscopeError('usage', `--${name} needs a number, got "${raw}"`);
      } else value = raw;
    }
    if (spec.multiple) {
      const list = (flags[name] as string[] | undefined) ?? [];
      list.push(String(value));
      flags[name] = list;
    } else flags[name] = value;
  }
  return { flags: flags as TypedFlags<S>, positionals };
}
