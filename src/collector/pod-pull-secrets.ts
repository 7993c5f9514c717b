// The pull secrets pods name, read by name (`get`; never `list` or `watch`) with the opt-in
// pod-pull-secrets RBAC. What is kept is each secret's registry keys (hosts and paths), never a
// value; values are read again, only for a trace of a pod, and handed to that trace alone.
// Which secrets: `pod.spec.imagePullSecrets`, as the kubelet reads them (getPullSecretsForPod); the
// ServiceAccount's imagePullSecrets are in there already when the pod named none at creation
// (the ServiceAccount admission plugin copies them), and the kubelet never reads the ServiceAccount.
import type { CoreV1Api, V1Pod, V1Secret } from '@kubernetes/client-node';
import {
  kubeletCredentialsFor,
  parsePullSecret,
  type KeyringEntry,
  type ParsedPullSecret,
} from '../core/credentials/kubelet-keyring.js';
import {
  podSecretFindings,
  type PodPulls,
  type PodSecretFinding,
  type SecretKeys,
} from '../core/diagnose/pod-secret-credentials.js';
import type { NodeInput } from '../core/report/types.js';
import { nameOf, parseNormalizedNamed } from '../core/reference/reference.js';
import type { WirePullCredential } from '../protocol/messages.js';
import { kubeStatusCode } from '../kube/api-error.js';

export interface PodPullSecretsOptions {
  /** How long a secret's keys are trusted before it is read again (default 5 min). */
  readonly ttlMs?: number;
  /** Secrets read at once (default 4). */
  readonly concurrency?: number;
  /** Called when what is known changed (the report is built again). */
  readonly onChange: () => void;
  readonly log: (level: 'info' | 'warn', message: string) => void;
}

type ReadAnswer =
  | { readonly kind: 'secret'; readonly parsed: ParsedPullSecret | null }
  | { readonly kind: 'absent' }
  | { readonly kind: 'unreadable'; readonly reason: string; readonly status: number | null };

/** Only for a trace: the credentials, in the kubelet's order, and what the trace must say. */
export interface PodCredentials {
  readonly entries: readonly KeyringEntry[];
  readonly notes: readonly string[];
  /** The kubelet fails the pull before it reaches CRI-O (a secret it cannot decode). */
  readonly failure: string | null;
}

const RETRY_MS = 30_000;

/** What a trace for a pod sends its agent, and what its answer may show (never a value). */
export type PodTraceCredentials =
  | {
      readonly ok: true;
      /** Only for the trace-request over the authenticated agent link. */
      readonly credentials: readonly WirePullCredential[];
      readonly used: readonly { readonly secret: string; readonly key: string }[];
      readonly notes: readonly string[];
    }
  | { readonly ok: false; readonly status: number; readonly message: string };

export type PodCredentialSource = (
  namespace: string,
  pod: string,
  image: string,
) => Promise<PodTraceCredentials>;

/** `spec.imagePullSecrets` names, in order; empty names are skipped as the kubelet skips them. */
export function pullSecretNames(pod: V1Pod): string[] {
  return (pod.spec?.imagePullSecrets ?? []).map((r) => r.name ?? '').filter((n) => n !== '');
}

