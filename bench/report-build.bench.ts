// Report build at 5,000 and 15,000 agents × 200 findings (the collector bench's mix), in-process: a
// NodeStore filled as the agents' snapshots would fill it, then report builds as the collector makes
// them (bench/report-build-worker.ts). The worker runs with the heap limit the collector takes from the
// Deployment manifest's memory limit. Cheaper than the full collector bench (no sockets, no 15,000
// agents), so it runs with `npm run bench`; figures with the goal of issue 18 beside them.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { parseBytes, oldSpaceMiB } from '../src/collector/heap-limit.js';
import { manifestRuntime } from './collector.bench.js';
import { referenceWorkloadMs } from './reference.js';
import { say, type BenchLine } from './types.js';

const SIZES = (process.env.BENCH_REPORT_AGENTS ?? '5000,15000').split(',').map(Number);
const WORKER = fileURLToPath(new URL('./report-build-worker.ts', import.meta.url));
const BUILD_GOAL_MS = 1000;
const RSS_GOAL_MIB = 512;

interface BuildFigures {
  readonly ms: number;
  readonly cpuMs: number;
  readonly gcMs: number;
  readonly heapGrowthMiB: number;
  readonly pageFaults: number;
}

interface WorkerResult {
  readonly agents: number;
  readonly problems: number;
  readonly causes: number;
  readonly first: BuildFigures;
  readonly rebuilds: readonly BuildFigures[];
  readonly medianOf3Ms: number;
  readonly afterDelta: BuildFigures;
  readonly heapAfterIngestMiB: number;
  readonly heapWithReportMiB: number;
  readonly memoRetainedMiB: number;
  readonly heapLimitMiB: number;
  readonly rssMiB: number;
  readonly summaryBytes: number;
  readonly reportJsonMiB: number;
  readonly reportStreamMs: number;
}

function runWorker(agents: number, heapMiB: number): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', `--max-old-space-size=${heapMiB}`, '--expose-gc', WORKER, String(agents)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code, signal) =>
      code === 0
        ? resolve(JSON.parse(out) as WorkerResult)
        : reject(new Error(`report build worker (${agents} agents) exited with ${code ?? signal}`)),
    );
  });
}

export async function run(): Promise<BenchLine[]> {
  const { memoryLimit } = manifestRuntime();
  const heapMiB = oldSpaceMiB(parseBytes(memoryLimit)!);
  const lines: BenchLine[] = [];
  for (const agents of SIZES) {
    const load = loadavg()[0]!.toFixed(2);
    const referenceMs = referenceWorkloadMs();
    const r = await runWorker(agents, heapMiB);
    say(
      `report build, ${agents} agents × 200 findings (${r.problems} problems, ${r.causes} causes; heap limit ${heapMiB} MiB from the manifest's ${memoryLimit}; load ${load}; reference workload ${referenceMs} ms): first ${r.first.ms} ms (CPU ${r.first.cpuMs} ms, GC ${r.first.gcMs} ms, ${r.first.pageFaults} page faults), then ${r.rebuilds.map((b) => b.ms).join(', ')} ms, after 50 deltas ${r.afterDelta.ms} ms (goal ≤ ${BUILD_GOAL_MS} ms); heap ${r.heapAfterIngestMiB} MiB after ingest, ${r.heapWithReportMiB} MiB with the report, of which the memo kept between builds ${r.memoRetainedMiB} MiB; RSS ${r.rssMiB} MiB`,
    );
    const common = {
      agents,
      loadAverage: Number(load),
      referenceWorkloadMs: referenceMs,
      heapLimitMiB: heapMiB,
    };
    lines.push(
      {
        bench: 'report-build',
        metric: 'firstBuildMs',
        value: r.first.ms,
        goal: BUILD_GOAL_MS,
        cpuMs: r.first.cpuMs,
        gcMs: r.first.gcMs,
        pageFaults: r.first.pageFaults,
        problems: r.problems,
        causes: r.causes,
        ...common,
      },
      {
        bench: 'report-build',
        metric: 'buildMedianOf3Ms',
        value: r.medianOf3Ms,
        goal: BUILD_GOAL_MS,
        rebuildCpuMs: r.rebuilds.map((b) => b.cpuMs),
        rebuildGcMs: r.rebuilds.map((b) => b.gcMs),
        ...common,
      },
      {
        bench: 'report-build',
        metric: 'buildAfterDeltasMs',
        value: r.afterDelta.ms,
        goal: BUILD_GOAL_MS,
        cpuMs: r.afterDelta.cpuMs,
        pageFaults: r.afterDelta.pageFaults,
        deltas: 50,
        ...common,
      },
      {
        bench: 'report-build',
        metric: 'memoRetainedMiB',
        value: r.memoRetainedMiB,
        ...common,
      },
      {
        bench: 'report-build',
        metric: 'heapWithReportMiB',
        value: r.heapWithReportMiB,
        heapAfterIngestMiB: r.heapAfterIngestMiB,
        ...common,
      },
      { bench: 'report-build', metric: 'rssMiB', value: r.rssMiB, goal: RSS_GOAL_MIB, ...common },
      {
        bench: 'report-build',
        metric: 'summaryBytes',
        value: r.summaryBytes,
        reportJsonMiB: r.reportJsonMiB,
        reportStreamMs: r.reportStreamMs,
        ...common,
      },
    );
  }
  return lines;
}
