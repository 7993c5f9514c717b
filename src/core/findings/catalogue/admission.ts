import type { FindingDefinition } from '../types.js';

/** Findings about admission (Portieris, Gatekeeper): a pod refused before any pull is tried. */
export const ADMISSION_FINDINGS = {
  'admission-no-policy': {
    severity: 'error',
    title:
      "Portieris refuses the image: no repository of the namespace's ImagePolicies (or, when the namespace has none, of the ClusterImagePolicies) matches the image as the pod spec writes it.",
    fix: "Add a repository pattern for the image as written in the pod spec to the namespace's ImagePolicy, or to a ClusterImagePolicy when the namespace has no ImagePolicy.",
  },
  'admission-signature-missing': {
    severity: 'error',
    title:
      'Portieris requires a simple signature and finds none ("A signature was required, but no signature exists"): it reads signatures from the registry named in the pod spec or the policy\'s storeURL, never from a mirror.',
    fix: "Sign the image and publish the signature where the policy's storeURL points (or the registry's signature API), with storeSecret's credentials if the store needs them.",
  },
  'admission-repo-not-allowed': {
    severity: 'error',
    title:
      'A Gatekeeper repository constraint (K8sAllowedRepos/K8sDisallowedRepos) refuses the image as written in the pod spec; the mirror CRI-O would pull from is never seen by admission.',
    fix: 'Name an allowed registry in the pod spec (the mirror itself, when mirroring is the point), or add its prefix, ending in "/", to the constraint\'s parameters.repos.',
  },
} as const satisfies Record<string, FindingDefinition>;
