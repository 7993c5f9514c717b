import type { FindingDefinition } from '../types.js';

/** Findings about signature storage, signature verification and policy.json. */
export const SIGNATURE_FINDINGS = {
  'signature-storage-local-only': {
    severity: 'error',
    title:
      'The policy requires signatures for a scope whose signatures are read from a local file:// store (or only a staging location is set), so this node verifies only images signed on it.',
    fix: 'Set `lookaside:` in a registries.d file for that registry to the http(s) URL where the signatures are published.',
  },
  'signature-missing': {
    severity: 'error',
    title:
      'The policy requires a signature and the signature store has none for this image: "A signature was required, but no signature exists".',
    fix: 'Publish the signature to the lookaside the node reads (or sign the image), or point registries.d at where the signatures are.',
  },
  'signature-store-unreachable': {
    severity: 'error',
    title:
      'The signature store could not be read; containers/image fails the pull instead of treating it as "no signature".',
    fix: 'Make the lookaside URL reachable from the node (any answer other than 200 or 404 fails the pull).',
  },
  'signature-key-missing': {
    severity: 'error',
    title:
      'A policy key file (keyPath/keyPaths) does not exist on the node, so no signature can be accepted.',
    fix: 'Install the public key at the path the policy names (e.g. through a MachineConfig), or use keyData.',
  },
  'signature-invalid': {
    severity: 'error',
    title:
      'A signature exists but is refused: bad signature, unknown key, or manifest digest/identity mismatch.',
    fix: 'Re-sign the image for the reference users pull with a key the policy trusts, or adjust signedIdentity (e.g. remapIdentity for mirrors).',
  },
  'policy-rejects': {
    severity: 'error',
    title: 'A `reject` requirement applies to the image: "Running image docker://… is rejected by policy."',
    fix: 'Add a more specific transports.docker scope for the registry with the requirement you want (e.g. signedBy).',
  },
  'policy-invalid': {
    severity: 'error',
    title: 'policy.json is rejected by containers/image, so every pull that reads it fails.',
    fix: 'Correct the policy at the line named (unknown or duplicate keys are errors).',
  },
  'mirror-signature-missing': {
    severity: 'error',
    title:
      'The mirror serves the image but its signature store lacks the signature; CRI-O does not fall back to the source, so the pull fails.',
    fix: "Copy the signatures to the mirror's lookaside (skopeo copy copies them when the mirror scope has lookaside-staging) or point the mirror scope at the source's lookaside.",
  },
  'release-signature-missing-on-mirror': {
    severity: 'warning',
    title:
      'An OpenShift release payload image comes from a mirror that lacks its sigstore signature (sha256-<digest>.sig); from 4.21 the default "openshift" ClusterImagePolicy requires it, so pulls and the next upgrade fail.',
    fix: 'Mirror the signatures too: oc-mirror v2 without --remove-signatures, or copy the `sha256-<digest>.sig` tag of each payload digest to the mirror (skopeo copy --all of the .sig tag).',
  },
} as const satisfies Record<string, FindingDefinition>;
