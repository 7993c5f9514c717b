import type { FindingDefinition } from '../types.js';

/** Findings about the registries configuration files themselves (no network). */
export const CONFIG_FINDINGS = {
  'config-invalid': {
    severity: 'error',
    title: 'A configuration file is rejected by containers/image, so CRI-O fails every pull that reads it.',
    fix: 'Correct the file at the line named; `mirrorscope resolve` shows the same error until it loads.',
  },
  'config-unknown-key': {
    severity: 'warning',
    title: 'A key containers/image does not know is silently ignored (often a typo of a real setting).',
    fix: 'Rename the key to the setting you meant, or remove it.',
  },
  'config-key-in-mirror-table': {
    severity: 'warning',
    title:
      'A registry-level key is written after a [[registry.mirror]] table, so TOML gives it to the mirror and the registry keeps its default (containers/podman#14306).',
    fix: 'Move the key above the first [[registry.mirror]] table of its [[registry]] entry.',
  },
  'config-toml-1.1-syntax': {
    severity: 'warning',
    title:
      'TOML 1.1-only syntax: CRI-O builds before BurntSushi/toml v1.6.0 (December 2025) reject the file.',
    fix: 'Rewrite the construct in TOML 1.0 (one-line inline tables, no trailing commas, no \\e or \\x escapes, times with seconds).',
  },
  'config-v1-format': {
    severity: 'info',
    title: 'registries.conf uses the deprecated v1 format.',
    fix: 'Convert to v2 [[registry]] tables; drop-ins must be v2 already.',
  },
  'config-duplicate-prefix': {
    severity: 'warning',
    title: 'The same [[registry]] prefix appears twice in one file; containers/image keeps only the first.',
    fix: 'Merge the two entries into one.',
  },
  'config-drop-in-replaces-registry': {
    severity: 'warning',
    title:
      'A drop-in redefines a [[registry]] prefix and replaces the whole earlier entry, mirrors included.',
    fix: 'Repeat every mirror and flag you still want in the drop-in entry, or use a different prefix.',
  },
  'short-name-mode-ignored': {
    severity: 'info',
    title:
      'registries.conf sets short-name-mode, but CRI-O always applies its own short_name_mode from crio.conf.',
    fix: 'Set [crio.image] short_name_mode in a crio.conf.d drop-in for CRI-O; keep short-name-mode for podman.',
  },
} as const satisfies Record<string, FindingDefinition>;
