// The agent's half of "mirror credentials only in the pod's pull secret": per image, each source and
// whether the node's auth file (CRI-O's global_auth_file, else the node pull secret) has credentials
// for it. When the agent cannot see that file at all (the pull-secret component is not deployed),
// every answer is "cannot tell", never "none".
import path from 'node:path';
import { lookupCredentials } from '../core/credentials/lookup.js';
import { sourceCredentials, type SourceCredentialStatus } from '../core/credentials/source-credentials.js';
import type { ResolveResult } from '../core/resolve/types.js';
import type { HostConfig } from './host-config.js';

export interface AuthFileVisibility {
  readonly ok: boolean;
  readonly reason: string;
  /** The auth file(s) searched, for the answer "none". */
  readonly searched: string;
}

/** A missing auth file means "no credentials" only when its directory is visible to the agent. */
export async function authFileVisibility(config: HostConfig): Promise<AuthFileVisibility> {
  const trace = config.trace;
  if (trace === null) return { ok: false, reason: 'the node configuration does not load', searched: '' };
  const searched = trace.authSlots.map((s) => s.path).join(', ');
  if (trace.authSlots.some((s) => s.file !== null)) return { ok: true, reason: '', searched };
  const file = trace.authFile.path;
  if (trace.authFile.external || (await config.root.isDirectory(path.posix.dirname(file))))
    return { ok: true, reason: '', searched: `${searched}, which does not exist` };
  return {
    ok: false,
    searched,
    reason: `the agent cannot see ${path.posix.dirname(file)} (deploy it with the pull-secret component to read ${file})`,
  };
}

export function imageSourceCredentials(
  config: HostConfig,
  resolution: ResolveResult,
  visible: AuthFileVisibility,
): SourceCredentialStatus[] {
  const trace = config.trace;
  if (trace === null) return [];
  return sourceCredentials(
    resolution,
    (name) => lookupCredentials(name, trace.credentialHelpers, trace.authSlots),
    visible,
  );
}
