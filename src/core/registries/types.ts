// The effective registries configuration, with the file and line behind every setting.

export interface Origin {
  readonly file: string;
  /** 1-based; null when the setting has no line of its own (a default, or a v1 conversion). */
  readonly line: number | null;
}

export type PullFromMirror = '' | 'all' | 'digest-only' | 'tag-only';
export const PULL_FROM_MIRROR_VALUES: readonly string[] = ['', 'all', 'digest-only', 'tag-only'];

export type ShortNameMode = 'enforcing' | 'permissive' | 'disabled';
export const SHORT_NAME_MODES: readonly string[] = ['enforcing', 'permissive', 'disabled'];

export interface Endpoint {
  readonly location: string;
  readonly insecure: boolean;
  readonly pullFromMirror: PullFromMirror;
  /** Where the `[[registry]]` or `[[registry.mirror]]` table starts. */
  readonly origin: Origin;
  readonly insecureOrigin: Origin | null;
  readonly pullFromMirrorOrigin: Origin | null;
}

export interface Registry extends Endpoint {
  readonly prefix: string;
  readonly blocked: boolean;
  readonly blockedOrigin: Origin | null;
  readonly mirrorByDigestOnly: boolean;
  readonly mirrorByDigestOnlyOrigin: Origin | null;
  readonly mirrors: readonly Endpoint[];
}

export interface Alias {
  /** Normalised value, or '' when a later file erased the alias. */
  readonly value: string;
  readonly origin: Origin;
}

export type ConfigNoteCode =
  | 'unknown-key'
  | 'key-in-mirror-table'
  | 'duplicate-prefix-ignored'
  | 'toml-1.1-syntax'
  | 'v1-format'
  | 'non-conf-file-ignored'
  | 'drop-in-replaces-registry';

/** Something containers/image accepts silently but a person should know about. */
export interface ConfigNote {
  readonly code: ConfigNoteCode;
  readonly message: string;
  readonly origin: Origin;
}

export interface RegistriesConfig {
  /** Sorted by prefix, byte-wise, as containers/image keeps them. */
  readonly registries: readonly Registry[];
  readonly unqualifiedSearchRegistries: readonly string[];
  /** The file that last set `unqualified-search-registries`, '' when none was found. */
  readonly unqualifiedSearchRegistriesOrigin: Origin | null;
  readonly shortNameMode: ShortNameMode;
  readonly shortNameModeOrigin: Origin | null;
  readonly credentialHelpers: readonly string[];
  readonly credentialHelpersOrigin: Origin | null;
  readonly additionalLayerStoreAuthHelper: string;
  readonly aliases: ReadonlyMap<string, Alias>;
  /** Every file that was read, in load order. */
  readonly files: readonly string[];
  readonly notes: readonly ConfigNote[];
}

/** A file handed to the pure core: its path as the node sees it, and its text. */
export interface ConfigFile {
  readonly path: string;
  readonly text: string;
}
