// The credentials one source of a pull gets. CRI-O (server/image_pull.go, v1.25.0 315a0cb5 through
// v1.36.0 d1e7bdc8: unchanged) turns the CRI auth the kubelet sends into
// `SystemContext.DockerAuthConfig` when it carries a username; containers/image
// (docker/docker_image_src.go `newImageSourceAttempt`, the same in every c/image those CRI-O
// versions vendor) then uses ONLY those for a source on the requested image's domain, and drops them
// for a source on another domain, which gets the auth file's lookup instead.
import { describeLookup, lookupCredentials, type CredentialLookup } from '../core/credentials/lookup.js';
import type { Credentials } from '../core/credentials/secret.js';
import type { TraceContext } from './context.js';

/** The credentials of one CRI PullImage, and where the kubelet took them from (never the value). */
export interface CriAuth {
  readonly credentials: Credentials;
  /** e.g. `pull secret shop/registry-creds, key "mirror.example:5000"`. */
  readonly from: string;
}

export interface SourceLookup {
  readonly lookup: CredentialLookup;
  /** The trace's credentials step. */
  readonly text: string;
}

/** `key` is the source's `Name()`, looked up in the auth files when the kubelet's credentials do not apply. */
export function sourceLookup(
  context: Pick<TraceContext, 'credentialHelpers' | 'authSlots'>,
  key: string,
  physicalDomain: string,
  logicalDomain: string,
  cri: CriAuth | null,
): SourceLookup {
  const sent = cri !== null && cri.credentials.reveal().username !== '';
  if (sent && physicalDomain === logicalDomain) {
    const slash = key.indexOf('/');
    return {
      lookup: {
        key,
        registry: slash === -1 ? key : key.slice(0, slash),
        match: { file: `sent by the kubelet (${cri.from})`, key: logicalDomain },
        credentials: cri.credentials,
        events: [],
        error: null,
      },
      text: `Using the credentials the kubelet sent with the pull (${cri.from}): containers/image uses only these for sources on ${logicalDomain}, never the auth file`,
    };
  }
  const lookup = lookupCredentials(key, context.credentialHelpers, context.authSlots);
  const listed = context.authSlots
    .map((f) => (f.file === null ? `${f.path} (does not exist)` : f.path))
    .join(', ');
  const searched = lookup.match ? '' : ` (searched ${listed})`;
  const dropped = sent
    ? `; the credentials the kubelet sent (${cri.from}) are not used here: containers/image drops them for a source on another domain than ${logicalDomain}`
    : '';
  return { lookup, text: `${describeLookup(lookup)}${searched}${dropped}` };
}
