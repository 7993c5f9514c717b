import type { FindingDefinition } from '../types.js';

/** Findings about mirrors as a node sees them: probes of its sources, and what the configuration makes CRI-O skip. */
export const MIRROR_FINDINGS = {
  'mirror-unreachable': {
    severity: 'warning',
    title:
      'A mirror does not answer (connection refused, DNS failure or timeout); CRI-O moves on to the next source.',
    fix: 'Make the mirror reachable from the node (DNS, firewall, proxy noProxy), or remove it from the mirror set.',
  },
  'mirror-manifest-missing': {
    severity: 'warning',
    title: 'The mirror answers "manifest unknown" for the image: it was never mirrored, or was pruned.',
    fix: 'Mirror the image (oc-mirror / skopeo copy --all) to the path the rewrite rule produces.',
  },
  'mirror-digest-mismatch': {
    severity: 'warning',
    title:
      'The mirror serves a manifest whose digest differs from the one asked for: the copy did not preserve digests.',
    fix: 'Re-mirror with digests preserved (skopeo copy --all --preserve-digests, or oc-mirror) so the referenced digest exists.',
  },
  'mirror-auth-missing': {
    severity: 'warning',
    title: 'The mirror requires authentication and the node pull secret has no credentials for it.',
    fix: 'Add the mirror host (host:port exactly) to the cluster pull secret (openshift-config/pull-secret).',
  },
  'mirror-auth-rejected': {
    severity: 'warning',
    title: 'The mirror refuses the credentials the node pull secret has for it (401/403).',
    fix: 'Update the credentials for the mirror in the cluster pull secret, or grant that account pull access.',
  },
  'mirror-auth-key-mismatch': {
    severity: 'warning',
    title:
      "The pull secret has credentials for the mirror's host under another key (host without the port, or another path); containers/image matches keys exactly, so none are sent.",
    fix: 'Add a pull-secret entry whose key is the mirror exactly as contacted (host:port, or a parent path of the repository).',
  },
  'auth-key-host-mismatch': {
    severity: 'warning',
    title:
      "A pull-secret key names a mirror's machine but can never match it (another port, or a path that is not a prefix of the mirror's repositories): found from the files, before any pull fails.",
    fix: 'Add a pull-secret entry whose key is the mirror exactly as contacted (host:port, or a parent path of the repository).',
  },
  'mirror-tls-untrusted': {
    severity: 'warning',
    title:
      "The mirror's TLS certificate is not trusted by the node (CA missing from certs.d and the system bundle).",
    fix: 'Add the CA to image.config.openshift.io/cluster additionalTrustedCA (key host..port), so it lands in /etc/docker/certs.d/HOST:PORT/.',
  },
  'mirror-http-not-insecure': {
    severity: 'warning',
    title:
      'The mirror speaks plain HTTP but is not declared insecure, so CRI-O refuses it ("server gave HTTP response to HTTPS client").',
    fix: 'Serve the mirror over TLS, or list it in image.config.openshift.io/cluster insecureRegistries (insecure = true).',
  },
  'mirror-blob-missing': {
    severity: 'error',
    title:
      'The mirror serves the manifest but not a blob of the image (an interrupted mirroring run, garbage collection): the pull fails there, and CRI-O does not fall back to the next mirror or the source.',
    fix: 'Mirror the image again completely (oc-mirror, or skopeo copy --all) and check the mirror registry for deleted blobs (garbage collection, storage quota).',
  },
  'mirror-stale-tag': {
    severity: 'warning',
    title:
      'The mirror serves the tag, but the source registry has a newer manifest for it: nodes run an old build.',
    fix: 'Re-sync the tag to the mirror (or pin the image by digest).',
  },
  'tag-pull-bypasses-mirrors': {
    severity: 'warning',
    title:
      'The image is pulled by tag and its mirrors are digest-only (ICSP/IDMS), so CRI-O goes straight to the source: "my ICSP is ignored".',
    fix: 'Pin the image by digest, or mirror tags with an ImageTagMirrorSet (pull-from-mirror = "tag-only"/"all").',
  },
  'mirror-shadowed': {
    severity: 'warning',
    title:
      'A more specific [[registry]] entry without mirrors matches the image, so the mirrors of a broader entry are not used.',
    fix: 'Add the mirrors to the more specific entry too (or remove it); containers/image uses only the longest matching prefix.',
  },
  'source-blocked-no-working-mirror': {
    severity: 'error',
    title:
      'The source registry is blocked (NeverContactSource) and no mirror serves the image, so the pull fails.',
    fix: 'Mirror the image to one of the mirrors (and fix the mirror findings above), or allow contacting the source.',
  },
  'image-pull-fails': {
    severity: 'error',
    title: 'No source serves the image, so CRI-O cannot pull it.',
    fix: 'Follow the reason: `mirrorscope trace IMAGE` shows every source CRI-O tries and what each answers.',
  },
} as const satisfies Record<string, FindingDefinition>;
