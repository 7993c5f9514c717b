import { MirrorscopeError } from '../../core/errors.js';
import { parseArgs, type FlagValues } from '../../core/args.js';
import { parsePlatform } from '../../core/registry-protocol/manifest-blobs.js';
import { collectorBase, COLLECTOR_FLAGS, getFromCollector } from '../collector-client.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CommandIo } from '../command.js';
import { invalidReferenceResult } from '../../core/resolve/resolver.js';
import {
  parseNamespace,
  parseRuntimeChoice,
  requireContainersDir,
  runtimeName,
} from '../../host/load-resolver.js';
import { runtimeOf } from '../../core/crio/versions.js';
import { installConnectTo } from '../connect-to-flag.js';
import { styleFor } from '../../core/style.js';
import type { TraceResult } from '../../trace/types.js';

export const usage = `usage: mirrorscope trace [--root DIR] [--crio-version V] [--namespace NS] [--json] [--all]
                       [--timeout MS] [--authfile FILE] [--platform OS/ARCH[/VARIANT]] IMAGE
       mirrorscope trace --node NODE [--pod NS/NAME] [--collector URL] [--token-file FILE] [--json] [--all] IMAGE

Does, for IMAGE, what CRI-O would do on the wire — without downloading layers: walks the sources in
CRI-O's order (mirrors, then the primary), and for each finds the credentials (CRI-O's global_auth_file,
else the node pull secret /var/lib/kubelet/config.json), the certs.d CAs, pings /v2/, follows the auth
challenge and asks for the manifest. It stops at the first source that serves it, as CRI-O does, and
checks there (HEAD) that the config and every layer exist: a blob missing there fails the pull, because
CRI-O never falls back to the next source once it has the manifest.

  --root DIR        read the node's configuration below DIR (default /)
  --runtime NAME    crio (default) or podman (podman as root on the node: short-name-mode from
                    registries.conf, auth files /run/containers/0/auth.json, ~/.config/containers/
                    auth.json, ~/.docker/config.json, ~/.dockercfg)
  --crio-version V  the node's CRI-O (1.29, 1.29.4, cri-o://1.29.4-…): short names, per-namespace
                    policies and credentials follow it; unknown: the newest rules, with a note
  --namespace NS    the pod's namespace: CRI-O ≥ 1.28 verifies with signature_policy_dir/NS.json
                    (default /etc/crio/policies) when it exists
  --json            {"image","steps":[...],"sources":[...],"result":{...},"runtime":{...},"notes":[...]}
  --all             also probe the sources CRI-O would not reach
  --timeout MS      per request, its redirects included (default 10000)
  --authfile FILE   use this auth file instead of global_auth_file / the node pull secret
                    (a missing or unreadable FILE is an error)
  --platform P      os/arch[/variant] whose image of an index is checked (default: this machine's,
                    as CRI-O on it would choose)
  --allow-empty-root  accept a root without etc/containers (CRI-O's empty configuration)
  --connect-to HOST[:PORT]=ADDR:PORT
                    connect to ADDR:PORT whenever HOST[:PORT] is contacted (repeatable, as curl's
                    option); names, TLS SNI and certificate checks stay HOST's; ADDR is an IP address
  --node NODE       trace on that node of the cluster: the collector asks the node's agent, which
                    runs the same trace with the node's own configuration (GET
                    /api/v1/nodes/NODE/trace; the commands on the report page use this form)
  --pod NS/NAME     with --node: trace the pull as the kubelet makes it for that pod, with the
                    credentials of its pull secrets (one attempt per matching credential; needs the
                    collector's --pod-pull-secrets); only secret and key names are shown
  --collector URL   the collector's HTTP address (default $MIRRORSCOPE_COLLECTOR or http://127.0.0.1:8080)
  --token-file FILE bearer token for a collector running with --auth kube (default: $MIRRORSCOPE_TOKEN)

Outcomes per source: found, manifest-unknown, unauthorized, denied, tls-untrusted, unreachable,
timeout, blocked, skipped-digest-only, skipped-tag-only, blob-missing, error.
Exit status: 0 the pull would succeed, 1 it would fail, 2 usage or config error.
`;

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, {
    root: { type: 'string' },
    json: { type: 'boolean' },
    all: { type: 'boolean' },
    timeout: { type: 'number' },
    authfile: { type: 'string' },
    runtime: { type: 'string' },
    'allow-empty-root': { type: 'boolean' },
    'connect-to': { type: 'string', multiple: true },
    'crio-version': { type: 'string' },
    namespace: { type: 'string' },
    node: { type: 'string' },
    pod: { type: 'string' },
    ...COLLECTOR_FLAGS,
    platform: { type: 'string' },
  });
  if (positionals.length !== 1) throw new MirrorscopeError('usage', 'name exactly one IMAGE');
  if (typeof flags.node === 'string') return traceOnNode(flags.node, positionals[0]!, flags, io);
  for (const remote of ['collector', 'token-file', 'pod'] as const)
    if (flags[remote] !== undefined) throw new MirrorscopeError('usage', `--${remote} needs --node`);
  const choice = parseRuntimeChoice(flags.runtime, flags['crio-version']);
  const namespace = parseNamespace(flags.namespace);
  const timeoutMs = flags.timeout as number | undefined;
  if (timeoutMs !== undefined && (timeoutMs <= 0 || !Number.isInteger(timeoutMs)))
    throw new MirrorscopeError('usage', '--timeout needs a positive whole number of milliseconds');
  const runtime = choice.runtime;
  const platform = typeof flags.platform === 'string' ? parsePlatform(flags.platform) : undefined;
  if (platform === null)
    throw new MirrorscopeError('usage', '--platform needs os/arch or os/arch/variant, e.g. linux/arm64/v8');
  const root = typeof flags.root === 'string' ? flags.root : '/';
  installConnectTo(flags['connect-to']);
  await requireContainersDir(root, flags['allow-empty-root'] === true);
  const [{ loadTraceContext }, { TraceEngine }] = await Promise.all([
    import('../../trace/context.js'),
    import('../../trace/engine.js'),
  ]);
  let context;
  try {
    context = await loadTraceContext(root, {
      runtime,
      crioVersion: choice.version,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(typeof flags.authfile === 'string' ? { authfile: flags.authfile } : {}),
    });
  } catch (err) {
    if (!(err instanceof MirrorscopeError) || err.code !== 'config-invalid') throw err;
    // CRI-O parses the image name before reading any file: an invalid name is what it reports.
    const rejected = runtime === 'crio' ? invalidReferenceResult(positionals[0]!) : null;
    if (rejected !== null) {
      if (flags.json === true)
        io.stdout.write(
          `${JSON.stringify({ image: positionals[0], error: rejected.error, runtime: runtimeOf(choice) }, null, 2)}\n`,
        );
      else io.stderr.write(`mirrorscope trace: ${rejected.error!.message}\n`);
      return EXIT_USAGE;
    }
    if (flags.json === true)
      io.stdout.write(
        `${JSON.stringify({ image: positionals[0], error: err.toJSON(), runtime: runtimeOf(choice) }, null, 2)}\n`,
      );
    else {
      io.stderr.write(
        `mirrorscope trace: the configuration cannot be loaded, so ${runtimeName(runtime)} would fail this pull:\n  ${err.message}\n`,
      );
      if (err.upstream) io.stderr.write(`  containers/image: ${err.upstream}\n`);
    }
    return EXIT_USAGE;
  }
  const engine = new TraceEngine(context);
  // The signature side loads while the first registries answer: the trace waits on the network,
  // module loading on the CPU, so a cold run pays for the longer of the two, not the sum.
  const signaturesLoading = import('../../signatures/evaluator.js').then(({ loadNodeSignatureEvaluator }) =>
    loadNodeSignatureEvaluator(root, runtime, {
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      crioVersion: choice.version,
      ...(namespace !== undefined ? { namespace } : {}),
    }),
  );
  signaturesLoading.catch(() => undefined); // reported below, after the trace
  let result;
  try {
    result = await engine.trace(positionals[0]!, {
      all: flags.all === true,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(platform !== undefined ? { platform } : {}),
      signatureEvaluator: async (input) => (await signaturesLoading).evaluator(input),
    });
  } finally {
    engine.close();
    signaturesLoading.then(
      (s) => s.close(),
      () => undefined,
    );
  }
  // A policy/registries.d that cannot be loaded is a config error (exit 2), as before the trace ran.
  await signaturesLoading;
  if (flags.json === true) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const { renderTrace } = await import('../../trace/render.js');
    io.stdout.write(`${renderTrace(result, styleFor(io.isTTY, io.env))}\n`);
  }
  if (result.error !== null && result.error.code === 'invalid-reference') return EXIT_USAGE;
  return result.result.outcome === 'pulled' ? EXIT_OK : EXIT_FAILED;
}

