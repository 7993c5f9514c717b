// Findings that depend on the node's CRI-O: policy.json features its containers/image cannot parse,
// and crio.conf insecure_registries (deprecated from 1.34). Pure, like the rest of the static check.
import type { CrioImageConfig } from '../crio/crio-config.js';
import {
  containersImageText,
  crioReleasesBefore,
  formatCrioVersion,
  insecureRegistriesRule,
  modelledVersion,
  parsesPolicyFeature,
  POLICY_FEATURES,
  type CrioVersion,
  type VersionDependentBehaviour,
  type VersionNote,
} from '../crio/versions.js';
import type { Finding } from '../findings/types.js';
import { finding } from './finding.js';
import type { Policy, VersionedPolicyKey } from '../policy/types.js';

function versionedKeys(policy: Policy): { key: VersionedPolicyKey; scope: string }[] {
  const lists = [policy.default, ...[...policy.transports.values()].flatMap((m) => [...m.values()])];
  return lists.flatMap((list) =>
    list.requirements.flatMap((r) =>
      r.type === 'sigstoreSigned'
        ? r.versionedKeys.map((key) => ({ key, scope: list.isDefault ? 'default' : list.scope }))
        : [],
    ),
  );
}

/** Whether a policy uses a key that only some containers/image versions parse. */
export function usesVersionedPolicyKeys(policy: Policy): boolean {
  return versionedKeys(policy).length > 0;
}

/**
 * policy.json is parsed whole before any pull is evaluated: one key the node's containers/image does not
 * know fails every pull that uses the file (all of them for the main policy, a namespace's for its own).
 * Only what is certain for the version is reported; an unknown version is the caller's note.
 */
export function unsupportedPolicyFindings(
  policy: Policy,
  role: 'main' | 'namespace',
  version: CrioVersion | null,
): Finding[] {
  const modelled = modelledVersion(version);
  if (modelled === null) return [];
  const lib = containersImageText(modelled);
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const { key, scope } of versionedKeys(policy)) {
    if (seen.has(key.feature) || parsesPolicyFeature(modelled, key.feature) !== 'no') continue;
    seen.add(key.feature);
    const feature = POLICY_FEATURES[key.feature];
    const who =
      role === 'main'
        ? 'every pull on this node fails'
        : `every pull in namespace ${policy.file.replace(/^.*\//, '').replace(/\.json$/, '')} fails`;
    out.push(
      finding(
        'policy-unsupported-by-runtime',
        `${who}: containers/image ${lib ?? '(unknown)'} in CRI-O ${formatCrioVersion(version!)} cannot parse ${feature.text} ("${key.key}" at ${policy.file}:${key.line}; it rejects the whole file with "Unknown key \\"${key.key}\\"", which needs containers/image ${feature.since.join('.')} or later).`,
        policy.file,
        key.line,
        scope,
      ),
    );
  }
  return out;
}

/**
 * Features whose support depends on the patch release (`1.26` given without one: 1.26.0–1.26.1 vendor
 * containers/image 5.23, 1.26.2 5.24): no finding, but a note saying what each patch does.
 */
export function uncertainPolicyFeatures(
  policies: readonly Policy[],
  version: CrioVersion | null,
): VersionNote | null {
  const modelled = modelledVersion(version);
  if (version === null || modelled === null) return null;
  const behaviours: VersionDependentBehaviour[] = [];
  const seen = new Set<string>();
  for (const policy of policies)
    for (const { key } of versionedKeys(policy)) {
      if (seen.has(key.feature) || parsesPolicyFeature(modelled, key.feature) !== 'unknown') continue;
      seen.add(key.feature);
      const feature = POLICY_FEATURES[key.feature];
      behaviours.push({
        behaviour: 'policy-features',
        applied: `no finding for "${key.key}" at ${policy.file}:${key.line}`,
        older: `a CRI-O ${formatCrioVersion(version)}.x whose containers/image is older than ${feature.since.join('.')} (CRI-O ${crioReleasesBefore(feature.since)}) cannot parse ${feature.text}: every pull using ${policy.file} fails`,
        newer: `from containers/image ${feature.since.join('.')} it parses`,
      });
    }
  if (behaviours.length === 0) return null;
  return {
    code: 'crio-version-dependent',
    version: formatCrioVersion(version),
    message: `Whether CRI-O ${formatCrioVersion(version)} parses the signature policy depends on its patch release (containers/image ${containersImageText(modelled) ?? '?'}): give the full version (e.g. ${formatCrioVersion(version)}.4).`,
    behaviours,
  };
}

const INSECURE_IDS = {
  honoured: 'crio-insecure-registries',
  deprecated: 'crio-insecure-registries-deprecated',
  ignored: 'crio-insecure-registries-ignored',
} as const;

export function insecureRegistriesFindings(crio: CrioImageConfig, version: CrioVersion | null): Finding[] {
  const rule = insecureRegistriesRule(modelledVersion(version));
  const runtime =
    version === null ? 'CRI-O (version unknown: the newest rules)' : `CRI-O ${formatCrioVersion(version)}`;
  return crio.insecureRegistries.map((e) =>
    finding(
      INSECURE_IDS[rule],
      rule === 'ignored'
        ? `crio.conf insecure_registries lists "${e.value}", which ${runtime} ignores (removed in CRI-O 1.35): pulls from ${e.value} verify TLS on every source unless registries.conf marks the source insecure.`
        : `crio.conf insecure_registries lists "${e.value}": ${runtime} skips TLS verification (and allows plain HTTP) for every source of a pull from ${e.value}, its mirrors included${rule === 'deprecated' ? '; the setting is deprecated in CRI-O 1.34 and has no effect from 1.35' : ''}.`,
      e.origin?.file ?? null,
      e.origin?.line ?? null,
      e.value,
    ),
  );
}
