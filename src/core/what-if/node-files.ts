// The node files a proposed render changes, as an overlay over the node's own files: what the MCO
// would write (registries.conf always; policy.json, the search-registries drop-in and the signature
// files where the objects decide them), everything else — credentials, certs.d, crio.conf, other
// drop-ins — stays the node's.
import { encodePolicyJson, MCO_TEMPLATE_POLICY } from '../mco/policy-json.js';
import { POLICY_JSON_PATH, REGISTRIES_CONF_PATH, SEARCH_REGISTRIES_DROP_IN_PATH } from '../mco/render.js';
import { SIGSTORE_REGISTRIES_D_PATH } from '../mco/sigstore-render.js';
import type { ClusterObjects, RenderResult } from '../mco/types.js';
import type { McoProfile } from '../mco/versions.js';

export { isOverridablePath } from './overridable-paths.js';

/** Node path → new text, or null when the file goes away. */
export type ProposedFiles = Map<string, string | null>;

/**
 * The files a node of the pool gets from this (accepted) render. `objects` says what the proposal
 * decides: without an image.config object the node keeps its policy.json and search drop-in unless
 * the render writes them (a what-if over mirror objects alone says nothing about them).
 */
export function proposedFiles(
  result: RenderResult,
  objects: ClusterObjects,
  profile: McoProfile,
): ProposedFiles {
  const files: ProposedFiles = new Map();
  if (result.registriesConf !== null) files.set(REGISTRIES_CONF_PATH, result.registriesConf);
  const imageConfigDecides = objects.image !== null;
  if (result.policyJsonText !== null) files.set(POLICY_JSON_PATH, `${result.policyJsonText}\n`);
  else if (imageConfigDecides)
    files.set(POLICY_JSON_PATH, `${encodePolicyJson(MCO_TEMPLATE_POLICY, profile.indentPolicyJson)}\n`);
  if (result.searchRegistriesDropIn !== null)
    files.set(SEARCH_REGISTRIES_DROP_IN_PATH, result.searchRegistriesDropIn);
  else if (imageConfigDecides) files.set(SEARCH_REGISTRIES_DROP_IN_PATH, null);
  const policiesDecide = (objects.imagePolicies?.length ?? 0) > 0;
  if (result.sigstoreRegistriesYaml !== null)
    files.set(SIGSTORE_REGISTRIES_D_PATH, result.sigstoreRegistriesYaml);
  else if (policiesDecide) files.set(SIGSTORE_REGISTRIES_D_PATH, null);
  for (const p of result.namespacedPolicies) files.set(p.path, `${p.text}\n`);
  return files;
}