/** `--node`: the node's agent runs the trace (through the collector); printed as a local trace is. */
async function traceOnNode(node: string, image: string, flags: FlagValues, io: CommandIo): Promise<number> {
  for (const local of ['root', 'authfile', 'runtime', 'timeout', 'crio-version', 'namespace'])
    if (flags[local] !== undefined)
      throw new MirrorscopeError('usage', `--${local} describes this machine; it cannot be used with --node`);
  const base = collectorBase(flags.collector, io);
  const query = `?image=${encodeURIComponent(image)}${flags.all === true ? '&all=1' : ''}${podQuery(flags.pod)}`;
  const answer = await getFromCollector(
    base,
    `/api/v1/nodes/${encodeURIComponent(node)}/trace${query}`,
    flags['token-file'],
    io,
  );
  if (!answer.ok) {
    io.stderr.write(`mirrorscope trace: ${answer.message}\n`);
    return EXIT_USAGE;
  }
  let result: TraceResult | { error?: { message?: string } } | undefined;
  try {
    result = (JSON.parse(answer.body) as { trace?: typeof result }).trace;
  } catch {
    result = undefined;
  }
  if (result === undefined || result === null || !('result' in result)) {
    const why = result?.error?.message ?? 'the collector did not answer with a trace';
    io.stderr.write(`mirrorscope trace: node ${node} cannot trace ${image}: ${why}\n`);
    return EXIT_USAGE;
  }
  if (flags.json === true) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const { renderTrace } = await import('../../trace/render.js');
    io.stdout.write(
      `node ${node}:\n${kubeletLines(result)}${renderTrace(result, styleFor(io.isTTY, io.env))}\n`,
    );
  }
  return result.result.outcome === 'pulled' ? EXIT_OK : EXIT_FAILED;
}

