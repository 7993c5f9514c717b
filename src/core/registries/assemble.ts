// Assembles the effective configuration from registries.conf and its drop-ins
// (containers/image `tryUpdatingCache` + `updateWithConfigurationFrom`).
import { configError } from '../errors.js';
import { compareBytes } from './byte-order.js';
import { FileLoadError, loadRegistriesFile, type ParsedFile } from './load-file.js';
import type {
  Alias,
  ConfigFile,
  ConfigNote,
  Origin,
  RegistriesConfig,
  Registry,
  ShortNameMode,
} from './types.js';

export const DEFAULT_CREDENTIAL_HELPERS: readonly string[] = ['containers-auth.json'];

export interface RegistriesSources {
  /** `registries.conf`; null when the file does not exist (containers/image then starts empty). */
  readonly main: ConfigFile | null;
  /** The `.conf` drop-ins in load order (lexical, system directory first). */
  readonly dropIns: readonly ConfigFile[];
}

function load(file: ConfigFile, dropIn: boolean): ParsedFile {
  try {
    return loadRegistriesFile(file.path, file.text, dropIn);
  } catch (err) {
    if (err instanceof FileLoadError) {
      const wrapper = dropIn
        ? 'loading drop-in registries configuration'
        : 'loading registries configuration';
      throw configError(
        err.message,
        { file: file.path, line: err.line },
        `${wrapper} ${JSON.stringify(file.path)}: ${err.upstream}`,
      );
    }
    throw err;
  }
}

class Accumulator {
  registries = new Map<string, Registry>();
  unqualifiedSearchRegistries: string[] = [];
  unqualifiedSearchRegistriesOrigin: Origin | null = null;
  shortNameMode: { value: ShortNameMode; origin: Origin } | undefined;
  credentialHelpers: { value: string[]; origin: Origin } | undefined;
  additionalLayerStoreAuthHelper = '';
  aliases = new Map<string, Alias>();
  notes: ConfigNote[] = [];
  files: string[] = [];

  apply(file: ParsedFile, dropIn: boolean): void {
    this.files.push(file.path);
    for (const note of file.notes) this.notes.push(note); // unbounded: no push(...spread)
    for (const reg of file.registries) {
      const replaced = this.registries.get(reg.prefix);
      if (replaced !== undefined && dropIn) {
        this.notes.push({
          code: 'drop-in-replaces-registry',
          message: `[[registry]] "${reg.prefix}" replaces the whole entry from ${replaced.origin.file}${replaced.origin.line === null ? '' : `:${replaced.origin.line}`} (its ${replaced.mirrors.length} mirror(s) and flags no longer apply)`,
          origin: reg.origin,
        });
      }
      this.registries.set(reg.prefix, reg);
    }
    if (!dropIn) {
      // The main file is the origin of the search list even when it does not set it.
      this.unqualifiedSearchRegistriesOrigin = file.unqualifiedSearchRegistries?.origin ?? {
        file: file.path,
        line: null,
      };
    }
    if (file.unqualifiedSearchRegistries !== undefined) {
      this.unqualifiedSearchRegistries = file.unqualifiedSearchRegistries.value;
      this.unqualifiedSearchRegistriesOrigin = file.unqualifiedSearchRegistries.origin;
    }
    if (file.credentialHelpers !== undefined) this.credentialHelpers = file.credentialHelpers;
    if (file.shortNameMode !== undefined) this.shortNameMode = file.shortNameMode;
    if (file.additionalLayerStoreAuthHelper)
      this.additionalLayerStoreAuthHelper = file.additionalLayerStoreAuthHelper;
    for (const [name, alias] of file.aliases) this.aliases.set(name, alias);
  }

  result(): RegistriesConfig {
    const helpers = this.credentialHelpers;
    const useDefaultHelpers = helpers === undefined || helpers.value.length === 0;
    return {
      registries: [...this.registries.values()].sort((a, b) => compareBytes(a.prefix, b.prefix)),
      unqualifiedSearchRegistries: this.unqualifiedSearchRegistries,
      unqualifiedSearchRegistriesOrigin: this.unqualifiedSearchRegistriesOrigin,
      shortNameMode: this.shortNameMode?.value ?? 'permissive',
      shortNameModeOrigin: this.shortNameMode?.origin ?? null,
      credentialHelpers: useDefaultHelpers ? DEFAULT_CREDENTIAL_HELPERS : helpers.value,
      credentialHelpersOrigin: useDefaultHelpers ? null : helpers.origin,
      additionalLayerStoreAuthHelper: this.additionalLayerStoreAuthHelper,
      aliases: this.aliases,
      files: this.files,
      notes: this.notes,
    };
  }
}

/** Loads and merges; throws a `config-invalid` MirrorscopeError naming the file and line. */
export function assembleRegistriesConfig(sources: RegistriesSources): RegistriesConfig {
  const acc = new Accumulator();
  if (sources.main !== null) acc.apply(load(sources.main, false), false);
  for (const dropIn of sources.dropIns) acc.apply(load(dropIn, true), true);
  return acc.result();
}
