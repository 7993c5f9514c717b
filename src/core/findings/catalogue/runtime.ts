import type { FindingDefinition } from '../types.js';

/** Findings that depend on which CRI-O (and so which containers/image) a node runs. */
export const RUNTIME_FINDINGS = {
  'short-name-ambiguous': {
    severity: 'error',
    title:
      'CRI-O ≥ 1.34 with short_name_mode = "enforcing" refuses a short name that several unqualified-search registries could serve ("returns ambiguous list").',
    fix: 'Use the fully qualified image name, add a short-name alias for it, or set [crio.image] short_name_mode = "disabled" in a crio.conf.d drop-in (as OpenShift does in 00-default).',
  },
  'policy-unsupported-by-runtime': {
    severity: 'error',
    title:
      "The signature policy uses a feature the node's containers/image cannot parse, so every pull on the node fails.",
    fix: 'Roll the policy out only to nodes whose CRI-O is new enough (per pool), or express it with the features that CRI-O supports; upgrade the node otherwise.',
  },
  'crio-insecure-registries': {
    severity: 'info',
    title:
      'crio.conf insecure_registries skips TLS verification (and allows plain HTTP) for every source of a matching pull, mirrors included.',
    fix: 'Prefer insecure = true on the [[registry]] or [[registry.mirror]] entry in registries.conf (image.config.openshift.io insecureRegistries), which limits the exception to that endpoint.',
  },
  'crio-insecure-registries-deprecated': {
    severity: 'warning',
    title:
      'crio.conf insecure_registries is deprecated in CRI-O 1.34 (and has no effect from 1.35); it still skips TLS verification for every source of a matching pull, mirrors included.',
    fix: 'Move the setting to registries.conf: insecure = true on the [[registry]] or [[registry.mirror]] entry that needs it, then remove insecure_registries from crio.conf.',
  },
  'crio-insecure-registries-ignored': {
    severity: 'warning',
    title:
      'crio.conf insecure_registries has no effect from CRI-O 1.35: pulls it was meant to relax verify TLS (a self-signed or plain-HTTP registry then fails).',
    fix: 'Set insecure = true on the [[registry]] or [[registry.mirror]] entry in registries.conf (image.config.openshift.io insecureRegistries), then remove insecure_registries from crio.conf.',
  },
  'runtime-version-skew': {
    severity: 'warning',
    title:
      'Nodes of one pool run CRI-O versions that resolve an image in use differently (typically during an upgrade): the same pod pulls differently depending on the node.',
    fix: 'Make the image resolve the same way on both versions (fully qualified name, or explicit crio.conf short_name_mode), or finish the upgrade of the pool.',
  },
} as const satisfies Record<string, FindingDefinition>;