/** `--pod NS/NAME` → the collector's `&namespace=NS&pod=NAME`. */
function podQuery(flag: unknown): string {
  if (flag === undefined) return '';
  const m = typeof flag === 'string' ? /^([a-z0-9][-a-z0-9]*)\/([a-z0-9][-a-z0-9.]*)$/.exec(flag) : null;
  if (m === null) throw new MirrorscopeError('usage', '--pod takes NAMESPACE/NAME');
  return `&namespace=${m[1]!}&pod=${encodeURIComponent(m[2]!)}`;
}

/** A pod's trace: each PullImage the kubelet makes, and with which credentials (names only). */
function kubeletLines(result: object): string {
  const kubelet = (result as { kubelet?: { attempts?: unknown; notes?: unknown } }).kubelet;
  if (kubelet === undefined || !Array.isArray(kubelet.attempts)) return '';
  const lines = (kubelet.attempts as { credentials?: unknown; outcome?: unknown; reason?: unknown }[]).map(
    (a, i) =>
      `  kubelet PullImage ${i + 1}: ${typeof a.credentials === 'string' ? a.credentials : 'no credentials'}: ${String(a.outcome)}: ${String(a.reason)}`,
  );
  const notes = Array.isArray(kubelet.notes) ? kubelet.notes.map((n) => `  note: ${String(n)}`) : [];
  return `${[...lines, ...notes].join('\n')}\n`;
}
