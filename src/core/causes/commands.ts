// The next commands to run for a cause, with its host, image and node filled in. They only read:
// nothing here changes a node or the cluster.
import { hostnameOf } from './hosts.js';
import type { CauseKind } from './kinds.js';

export interface CommandSubject {
  readonly kind: CauseKind;
  /** `host[:port]` the cause is about, when it is about one. */
  readonly host: string | null;
  readonly image: string | null;
  readonly node: string | null;
  readonly file: string | null;
}

/** Single-quotes a word for a POSIX shell when it needs it. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Where the commands will be typed: beside a collector (`--node`), or on a machine with a node root. */
export type CommandPlace =
  | { readonly kind: 'cluster' }
  | { readonly kind: 'local'; readonly root: string; readonly runtime: 'crio' | 'podman' };

function localFlags(place: CommandPlace): string {
  if (place.kind !== 'local') return '';
  return `${place.root === '/' ? '' : ` --root ${shellWord(place.root)}`}${place.runtime === 'podman' ? ' --runtime podman' : ''}`;
}

/** The command that traces `image` where the pull happens: on `node` beside a collector, or locally. */
export function traceCommand(
  place: CommandPlace,
  image: string,
  node: string | null,
  prefix: (node: string) => string = tracePrefix,
): string {
  if (place.kind === 'local' || node === null)
    return `mirrorscope trace${localFlags(place)} ${shellWord(image)}`;
  return prefix(node) + shellWord(image);
}

/** What the trace command on `node` starts with (a memo shares it among the node's causes). */
export function tracePrefix(node: string): string {
  return `mirrorscope trace --node ${shellWord(node)} `;
}

const NO_COMMANDS: readonly string[] = Object.freeze([]);

function hostCommands(kind: CauseKind, host: string): readonly string[] {
  switch (kind) {
    case 'dns-failure':
      return [`getent hosts ${shellWord(hostnameOf(host))}`];
    case 'connection-refused':
    case 'timeout':
    case 'host-unreachable':
    case 'http-not-insecure':
      return [`curl -sS -o /dev/null -w '%{http_code}\\n' https://${shellWord(host)}/v2/`];
    case 'tls-ca-missing':
    case 'tls-certificate-invalid': {
      const name = hostnameOf(host);
      const port = host.length > name.length ? host.slice(name.length + 1) : '443';
      return [
        `openssl s_client -connect ${shellWord(`${name}:${port}`)} -servername ${shellWord(name)} -showcerts </dev/null`,
      ];
    }
    case 'credentials-missing':
    case 'credentials-rejected':
    case 'credentials-only-in-pod-secret':
    case 'auth-key-host-mismatch':
      // Key names only: the pull secret's credentials never reach the terminal.
      return [
        `oc get secret/pull-secret -n openshift-config -o jsonpath='{.data.\\.dockerconfigjson}' | base64 -d | jq -r '.auths | keys[]'`,
      ];
    default:
      return NO_COMMANDS;
  }
}

const CONFIG_KINDS: ReadonlySet<CauseKind> = new Set([
  'config-invalid',
  'config-typo',
  'config-surprise',
  'signature-storage-local-only',
  'signature-key-missing',
  'policy-rejects',
]);

/** The command of the kind's own that needs no host (at most one per kind). */
function kindCommand(kind: CauseKind, place: CommandPlace): string | null {
  if (CONFIG_KINDS.has(kind)) return `mirrorscope check${localFlags(place)}`;
  if (kind === 'rollout-lag' || kind === 'config-drift') return 'oc get mcp';
  if (kind === 'agent-not-reporting')
    return 'oc get pods -A -l app.kubernetes.io/name=mirrorscope-agent -o wide';
  return null;
}

export function causeCommands(
  s: CommandSubject,
  place: CommandPlace,
  prefix: (node: string) => string = tracePrefix,
): string[] {
  const trace = s.image === null ? null : traceCommand(place, s.image, s.node, prefix);
  const host = s.host === null ? NO_COMMANDS : hostCommands(s.kind, s.host);
  const own = kindCommand(s.kind, place);
  // Lists of the exact length (a list grown by push keeps room for 17): a report holds 90,000 of these.
  if (host.length === 0) {
    if (trace === null) return own === null ? [] : [own];
    return own === null ? [trace] : [trace, own];
  }
  const out = trace === null ? [...host] : [trace, ...host];
  return own === null ? out : [...out, own];
}
