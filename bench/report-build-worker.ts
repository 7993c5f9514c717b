// In-process report build at cluster scale (run by report-build.bench.ts, in a child with the
// collector manifest's heap limit): fills a NodeStore with AGENTS agents of the collector bench's mix
// (180 findings shared by every node, 20 of its own) exactly as their snapshots would, then times
// report builds as the collector does them (ReportCache: one memo across builds): the first, two
// rebuilds with nothing changed but time, and a rebuild after a few nodes sent deltas. Prints one
// JSON object on stdout. Run it by hand with profiling, e.g.
//   node --import tsx --max-old-space-size=732 --expose-gc --cpu-prof bench/report-build-worker.ts 15000
import { getHeapStatistics } from 'node:v8';
import { PerformanceObserver } from 'node:perf_hooks';
import { arrivalOrder, nodeName, snapshotJson } from './collector.bench.js';
import type * as NodeStoreModule from '../src/collector/node-store.js';
import type * as ReportCacheModule from '../src/collector/report-cache.js';
import type * as JsonStreamModule from '../src/collector/json-stream.js';
import type * as SummaryModule from '../src/core/report/summary.js';
import type * as MessagesModule from '../src/protocol/messages.js';
import type { ClusterInput, NodeInput } from '../src/core/report/types.js';
import type { DeltaMessage, SnapshotMessage } from '../src/protocol/messages.js';
import { loadBuilt } from './types.js';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';

// The production build (dist/, which `npm run bench` builds first).
const { NodeStore } = await loadBuilt<typeof NodeStoreModule>('collector/node-store.js');
const { ReportCache } = await loadBuilt<typeof ReportCacheModule>('collector/report-cache.js');
const { streamReport } = await loadBuilt<typeof JsonStreamModule>('collector/json-stream.js');
const { digestOf } = await loadBuilt<typeof SummaryModule>('core/report/summary.js');
const { parseAgentMessage } = await loadBuilt<typeof MessagesModule>('protocol/messages.js');

const AGENTS = Number(process.argv[2] ?? process.env.BENCH_REPORT_AGENTS ?? 5000);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const mib = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;

/** V8's gc entries arrive a moment after the collection. */
const gcEntriesIn = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

/** Milliseconds of garbage collection so far (V8's gc entries). */
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

function heapUsedAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const store = new NodeStore();
const connections = new Array<number>(AGENTS);
const started = Date.now();
// In the order agents come back after a collector restart, as the collector bench connects them.
for (const n of arrivalOrder(AGENTS)) {
  const node = nodeName(n);
  const connection = store.hello(
    {
      v: 1,
      type: 'hello',
      node,
      agentVersion: 'bench',
      configHash: 'main',
      pod: { name: null, namespace: null },
    },
    started,
  );
  connections[n] = connection;
  store.snapshot(node, connection, parseAgentMessage(snapshotJson(node, n)) as SnapshotMessage, started);
}
const ingestMs = Date.now() - started;
const heapAfterIngest = heapUsedAfterGc();
await gcEntriesIn(); // the ingest's collections count in no build

// Node objects as report-input.ts turns them into inputs (pool from role labels, CRI-O version),
// and one pod per node running one of the bench's 20 images, as the collector bench seeds them.
const nodes: NodeInput[] = [];
const pods = new Map<string, Map<string, number>>();
for (let n = 0; n < AGENTS; n++) {
  const name = nodeName(n);
  nodes.push({
    name,
    pool: 'worker',
    registered: true,
    agent: store.get(name) ?? null,
    runtimeVersion: 'cri-o://1.29.4-3.rhaos4.16.gitabcdef0.el9',
  });
  pods.set(name, new Map([[`quay.io/team${n % 20}/app:1.${n % 20}`, 1]]));
}
let version = 0;
const input = (nowMs: number): ClusterInput => ({
  nowMs,
  silentAfterMs: 10 * 60_000,
  nodes: nodes.map((n) => ({ ...n, agent: store.get(n.name) ?? null })),
  events: [],
  agentWitnesses: store.witnesses,
  pods,
});
const cache = new ReportCache({ input, inputsVersion: () => version, reuseMs: 0 });

/**
 * Runs `work` under the CPU profiler (BENCH_REPORT_PROFILE: the first build's) or, for a path ending
 * in .heapprofile, the sampling heap profiler (what the build allocated and still holds at its end;
 * BENCH_REPORT_HEAP_ALL=1: what it allocated in all), and writes the profile to `path`.
 */
