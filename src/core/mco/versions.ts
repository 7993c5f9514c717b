// What changes between MCO releases in the rendering (read from the release-4.x branches):
// - ≤ 4.12: ICSP only; registry-level `mirror-by-digest-only = true`; empty/wildcard checks instead of
//   the source/mirror patterns; policy.json compact, `atomic` = `docker` scopes.
// - 4.13–4.15: transition releases with different validation texts; not modelled.
// - ≥ 4.16: current rules (per-mirror `pull-from-mirror`, patterns, one policy map across kinds), and
//   ClusterImagePolicy; 4.17 adds the policy scopes' mirrors to sigstore-registries.yaml; 4.18 renders
//   ImagePolicy into /etc/crio/policies/<namespace>.json.
//   4.16 writes policy.json compact, 4.17+ indented; 4.19+ vendors a containers/image whose
//   registries.conf struct has `additional-layer-store-auth-helper` (always encoded).
import { MirrorscopeError } from '../errors.js';

export interface McoProfile {
  readonly label: string;
  /** ICSP only, `mirror-by-digest-only` on the registry. */
  readonly legacy: boolean;
  readonly indentPolicyJson: boolean;
  readonly encodesAlsHelper: boolean;
  /** ClusterImagePolicy rendered (4.16+, tech preview until 4.20). */
  readonly clusterImagePolicies: boolean;
  /** sigstore-registries.yaml also lists the policy scopes' mirrors (4.17+). */
  readonly sigstoreMirrors: boolean;
  /** ImagePolicy → /etc/crio/policies/<namespace>.json (4.18+). */
  readonly namespacedPolicies: boolean;
}

export const CURRENT_MCO: McoProfile = {
  label: 'current',
  legacy: false,
  indentPolicyJson: true,
  encodesAlsHelper: true,
  clusterImagePolicies: true,
  sigstoreMirrors: true,
  namespacedPolicies: true,
};

export function mcoProfile(version: string | undefined): McoProfile {
  if (version === undefined || version === 'current') return CURRENT_MCO;
  const m = /^4\.(\d+)$/.exec(version);
  if (m === null)
    throw new MirrorscopeError(
      'usage',
      `--mco-version must look like 4.12 or 4.20 (or "current"), got "${version}"`,
    );
  const minor = Number(m[1]);
  if (minor <= 12)
    return {
      label: version,
      legacy: true,
      indentPolicyJson: false,
      encodesAlsHelper: false,
      clusterImagePolicies: false,
      sigstoreMirrors: false,
      namespacedPolicies: false,
    };
  if (minor < 16) {
    throw new MirrorscopeError(
      'usage',
      `--mco-version ${version}: the 4.13–4.15 transition releases are not modelled; use 4.12 or 4.16+`,
    );
  }
  return {
    label: version,
    legacy: false,
    indentPolicyJson: minor >= 17,
    encodesAlsHelper: minor >= 19,
    clusterImagePolicies: true,
    sigstoreMirrors: minor >= 17,
    namespacedPolicies: minor >= 18,
  };
}
