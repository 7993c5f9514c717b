// The agent's settings, from its flags and environment (the DaemonSet sets NODE_NAME, POD_NAME,
// POD_NAMESPACE through the downward API).
import { parseCrioVersion, type CrioVersion } from '../core/crio/versions.js';
import { MirrorscopeError } from '../core/errors.js';
import type { FlagValues } from '../core/args.js';
import { parseListen, type ListenAddress } from '../protocol/listen-address.js';

export interface AgentOptions {
  readonly root: string;
  /** `--crio-version`: wins over the version the collector reports for the node. */
  readonly crioVersion: CrioVersion | null;
  readonly node: string;
  readonly pod: { readonly name: string | null; readonly namespace: string | null };
  readonly images: readonly string[];
  readonly imagesFromKube: boolean;
  /** host:port of the local HTTP server; null to disable it. */
  readonly listen: ListenAddress | null;
  /** host:port serving only /healthz, /readyz and /metrics (the pod IP in the DaemonSet); null: none. */
  readonly probeListen: ListenAddress | null;
  readonly collector: string | null;
  readonly collectorCa: string | null;
  readonly tokenFile: string;
  readonly scanIntervalMs: number;
  readonly configPollMs: number;
  readonly probeTtlMs: number;
  readonly timeoutMs: number;
  /** Probe requests in flight per registry host. */
  readonly concurrency: number;
  /** Probe requests per second per registry host. */
  readonly hostRate: number;
  readonly once: boolean;
  readonly logLevel: string;
}

export const DEFAULT_LISTEN = '127.0.0.1:9464';
export const DEFAULT_TOKEN_FILE = '/var/run/secrets/mirrorscope/token';
/**
 * Probe requests in flight per registry host. This is the bound that adapts to the registry: one that
 * answers in 50 ms gets at most 80 requests a second from a node, one in trouble (1 s) gets 4, where
 * a fixed rate would keep pressing it. Hosts are probed independently of each other.
 */
export const DEFAULT_HOST_CONCURRENCY = 4;
/** No fixed request rate per host unless --host-rate sets one: the in-flight bound paces. */
export const DEFAULT_HOST_RATE = Number.POSITIVE_INFINITY;

export const AGENT_FLAGS = {
  root: { type: 'string' },
  node: { type: 'string' },
  'crio-version': { type: 'string' },
  image: { type: 'string', multiple: true },
  'images-from-kube': { type: 'boolean' },
  listen: { type: 'string' },
  'probe-listen': { type: 'string' },
  collector: { type: 'string' },
  'collector-ca': { type: 'string' },
  'token-file': { type: 'string' },
  'scan-interval': { type: 'number' },
  'config-poll': { type: 'number' },
  'probe-ttl': { type: 'number' },
  timeout: { type: 'number' },
  concurrency: { type: 'number' },
  'host-rate': { type: 'number' },
  once: { type: 'boolean' },
  'log-level': { type: 'string' },
  'connect-to': { type: 'string', multiple: true },
} as const;

function positive(flags: FlagValues, name: string, fallback: number): number {
  const v = flags[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !(v > 0))
    throw new MirrorscopeError('usage', `--${name} needs a positive number`);
  return v;
}

/** A listener flag: HOST:PORT (parseListen), or `off` (or nothing) for none. */
export function listenFlag(value: string, flag = 'listen'): ListenAddress | null {
  return value === 'off' || value === '' ? null : parseListen(value, flag);
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function agentOptions(flags: FlagValues, env: NodeJS.ProcessEnv): AgentOptions {
  const node = typeof flags.node === 'string' ? flags.node : (env.NODE_NAME ?? '');
  if (node === '') throw new MirrorscopeError('usage', 'name the node with --node NAME (or set NODE_NAME)');
  const collector = typeof flags.collector === 'string' ? flags.collector : null;
  if (collector !== null && !/^wss?:\/\/[^/]+/.test(collector))
    throw new MirrorscopeError('usage', `--collector needs a ws:// or wss:// URL, got "${collector}"`);
  const logLevel = typeof flags['log-level'] === 'string' ? flags['log-level'] : (env.LOG_LEVEL ?? 'info');
  if (!LEVELS.includes(logLevel))
    throw new MirrorscopeError('usage', `--log-level must be one of ${LEVELS.join(', ')}`);
  const scanIntervalMs = positive(flags, 'scan-interval', 300) * 1000;
  const concurrency = Math.floor(positive(flags, 'concurrency', DEFAULT_HOST_CONCURRENCY));
  return {
    root: typeof flags.root === 'string' ? flags.root : '/',
    crioVersion: typeof flags['crio-version'] === 'string' ? parseCrioVersion(flags['crio-version']) : null,
    node,
    pod: { name: env.POD_NAME ?? null, namespace: env.POD_NAMESPACE ?? null },
    images: (flags.image as string[] | undefined) ?? [],
    imagesFromKube: flags['images-from-kube'] === true,
    listen: listenFlag(typeof flags.listen === 'string' ? flags.listen : DEFAULT_LISTEN),
    probeListen:
      typeof flags['probe-listen'] === 'string' ? listenFlag(flags['probe-listen'], 'probe-listen') : null,
    collector,
    collectorCa: typeof flags['collector-ca'] === 'string' ? flags['collector-ca'] : null,
    tokenFile:
      typeof flags['token-file'] === 'string'
        ? flags['token-file']
        : (env.MIRRORSCOPE_TOKEN_FILE ?? DEFAULT_TOKEN_FILE),
    scanIntervalMs,
    configPollMs: positive(flags, 'config-poll', 60) * 1000,
    // A probe answer is reused until shortly before the next periodic scan.
    probeTtlMs: positive(flags, 'probe-ttl', Math.max(1, (scanIntervalMs / 1000) * 0.9)) * 1000,
    timeoutMs: positive(flags, 'timeout', 10_000),
    concurrency,
    hostRate: positive(flags, 'host-rate', DEFAULT_HOST_RATE),
    once: flags.once === true,
    logLevel,
  };
}