async function profiled<T>(path: string, work: () => Promise<T>): Promise<T> {
  const session = new Session();
  session.connect();
  if (path.endsWith('.heapprofile')) {
    const all = process.env.BENCH_REPORT_HEAP_ALL === '1';
    await session.post('HeapProfiler.enable');
    // The collected objects' flags are newer than Node 20's inspector types.
    const sampling = {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: all,
      includeObjectsCollectedByMinorGC: all,
    };
    await session.post('HeapProfiler.startSampling', sampling);
    const result = await work();
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(path, JSON.stringify(profile));
    session.disconnect();
    return result;
  }
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const result = await work();
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(path, JSON.stringify(profile));
  session.disconnect();
  return result;
}

interface Build {
  readonly ms: number;
  readonly cpuMs: number;
  /** Of `ms`, garbage collection. */
  readonly gcMs: number;
  /** Heap grown during the build (no collection forced: a floor of what it allocated). */
  readonly heapGrowthMiB: number;
  readonly heapPeakMiB: number;
  /** Pages the kernel mapped in for the build (each costs more on memory a VM's host took back). */
  readonly pageFaults: number;
}

async function timedBuild(): Promise<Build> {
  const heapBefore = process.memoryUsage().heapUsed;
  const gcBefore = gcMs;
  const cpu = process.cpuUsage();
  const faults = process.resourceUsage().minorPageFault;
  const t0 = performance.now();
  cache.drop();
  const report = cache.current();
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  const heapNow = process.memoryUsage().heapUsed;
  void report;
  await gcEntriesIn();
  return {
    ms: Math.round(ms),
    cpuMs: Math.round((used.user + used.system) / 1000),
    gcMs: Math.round(gcMs - gcBefore),
    heapGrowthMiB: mib(heapNow - heapBefore),
    heapPeakMiB: mib(getHeapStatistics().used_heap_size),
    pageFaults: process.resourceUsage().minorPageFault - faults,
  };
}

// BENCH_REPORT_PROFILE=file.cpuprofile (or .heapprofile) profiles the first build; BENCH_REPORT_PROFILE_BUILD=rebuild
// (the second rebuild) or delta (the build after the deltas) another one.
const profile = process.env.BENCH_REPORT_PROFILE;
const profiledBuild = process.env.BENCH_REPORT_PROFILE_BUILD ?? 'first';
const build = (which: string): Promise<Build> =>
  profile === undefined || which !== profiledBuild ? timedBuild() : profiled(profile, timedBuild);
const first = await build('first');
const heapWithReport = heapUsedAfterGc();
await gcEntriesIn();
// What stays between builds when no report is held: the memo (and the index's problem slots).
cache.drop();
const heapMemo = heapUsedAfterGc();
await gcEntriesIn(); // the forced collections count in no build
const rebuilds = [await timedBuild(), await build('rebuild')];
const firstThree = [first, ...rebuilds].map((b) => b.ms);
const median = [...firstThree].sort((a, b) => a - b)[1]!;

// A few nodes change: each of 50 nodes clears one of its own findings and adds another.
for (let n = 0; n < 50; n++) {
  const node = nodeName((n * 97) % AGENTS);
  const delta = parseAgentMessage(
    JSON.stringify({
      v: 1,
      type: 'delta',
      seq: 2,
      configHash: 'main',
      added: [{ ...JSON.parse(snapshotJson(node, n)).findings[190], key: `changed-${node}` }],
      cleared: [`own-${node}-0`],
      hosts: [],
      images: [],
    }),
  ) as DeltaMessage;
  store.delta(node, connections[(n * 97) % AGENTS]!, delta, started);
}
version++;
const afterDelta = await build('delta');

const report = cache.current();
const summaryBytes = JSON.stringify(digestOf(report)).length;
let streamedBytes = 0;
const sink = {
  destroyed: false,
  write: (chunk: string) => ((streamedBytes += Buffer.byteLength(chunk)), true),
  end: (chunk: string) => void (streamedBytes += Buffer.byteLength(chunk)),
  once: () => undefined,
};
const streamT0 = performance.now();
await streamReport(sink as never, report);
const streamMs = performance.now() - streamT0;

process.stdout.write(
  `${JSON.stringify({
    agents: AGENTS,
    problems: report.problems.length,
    causes: report.causes.length,
    first,
    rebuilds,
    medianOf3Ms: median,
    afterDelta,
    ingestMs,
    heapAfterIngestMiB: mib(heapAfterIngest),
    heapWithReportMiB: mib(heapWithReport),
    memoRetainedMiB: mib(heapMemo - heapAfterIngest),
    heapLimitMiB: mib(getHeapStatistics().heap_size_limit),
    rssMiB: mib(process.memoryUsage().rss),
    summaryBytes,
    reportJsonMiB: mib(streamedBytes),
    reportStreamMs: Math.round(streamMs),
  })}\n`,
);
