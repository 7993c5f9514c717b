// What the probes of one image's sources mean, as findings: each source CRI-O reached and that failed
// says why (unreachable, manifest missing, auth, TLS, plain HTTP, digest), a mirror that served an old
// tag is stale, and a pull that fails is explained once. Pure: it reads a trace result.
import { mismatchedAuthKey } from './auth-key-mismatch.js';
import { blockedNoMirror } from './static-mirror-findings.js';
import { findingKey, keyed, keyStatic } from './finding-key.js';
import type { NodeFinding } from '../findings/types.js';
import type { ProbedImage, ProbedSource } from './types.js';

export interface ProbeDiagnosisContext {
  /** Key names of the auth file CRI-O searches (never the credentials). */
  readonly authKeys: readonly string[];
  /** Node path of that auth file, for messages. */
  readonly authFile: string;
}

const PLAIN_HTTP = 'server gave HTTP response to HTTPS client';

function repositoryName(reference: string): string {
  const at = reference.indexOf('@');
  const noDigest = at === -1 ? reference : reference.slice(0, at);
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

function mirrorFinding(s: ProbedSource, ctx: ProbeDiagnosisContext): NodeFinding | null {
  const at = s.configuredAt ? ` (configured at ${s.configuredAt})` : '';
  const base = { location: s.configuredAt, host: s.host };
  switch (s.outcome) {
    case 'unreachable':
    case 'timeout':
      return keyed({
        ...base,
        id: 'mirror-unreachable',
        message: `Mirror ${s.host} is unreachable: ${s.reason}${at}.`,
        scope: s.host,
        subject: s.host,
      });
    case 'tls-untrusted':
      return keyed({
        ...base,
        id: 'mirror-tls-untrusted',
        message: `Mirror ${s.host} presents a certificate this node does not trust: ${s.reason}${at}.`,
        scope: s.host,
        subject: s.host,
        fix: `Add the CA that signed ${s.host}'s certificate to image.config.openshift.io/cluster additionalTrustedCA (key "${s.host.replace(':', '..')}"), which writes /etc/docker/certs.d/${s.host}/ca.crt.`,
      });
    case 'manifest-unknown':
      return keyed({
        ...base,
        id: 'mirror-manifest-missing',
        message: `Mirror ${s.host} does not have ${s.reference} (manifest unknown), so CRI-O moves on${at}.`,
        scope: s.host,
        subject: s.reference,
        image: s.image,
        fix: `Mirror ${s.image} to ${s.reference} (oc-mirror, or skopeo copy --all docker://${s.image} docker://${s.reference}).`,
      });
    case 'blob-missing':
      return blobMissingFinding(s, base, at);
    case 'unauthorized':
    case 'denied': {
      if (s.credentials !== null) {
        return keyed({
          ...base,
          id: 'mirror-auth-rejected',
          message: `Mirror ${s.host} refuses the credentials found in ${s.credentials.file} under "${s.credentials.key}": ${s.reason}${at}.`,
          scope: s.host,
          subject: s.host,
        });
      }
      const other = mismatchedAuthKey(repositoryName(s.reference), ctx.authKeys);
      if (other !== null) {
        return keyed({
          ...base,
          id: 'mirror-auth-key-mismatch',
          message: `Mirror ${s.host} requires authentication; ${ctx.authFile} has credentials under "${other}", but containers/image looks up ${repositoryName(s.reference)} and its parents down to "${s.host}" exactly, so none are sent${at}.`,
          scope: s.host,
          subject: s.host,
          fix: `Add an entry "${s.host}" (exactly as the mirror is contacted) to the cluster pull secret.`,
        });
      }
      return keyed({
        ...base,
        id: 'mirror-auth-missing',
        message: `Mirror ${s.host} requires authentication and ${ctx.authFile} has no credentials for it: ${s.reason}${at}.`,
        scope: s.host,
        subject: s.host,
        fix: `Add "${s.host}" to the cluster pull secret (openshift-config/pull-secret).`,
      });
    }
    case 'error':
      if (s.reason.includes(PLAIN_HTTP) && !s.insecure) {
        return keyed({
          ...base,
          id: 'mirror-http-not-insecure',
          message: `Mirror ${s.host} answers plain HTTP, but it is not insecure in registries.conf, so CRI-O refuses it: http: ${PLAIN_HTTP}${at}.`,
          scope: s.host,
          subject: s.host,
        });
      }
      if (/digest .* does not match/i.test(s.reason)) {
        return keyed({
          ...base,
          id: 'mirror-digest-mismatch',
          message: `Mirror ${s.host} serves a different manifest for ${s.reference}: ${s.reason}${at}.`,
          scope: s.host,
          subject: s.reference,
          image: s.image,
        });
      }
      return keyed({
        ...base,
        id: 'mirror-unreachable',
        message: `Mirror ${s.host} fails: ${s.reason}${at}.`,
        scope: s.host,
        subject: s.host,
      });
    default:
      return null;
  }
}

function blobMissingFinding(
  s: ProbedSource,
  base: { location: string | null; host: string },
  at: string,
): NodeFinding {
  const missing = s.blobs?.missing ?? [];
  const first = missing[0];
  const what =
    first === undefined
      ? 'a blob of the image'
      : first.role === 'layer'
        ? `layer ${first.layer} (${first.digest})`
        : `the ${first.role} ${first.digest}`;
  const more = missing.length > 1 ? ` and ${missing.length - 1} more blob(s)` : '';
  const platform = s.blobs?.platform ? ` for ${s.blobs.platform}` : '';
  // c/image reuses a layer the node already stores: only a node without it fails on that layer.
  const reuse =
    first?.role === 'layer' ? ' (a node that already stores that layer, from another image, skips it)' : '';
  return keyed({
    ...base,
    id: 'mirror-blob-missing',
    message: `Mirror ${s.host} serves the manifest of ${s.reference}${platform} but not ${what}${more}${reuse}; the pull fails there, and CRI-O does not fall back to the next source${at}.`,
    scope: s.host,
    subject: `${s.reference}|${first?.digest ?? ''}`,
    image: s.image,
    fix: `Mirror ${s.image} to ${s.reference} again completely (oc-mirror, or skopeo copy --all docker://${s.image} docker://${s.reference}), and look for what deleted the blob (registry garbage collection, an interrupted copy).`,
  });
}

function staleFinding(s: ProbedSource): NodeFinding | null {
  if (s.stale?.stale !== true) return null;
  return keyed({
    id: 'mirror-stale-tag',
    message: `${s.stale.reason}.`,
    location: s.configuredAt,
    scope: s.host,
    subject: s.reference,
    image: s.image,
    host: s.host,
    fix: `Re-sync ${s.image} to ${s.reference}, or pin the image by digest.`,
  });
}

function signatureFindings(probe: ProbedImage): NodeFinding[] {
  const list = probe.result.signature?.findings;
  if (!Array.isArray(list)) return [];
  return list.map((f: NodeFinding) => ({
    ...keyStatic(f, probe.image),
    key: findingKey(f.id, f.scope, `${probe.image}|${f.file ?? ''}:${f.line ?? ''}`),
  }));
}

/** A release payload image whose mirror lacks the sigstore signature the 4.21+ default policy requires. */
function releaseSignatureFinding(probe: ProbedImage): NodeFinding | null {
  const check = probe.result.releaseSignature;
  if (check === undefined || check.present !== false) return null;
  const mirror = check.attachment.split('/')[0]!;
  const required = probe.result.signature?.['required'] === true;
  return keyed({
    id: 'release-signature-missing-on-mirror',
    message: `${probe.image} is an OpenShift release payload image and its mirror has no sigstore signature: ${check.reason}. ${required ? 'The signature policy requires it, so the pull fails' : 'From 4.21 the default "openshift" ClusterImagePolicy requires it for ocp-release (4.22: every payload image), so the pull or the next upgrade will fail'}.`,
    location: null,
    scope: mirror,
    subject: check.attachment,
    image: probe.image,
    host: mirror,
  });
}

/** Findings for one probed image. The keys of those that explain a failed pull are in `explaining`. */
export function diagnoseProbe(
  probe: ProbedImage,
  ctx: ProbeDiagnosisContext,
): { findings: NodeFinding[]; explaining: string[] } {
  const failed = probe.result.outcome === 'failed';
  const findings: NodeFinding[] = [];
  const explaining: string[] = [];
  const push = (f: NodeFinding | null, explains: boolean) => {
    if (f === null) return;
    findings.push(f);
    if (explains && failed) explaining.push(f.key);
  };
  for (const s of probe.sources) {
    if (!s.reachedByCrio) continue;
    if (s.mirror) push(mirrorFinding(s, ctx), true);
    push(staleFinding(s), false);
  }
  for (const f of signatureFindings(probe)) push(f, true);
  push(releaseSignatureFinding(probe), true);
  if (failed) {
    const tried = probe.sources.filter((s) => s.reachedByCrio);
    const blocked = tried.find((s) => !s.mirror && s.outcome === 'blocked');
    if (blocked) {
      const mirrors = tried.filter((s) => s.mirror);
      const why =
        mirrors.length === 0
          ? 'no mirror is tried for it'
          : `none of its mirrors serves it (${mirrors.map((m) => `${m.host}: ${m.outcome}`).join(', ')})`;
      push(
        blockedNoMirror(
          { image: probe.image },
          blocked.reason.replace(/^registry (\S+) is blocked.*$/, '$1'),
          why,
          blocked.configuredAt,
        ),
        true,
      );
    } else {
      // What CRI-O reports as the pull error (the last source's failure; mirror failures come before it).
      push(
        keyed({
          id: 'image-pull-fails',
          message: `${probe.image} cannot be pulled: ${probe.error?.message ?? probe.result.reason}.`,
          location: null,
          scope: null,
          subject: probe.image,
          image: probe.image,
        }),
        true,
      );
    }
  }
  return { findings, explaining };
}

/**
 * A pull by digest that a mirror does not have, while the same mirror serves the image's tag under
 * another digest: the copy did not preserve digests (single-arch copy, converted manifest). `tagProbe`
 * is the probe of the same image by its tag alone.
 */
export function digestMismatchFindings(
  digestProbe: ProbedImage,
  tagProbe: ProbedImage,
  wanted: string,
): NodeFinding[] {
  const out: NodeFinding[] = [];
  for (const s of digestProbe.sources) {
    if (!s.mirror || !s.reachedByCrio || s.outcome !== 'manifest-unknown') continue;
    const byTag = tagProbe.sources.find(
      (t) =>
        t.mirror && t.host === s.host && t.outcome === 'found' && t.digest !== null && t.digest !== wanted,
    );
    if (byTag === undefined) continue;
    out.push(
      keyed({
        id: 'mirror-digest-mismatch',
        message: `Mirror ${s.host} does not have ${s.reference}, but serves ${byTag.reference} as ${byTag.digest}: the image was mirrored without preserving its digest${s.configuredAt ? ` (configured at ${s.configuredAt})` : ''}.`,
        location: s.configuredAt,
        scope: s.host,
        subject: s.reference,
        image: digestProbe.image,
        host: s.host,
      }),
    );
  }
  return out;
}