/** What the finding needs of each scheduled pod that names pull secrets and may still pull. */
export function podPulls(pods: readonly V1Pod[]): PodPulls[] {
  const out: PodPulls[] = [];
  for (const pod of pods) {
    const node = pod.spec?.nodeName;
    const namespace = pod.metadata?.namespace;
    const name = pod.metadata?.name;
    if (!node || !namespace || !name || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed')
      continue;
    const pullSecrets = pullSecretNames(pod);
    if (pullSecrets.length === 0) continue;
    const images = [pod.spec?.containers, pod.spec?.initContainers, pod.spec?.ephemeralContainers].flatMap(
      (list) => (list ?? []).flatMap((c) => (c.image ? [c.image] : [])),
    );
    out.push({ namespace, name, node, images, pullSecrets });
  }
  return out;
}

export class PodPullSecrets {
  private readonly known = new Map<string, { readonly at: number; readonly keys: SecretKeys }>();
  private readonly queue = new Set<string>();
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly ttlMs: number;

  constructor(
    private readonly core: Pick<CoreV1Api, 'readNamespacedSecret'>,
    private readonly options: PodPullSecretsOptions,
  ) {
    this.ttlMs = options.ttlMs ?? 300_000;
  }

  /** Re-reads the secrets of `pods()` as they age (a secret can change without any pod changing). */
  start(pods: () => readonly V1Pod[]): void {
    this.timer = setInterval(() => this.podsChanged(pods()), Math.min(this.ttlMs, 60_000));
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  keys(namespace: string, name: string): SecretKeys | undefined {
    return this.known.get(`${namespace}/${name}`)?.keys;
  }

  /** The report's findings about pods' pull secrets, from what is known now. */
  findings(
    pods: readonly V1Pod[],
    nodes: readonly NodeInput[],
    openshift: boolean | null,
  ): PodSecretFinding[] {
    const byNode = new Map(nodes.map((n) => [n.name, n.agent]));
    return podSecretFindings({
      pods: podPulls(pods),
      images: (node) => byNode.get(node)?.images,
      hostOutcome: (node, host) => byNode.get(node)?.hosts.find((h) => h.host === host)?.outcome,
      secret: (namespace, name) => this.keys(namespace, name),
      openshift,
    });
  }

  /** The pods changed: read the secrets they name that are unknown or old; forget the others. */
  podsChanged(pods: readonly V1Pod[]): void {
    const wanted = new Set<string>();
    for (const pod of pods) {
      const namespace = pod.metadata?.namespace;
      if (!namespace || !pod.spec?.nodeName) continue;
      for (const name of pullSecretNames(pod)) wanted.add(`${namespace}/${name}`);
    }
    let forgot = false;
    for (const id of [...this.known.keys()])
      if (!wanted.has(id)) {
        this.known.delete(id);
        forgot = true;
      }
    const now = Date.now();
    for (const id of wanted) {
      const entry = this.known.get(id);
      if (entry === undefined || now - entry.at >= this.ttlMs) this.queue.add(id);
    }
    if (forgot) this.options.onChange();
    this.pump();
  }

  private pump(): void {
    const limit = this.options.concurrency ?? 4;
    while (!this.stopped && this.running < limit && this.queue.size > 0) {
      const id = this.queue.values().next().value as string;
      this.queue.delete(id);
      this.running++;
      const slash = id.indexOf('/');
      void this.read(id.slice(0, slash), id.slice(slash + 1))
        .then((answer) => this.remember(id, answer))
        .finally(() => {
          this.running--;
          this.pump();
        });
    }
  }

  private remember(id: string, answer: ReadAnswer): void {
    if (this.stopped) return;
    let keys: SecretKeys;
    let at = Date.now();
    if (answer.kind === 'absent' || (answer.kind === 'secret' && answer.parsed === null))
      keys = { state: 'absent' };
    else if (answer.kind === 'unreadable') {
      keys = { state: 'unreadable', reason: answer.reason };
      // Refused by RBAC: ask again at the usual pace; anything else (a 5xx, a timeout) sooner.
      if (answer.status !== 403) at = at - this.ttlMs + RETRY_MS;
    } else if (answer.parsed!.ok)
      keys = { state: 'keys', keys: [...new Set(answer.parsed!.entries.map((e) => e.key))] };
    else
      keys = {
        state: 'unreadable',
        reason: `${answer.parsed!.problem}; the kubelet fails the pulls of pods that name it`,
      };
    const before = this.known.get(id);
    this.known.set(id, { at, keys });
    if (before !== undefined && JSON.stringify(before.keys) === JSON.stringify(keys)) return;
    // Once per change, not at every re-read: a namespace RBAC refuses stays quiet until it changes.
    if (keys.state === 'unreadable') this.options.log('warn', `pull secret ${id}: ${keys.reason}`);
    this.options.onChange();
  }

  private async read(namespace: string, name: string): Promise<ReadAnswer> {
    let secret: V1Secret;
    try {
      secret = await this.core.readNamespacedSecret({ name, namespace });
    } catch (err) {
      const status = kubeStatusCode(err);
      if (status === 404) return { kind: 'absent' };
      // Never the error's text: client-node's message carries every response header.
      return {
        kind: 'unreadable',
        status,
        reason:
          status === 403
            ? `reading it is forbidden (the collector has no \`get\` on secrets in namespace ${namespace})`
            : `reading it failed (${status === null ? 'no answer from the API server' : `HTTP ${status}`})`,
      };
    }
    return {
      kind: 'secret',
      parsed: parsePullSecret({ name: `${namespace}/${name}`, type: secret.type, data: secret.data }),
    };
  }

  /**
   * The credentials the kubelet sends for `imageName` (a normalized `Name()`) on a pull of `pod`:
   * its secrets read now, matched as the kubelet's keyring matches. Nothing is kept.
   */
  async credentialsFor(pod: V1Pod, imageName: string): Promise<PodCredentials> {
    const namespace = pod.metadata?.namespace ?? '';
    const notes: string[] = [];
    const parsed: { entries: readonly KeyringEntry[] }[] = [];
    const names = pullSecretNames(pod);
    if (names.length === 0)
      notes.push(`pod ${namespace}/${pod.metadata?.name ?? ''} names no imagePullSecrets`);
    for (const name of names) {
      const answer = await this.read(namespace, name);
      if (answer.kind === 'absent' || (answer.kind === 'secret' && answer.parsed === null))
        notes.push(
          `pull secret ${namespace}/${name} does not exist or is not a docker config secret; the kubelet skips it`,
        );
      else if (answer.kind === 'unreadable')
        notes.push(
          `cannot tell what pull secret ${namespace}/${name} holds: ${answer.reason}; this trace goes without it`,
        );
      else if (!answer.parsed!.ok)
        return {
          entries: [],
          notes,
          failure: `${answer.parsed!.problem}: the kubelet fails the pull before CRI-O is asked`,
        };
      else parsed.push(answer.parsed!);
    }
    return { entries: kubeletCredentialsFor(parsed, imageName), notes, failure: null };
  }
}

/** The collector's answer for `/api/v1/nodes/{node}/trace?…&namespace=NS&pod=P`. */
export function podCredentialSource(
  secrets: PodPullSecrets,
  podOf: (namespace: string, name: string) => V1Pod | undefined,
  /** The agent link is encrypted (TLS) or never leaves the machine (loopback listeners only). */
  privateLink: boolean,
): PodCredentialSource {
  return async (namespace, name, image) => {
    if (!privateLink)
      return {
        ok: false,
        status: 400,
        message:
          'a trace for a pod sends its pull-secret credentials to the agent: the collector must serve TLS (--tls-cert, --tls-key) or listen on loopback only',
      };
    const pod = podOf(namespace, name);
    if (pod === undefined) return { ok: false, status: 404, message: `no pod ${namespace}/${name}` };
    let imageName: string;
    try {
      imageName = nameOf(parseNormalizedNamed(image));
    } catch (err) {
      return { ok: false, status: 400, message: `the "image" query parameter: ${(err as Error).message}` };
    }
    const found = await secrets.credentialsFor(pod, imageName);
    if (found.failure !== null) return { ok: false, status: 409, message: found.failure };
    return {
      ok: true,
      credentials: found.entries.map((e) => {
        const { username, password } = e.credentials.reveal();
        return { secret: e.secret, key: e.key, username, password };
      }),
      used: found.entries.map((e) => ({ secret: e.secret, key: e.key })),
      notes: found.notes,
    };
  };
}
