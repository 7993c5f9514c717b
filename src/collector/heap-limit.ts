// V8's old-space limit from the container's memory limit. A fixed `--max-old-space-size` is either
// too small for a large cluster (the collector dies of a heap out-of-memory at 15,000 nodes) or too
// large for its container (the OOM killer acts before V8 collects). At start, `mirrorscope
// collector` reads the cgroup memory limit and, unless the heap limit was set explicitly, runs
// itself again with `--max-old-space-size` at HEAP_SHARE of the limit less RESERVE_MIB, and glibc's
// malloc arenas bounded (documented in docs/collector.md, "Memory"). The young generation keeps
// V8's default: 8 MiB semi-spaces instead of 16 kept 16 MiB less resident but cost the first report
// build at 15,000 agents a fifth more CPU (more scavenges, earlier promotion).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Of the container's memory, what V8's old space may use; the rest is code, young space, buffers. */
export const HEAP_SHARE = 0.75;
export const RESERVE_MIB = 48;
const MIN_HEAP_MIB = 64;
/**
 * glibc gives each thread that allocates concurrently its own arena (up to 8 per core), and every
 * arena keeps what was freed in it: V8's GC and compiler threads and libuv's pool left 15–20 MiB
 * more resident at 5,000 agents than two arenas do, at no measurable CPU cost (ingest, and the
 * report build at 15,000 agents). Set unless the environment sets it (empty is unset).
 */
export const MALLOC_ARENAS = '2';
/** Set in the relaunched process: the limit it runs with, and where it came from. */
export const HEAP_ENV = 'MIRRORSCOPE_HEAP_LIMIT_FROM';
/** Overrides the cgroup (bytes, or with a Ki/Mi/Gi suffix as in a manifest); "off" disables the relaunch. */
export const MEMORY_LIMIT_ENV = 'MIRRORSCOPE_MEMORY_LIMIT';

const CGROUP_FILES = [
  '/sys/fs/cgroup/memory.max', // cgroup v2 (the container's own, with a cgroup namespace)
  '/sys/fs/cgroup/memory/memory.limit_in_bytes', // cgroup v1
];
/** cgroup v1 says "no limit" with a huge number (PAGE_COUNTER_MAX pages). */
const UNLIMITED_ABOVE = 2 ** 60;

const UNITS: Readonly<Record<string, number>> = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** A Kubernetes-style quantity in bytes (`640Mi`, `1Gi`, `671088640`); null when not one. */
export function parseBytes(text: string): number | null {
  const m = /^\s*(\d+)(Ki|Mi|Gi|Ti)?\s*$/.exec(text);
  if (m === null) return null;
  return Number(m[1]) * UNITS[m[2] ?? '']!;
}

export interface MemoryLimit {
  readonly bytes: number;
  /** Where it was read: the env variable or the cgroup file. */
  readonly source: string;
}

export function memoryLimit(
  env: NodeJS.ProcessEnv = process.env,
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): MemoryLimit | null {
  const override = env[MEMORY_LIMIT_ENV];
  if (override !== undefined && override !== '') {
    const bytes = parseBytes(override);
    return bytes === null ? null : { bytes, source: MEMORY_LIMIT_ENV };
  }
  for (const file of CGROUP_FILES) {
    let text: string;
    try {
      text = read(file).trim();
    } catch {
      continue;
    }
    if (text === 'max') return null;
    const bytes = parseBytes(text);
    if (bytes !== null && bytes < UNLIMITED_ABOVE) return { bytes, source: file };
    return null;
  }
  return null;
}

export function oldSpaceMiB(limitBytes: number): number {
  return Math.max(MIN_HEAP_MIB, Math.floor((limitBytes / 2 ** 20 - RESERVE_MIB) * HEAP_SHARE));
}

function heapSetExplicitly(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const flag = /(^|\s)--max-old-space-size(=|\s)/;
  return execArgv.some((a) => a.startsWith('--max-old-space-size')) || flag.test(nodeOptions ?? '');
}

/** The node flags and environment the relaunched collector gets for a memory limit. */
export function relaunchPlan(
  limit: MemoryLimit,
  execArgv: readonly string[],
  env: NodeJS.ProcessEnv,
): { readonly nodeArgs: readonly string[]; readonly env: NodeJS.ProcessEnv } {
  return {
    // --expose-gc: heap-release.ts collects once a large report is let go.
    nodeArgs: [...execArgv, `--max-old-space-size=${oldSpaceMiB(limit.bytes)}`, '--expose-gc'],
    env: {
      ...env,
      MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX || MALLOC_ARENAS,
      [HEAP_ENV]: `${limit.source} (${Math.round(limit.bytes / 2 ** 20)} MiB)`,
    },
  };
}

/**
 * When the heap limit should follow the memory limit, runs this command again in a process with
 * that flag and resolves to its exit status; null when this process should go on as it is.
 */
export async function relaunchWithHeapLimit(argv: readonly string[]): Promise<number | null> {
  const env = process.env;
  if (env[HEAP_ENV] !== undefined || env[MEMORY_LIMIT_ENV] === 'off') return null;
  if (heapSetExplicitly(process.execArgv, env.NODE_OPTIONS)) return null;
  const limit = memoryLimit(env);
  if (limit === null) return null;
  const plan = relaunchPlan(limit, process.execArgv, env);
  const args = [...plan.nodeArgs, process.argv[1]!, ...argv];
  const childEnv = plan.env;
  // Node ≥ 22.15 replaces this process (no second process holding memory); older ones wait for a child.
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never })
    .execve;
  if (execve !== undefined) execve(process.execPath, [process.execPath, ...args], childEnv);
  const child = spawn(process.execPath, args, { env: childEnv, stdio: 'inherit' });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
    child.on('error', () => resolve(1));
  });
}

/** What the running collector says about its heap limit (one log line at start). */
export function heapLimitNote(heapLimitBytes: number): string {
  const from = process.env[HEAP_ENV];
  const mib = Math.round(heapLimitBytes / 2 ** 20);
  return from === undefined
    ? `heap limit ${mib} MiB (pid ${process.pid}; not derived from a memory limit: none found, or --max-old-space-size given)`
    : `heap limit ${mib} MiB (pid ${process.pid}; from the memory limit in ${from}; MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX || 'unset'})`;
}
