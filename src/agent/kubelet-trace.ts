// A trace of a pod's pull as the kubelet makes it (kubernetes pkg/kubelet/kuberuntime/
// kuberuntime_image.go `pullImage`): one CRI PullImage per credential its keyring returns for the
// requested image, in order, until one succeeds; without any, one PullImage without auth. The
// keyring is the pod's pull secrets (matched by the collector, first) and then the node's own
// keyring: /var/lib/kubelet/config.json, when CRI-O's auth file is that file (OpenShift).
// Credential-provider plugins (ECR, GCR, ACR…) are not modelled; the trace says so.
import { kubeletCredentialsFor, kubeletKey, type KeyringEntry } from '../core/credentials/kubelet-keyring.js';
import { Credentials } from '../core/credentials/secret.js';
import { nameOf, parseNormalizedNamed } from '../core/reference/reference.js';
import { NODE_PATHS } from '../host/node-root.js';
import type { WirePullCredential } from '../protocol/messages.js';
import type { CriAuth } from '../trace/cri-credentials.js';
import type { TraceContext } from '../trace/context.js';
import type { TraceResult } from '../trace/types.js';

export interface KubeletAttempt {
  /** Where the credentials came from (never the value); null: a pull without credentials. */
  readonly credentials: string | null;
  readonly outcome: 'pulled' | 'failed';
  readonly reason: string;
}

export interface KubeletTrace {
  /** Every PullImage the kubelet makes, in order; the trace shown is the last one's. */
  readonly attempts: readonly KubeletAttempt[];
  readonly notes: readonly string[];
}

/** The node keyring's credentials for the image, when the node's auth file is the kubelet's config.json. */
function nodeKeyring(context: TraceContext, imageName: string): CriAuth[] {
  const slot = context.authSlot;
  if (context.authFile.external || slot.path !== NODE_PATHS.kubeletPullSecret || slot.file === null)
    return [];
  const entries: KeyringEntry[] = [];
  for (const a of slot.file.auths) {
    const key = kubeletKey(a.key);
    if (key !== null) entries.push({ secret: slot.path, key, credentials: a.credentials });
  }
  return kubeletCredentialsFor([{ entries }], imageName).map((e) => ({
    credentials: e.credentials,
    from: `node keyring ${e.secret}, key "${e.key}"`,
  }));
}

export async function traceAsKubelet(
  image: string,
  podCredentials: readonly WirePullCredential[],
  context: TraceContext,
  run: (cri: CriAuth | null) => Promise<TraceResult>,
): Promise<TraceResult & { readonly kubelet: KubeletTrace }> {
  let imageName: string | null = null;
  try {
    imageName = nameOf(parseNormalizedNamed(image));
  } catch {
    // The trace itself reports the invalid reference.
  }
  const fromPod: CriAuth[] = podCredentials.map((c) => ({
    credentials: new Credentials({ username: c.username, password: c.password, identityToken: '' }),
    from: `pull secret ${c.secret}, key "${c.key}"`,
  }));
  const all = [...fromPod, ...(imageName === null ? [] : nodeKeyring(context, imageName))];
  const notes = [
    all.length === 0
      ? `the kubelet finds no credentials for ${imageName ?? image} in the pod's pull secrets or the node keyring, so it pulls without any and CRI-O uses ${context.authFile.path} for every source`
      : `the kubelet tries ${all.length} credential(s) for ${imageName ?? image}, one PullImage each, until one pulls`,
    'credential-provider plugins of the kubelet (if configured) are not modelled',
    ...(context.authFile.external || context.authSlot.path !== NODE_PATHS.kubeletPullSecret
      ? [
          `the kubelet's own keyring (${NODE_PATHS.kubeletPullSecret}) is not read here: CRI-O's auth file is ${context.authFile.path}`,
        ]
      : []),
  ];
  const attempts: KubeletAttempt[] = [];
  let last: TraceResult | null = null;
  for (const cri of all.length === 0 ? [null] : all) {
    last = await run(cri);
    const pulled = last.result.outcome === 'pulled';
    attempts.push({
      credentials: cri?.from ?? null,
      outcome: pulled ? 'pulled' : 'failed',
      reason: last.result.reason,
    });
    if (pulled) break;
  }
  return { ...last!, kubelet: { attempts, notes } };
}
