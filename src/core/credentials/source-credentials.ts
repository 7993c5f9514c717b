// Per source of an image: does containers/image send it the credentials the kubelet passes with the
// pull, and does the node's auth file hold credentials for it? Hosts and key names only, never a
// secret. The rule: CRI-O (v1.25.0 315a0cb5 … v1.36.0 d1e7bdc8, server/image_pull.go) sets
// `SystemContext.DockerAuthConfig` from the CRI auth when it has a username; containers/image
// (docker/docker_image_src.go `newImageSourceAttempt`, vendored the same in all of them) drops it for
// a source whose domain differs from the requested image's, which then uses the auth file alone.
import { parseCanonicalNamed, nameOf } from '../reference/reference.js';
import type { ResolveResult } from '../resolve/types.js';
import type { CredentialLookup } from './lookup.js';

export type NodeAuthState = 'found' | 'none' | 'unknown';

export interface SourceCredentialStatus {
  /** `Name()` of the physical reference (the auth-file lookup key). */
  readonly reference: string;
  readonly host: string;
  readonly mirror: boolean;
  /** The source is on the requested image's domain, so the kubelet's credentials reach it. */
  readonly kubeletCredentials: boolean;
  readonly nodeAuth: NodeAuthState;
  /** The auth-file key that matched (found), the file searched (none), or why it cannot be told (unknown). */
  readonly detail: string | null;
}

/**
 * `lookup(name)` is containers/image's lookup in the node's auth file; `visible` false when the
 * agent cannot see that file at all (then nothing can be said about it).
 */
export function sourceCredentials(
  resolution: ResolveResult,
  lookup: (name: string) => CredentialLookup,
  visible: { readonly ok: boolean; readonly reason: string; readonly searched: string },
): SourceCredentialStatus[] {
  const out: SourceCredentialStatus[] = [];
  const seen = new Set<string>();
  for (const candidate of resolution.candidates) {
    if (candidate.error !== null) continue;
    const logicalDomain = parseCanonicalNamed(candidate.image).domain;
    for (const source of candidate.sources) {
      if (source.blocked) continue;
      const physical = parseCanonicalNamed(source.reference);
      const reference = nameOf(physical);
      if (seen.has(reference)) continue;
      seen.add(reference);
      const base = {
        reference,
        host: source.host,
        mirror: source.mirror,
        kubeletCredentials: physical.domain === logicalDomain,
      };
      if (!visible.ok) {
        out.push({ ...base, nodeAuth: 'unknown', detail: visible.reason });
        continue;
      }
      const found = lookup(reference);
      const helper = found.events.find((e) => e.kind === 'cred-helper');
      if (found.error !== null) out.push({ ...base, nodeAuth: 'unknown', detail: found.error });
      else if (found.match !== null) out.push({ ...base, nodeAuth: 'found', detail: found.match.key });
      else if (helper !== undefined && helper.kind === 'cred-helper')
        out.push({
          ...base,
          nodeAuth: 'unknown',
          detail: `credential helper docker-credential-${helper.helper} would be asked; mirrorscope does not run helpers`,
        });
      else out.push({ ...base, nodeAuth: 'none', detail: visible.searched });
    }
  }
  return out;
}

/** Estimated bytes held, for the collector's per-node limit. */
export function sourceCredentialsBytes(sources: readonly SourceCredentialStatus[] | undefined): number {
  let bytes = 0;
  for (const s of sources ?? []) bytes += 48 + s.reference.length + s.host.length + (s.detail?.length ?? 0);
  return bytes;
}
