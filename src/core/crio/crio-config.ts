// The `[crio.image]` settings that change how CRI-O pulls: crio.conf, then every file below
// crio.conf.d in lexical order (each file overrides the keys it sets), as CRI-O's `UpdateFromPath`.
import { parse as parseToml, TomlError } from 'smol-toml';
import { configError } from '../errors.js';
import { scanTomlPositions } from '../toml/positions.js';
import type { ConfigFile, Origin } from '../registries/types.js';

export type CrioShortNameMode = 'enforcing' | 'disabled';

export interface CrioSetting<T> {
  readonly value: T;
  /** null for CRI-O's built-in default. */
  readonly origin: Origin | null;
}

export interface CrioImageConfig {
  /** CRI-O always overrides registries.conf's short-name-mode with this (default "enforcing"). */
  readonly shortNameMode: CrioSetting<CrioShortNameMode>;
  readonly globalAuthFile: CrioSetting<string>;
  readonly signaturePolicy: CrioSetting<string>;
  readonly signaturePolicyDir: CrioSetting<string>;
  readonly namespacedAuthDir: CrioSetting<string>;
  readonly pauseImage: CrioSetting<string>;
  /** `insecure_registries`: hosts (and CIDRs) whose pulls skip TLS verification on every source. */
  readonly insecureRegistries: readonly CrioSetting<string>[];
  readonly files: readonly string[];
}

export interface CrioConfigOptions {
  /**
   * Whether this CRI-O reads `short_name_mode` (1.34.0 and later). An older one ignores the key,
   * so a value it would not accept is no error there.
   */
  readonly shortNameModeKey?: boolean;
}

const KEYS = {
  short_name_mode: 'shortNameMode',
  global_auth_file: 'globalAuthFile',
  signature_policy: 'signaturePolicy',
  signature_policy_dir: 'signaturePolicyDir',
  namespaced_auth_dir: 'namespacedAuthDir',
  pause_image: 'pauseImage',
} as const;

type Key = (typeof KEYS)[keyof typeof KEYS];

function defaults(): Record<Key, CrioSetting<string>> {
  return {
    shortNameMode: { value: 'enforcing', origin: null },
    globalAuthFile: { value: '', origin: null },
    signaturePolicy: { value: '', origin: null },
    signaturePolicyDir: { value: '/etc/crio/policies', origin: null },
    namespacedAuthDir: { value: '', origin: null },
    pauseImage: { value: '', origin: null },
  };
}

function tableIn(table: unknown, key: string): Record<string, unknown> | undefined {
  if (typeof table !== 'object' || table === null) return undefined;
  const entry =
    Object.entries(table).find(([k]) => k === key) ??
    Object.entries(table).find(([k]) => k.toLowerCase() === key);
  const value = entry?.[1];
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Settings from crio.conf and its drop-ins, in the order CRI-O applies them. */
export function readCrioImageConfig(
  files: readonly ConfigFile[],
  options: CrioConfigOptions = {},
): CrioImageConfig {
  const settings = defaults();
  let insecureRegistries: CrioSetting<string>[] = [];
  for (const file of files) {
    let doc: unknown;
    try {
      doc = parseToml(file.text);
    } catch (err) {
      if (!(err instanceof TomlError)) throw err;
      const first = err.message.split('\n')[0] ?? err.message;
      throw configError(
        `invalid TOML: ${first}`,
        { file: file.path, line: err.line },
        `unable to decode configuration ${file.path}: ${first}`,
      );
    }
    const image = tableIn(tableIn(doc, 'crio'), 'image');
    if (image === undefined) continue;
    const positions = scanTomlPositions(file.text);
    const insecureKey = Object.keys(image).find((k) => k.toLowerCase() === 'insecure_registries');
    if (insecureKey !== undefined) {
      const value = image[insecureKey];
      const line = positions.lineOf(['crio', 'image', insecureKey]) ?? null;
      const origin = { file: file.path, line };
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
        throw configError(
          'crio.image.insecure_registries: expected an array of strings',
          origin,
          `unable to decode configuration ${file.path}: crio.image.insecure_registries: incompatible types`,
        );
      // A later file that sets the key replaces the whole list, as TOML decoding into the same struct does.
      insecureRegistries = (value as string[]).map((v) => ({ value: v, origin }));
    }
    for (const [tomlKey, field] of Object.entries(KEYS)) {
      const key =
        Object.keys(image).find((k) => k === tomlKey) ??
        Object.keys(image).find((k) => k.toLowerCase() === tomlKey);
      if (key === undefined) continue;
      const value = image[key];
      const origin = { file: file.path, line: positions.lineOf(['crio', 'image', key]) ?? null };
      if (typeof value !== 'string') {
        throw configError(
          `crio.image.${tomlKey}: expected a string`,
          origin,
          `unable to decode configuration ${file.path}: crio.image.${tomlKey}: incompatible types`,
        );
      }
      settings[field] = { value, origin };
    }
  }
  const mode = settings.shortNameMode;
  if (mode.value === '') settings.shortNameMode = { value: 'enforcing', origin: mode.origin };
  else if (mode.value !== 'enforcing' && mode.value !== 'disabled') {
    if (options.shortNameModeKey === false)
      return {
        ...settings,
        shortNameMode: { value: 'enforcing', origin: null },
        insecureRegistries,
        files: files.map((f) => f.path),
      };
    throw configError(
      `short_name_mode must be "enforcing" or "disabled", got "${mode.value}"`,
      mode.origin!,
      `invalid short name mode "${mode.value}"`,
    );
  }
  return {
    ...settings,
    shortNameMode: settings.shortNameMode as CrioSetting<CrioShortNameMode>,
    insecureRegistries,
    files: files.map((f) => f.path),
  };
}
