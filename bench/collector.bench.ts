// Collector load test on loopback: 5,000 simulated agents (in-process ws clients, bounded
// concurrency) connect to a real collector child process and each send a snapshot of 200 findings,
// then heartbeat. The collector runs as in a cluster: the fake Kubernetes API serves 5,000 Nodes and
// their pods, so client-node, the informers, the image pushes and the ConfigMap writer all run. Figures: time to ingest every snapshot (target ≤ 10 s), report build for 5,000
// nodes (≤ 1 s, the collector's own Server-Timing), collector RSS (≤ 512 MiB, from /proc), and the
// highest delta rate at which p99 ingest latency stays under 50 ms.
//
// Ingest latency is measured end to end: a client sends a message and then a WebSocket ping on the
// same socket; the collector handles frames in order, so the pong arrives after the message was
// parsed and applied.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { FakeKubeApi, podObject } from '../test/support/fake-kube-api.js';
import {
  diskDigests,
  generatedConfig,
  generatedRegistriesConf,
  renderedConfig,
  standardSources,
  templateConfig,
} from '../test/support/mco-cluster.js';
import { imageDigestMirrorSet, machineConfigPool, mcoNode } from '../test/support/openshift-objects.js';
import { say, type BenchLine } from './types.js';

const AGENTS = Number(process.env.BENCH_COLLECTOR_AGENTS ?? 5000);
const FINDINGS_PER_NODE = 200;
/** Of each node's 200 findings, this many are the same on every node (one config, one outage). */
const SHARED_FINDINGS = 180;
const CONNECT_CONCURRENCY = 200;
const RATES = [1000, 2000, 4000, 8000, 16000, 32000];
const RATE_STEP_MS = 5000;
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const PRODUCTION_NODE_ARGS = '--max-old-space-size=384';

/** The collector as it runs in a cluster: with the Kubernetes API (the test fake), its informers and ConfigMap. */
export function startCollector(kubeconfig: string): Promise<{ child: ChildProcess; url: string }> {
  // The heap cap the Deployment sets (daemonset/base/collector-deployment.yaml, NODE_OPTIONS);
  // BENCH_COLLECTOR_NODE_ARGS replaces it, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" or "" for V8's default.
  const nodeArgs = (process.env.BENCH_COLLECTOR_NODE_ARGS ?? PRODUCTION_NODE_ARGS).split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      CLI,
      'collector',
      '--auth',
      'none',
      '--listen',
      '127.0.0.1:0',
      '--heartbeat-interval',
      '120',
      '--kubeconfig',
      kubeconfig,
      '--namespace',
      'mirrorscope',
      // Measured on their own: a report build (for the ConfigMap, by default every 30 s when the
      // report changed) stalls ingestion while it runs, which would make the rate test a lottery.
      '--configmap-interval',
      '3600',
    ],
    {
      env: { ...process.env, KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      if (process.env.BENCH_COLLECTOR_LOG) appendFileSync(process.env.BENCH_COLLECTOR_LOG, d);
      buffered += d.toString();
      const m = /collector listening on (http:\/\/[^\s,]+)/.exec(buffered);
      if (m !== null) resolve({ child, url: m[1]! });
    });
    child.once('exit', (code) => reject(new Error(`collector exited with ${code}`)));
  });
}

export function rssMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

function findingJson(key: string, node: string | null, i: number): string {
  return JSON.stringify({
    key,
    id: i % 3 === 0 ? 'mirror-unreachable' : i % 3 === 1 ? 'mirror-manifest-missing' : 'config-unknown-key',
    severity: i % 3 === 0 ? 'warning' : i % 7 === 0 ? 'error' : 'info',
    message: `Finding ${i}${node === null ? '' : ` on ${node}`}: the mirror mirror${i % 5}.corp.example:5000 answers "manifest unknown" for quay.io/team${i}/app:1.${i}.`,
    file: '/etc/containers/registries.conf',
    line: i,
    scope: `quay.io/team${i}`,
    fix: `Mirror quay.io/team${i}/app:1.${i} to mirror${i % 5}.corp.example:5000/team${i}/app (oc-mirror / skopeo copy --all).`,
    image: `quay.io/team${i}/app:1.${i}`,
    host: `mirror${i % 5}.corp.example:5000`,
  });
}

const SHARED = Array.from({ length: SHARED_FINDINGS }, (_, i) => findingJson(`shared-${i}`, null, i)).join(
  ',',
);
const HOSTS = JSON.stringify(
  Array.from({ length: 5 }, (_, i) => ({
    host: `mirror${i}.corp.example:5000`,
    reachable: i !== 0,
    outcome: i === 0 ? 'unreachable' : 'found',
    latencyMs: i === 0 ? null : 10 + i,
    probedAt: '2026-11-23T12:00:00Z',
  })),
);
const IMAGES = JSON.stringify(
  Array.from({ length: 20 }, (_, i) => ({
    image: `quay.io/team${i}/app:1.${i}`,
    pullable: i % 4 !== 0,
    source: i % 4 !== 0 ? `mirror1.corp.example:5000/team${i}/app:1.${i}` : null,
    digest: null,
    findingKeys: i % 4 === 0 ? [`shared-${i}`] : [],
  })),
);

// The cluster is an OpenShift one: the collector also evaluates cluster intent vs node reality on
// every report build. One IDMS; every 100th node still on the previous rendered config (lagging),
// every 50th with a hand-edited registries.conf (drifted).
const IDMS = imageDigestMirrorSet('corp-mirrors', [
  { source: 'quay.io', mirrors: ['mirror1.corp.example:5000', 'mirror2.corp.example:5000'] },
]);
const REGISTRIES = generatedRegistriesConf([IDMS]);
const FILES = JSON.stringify(diskDigests(REGISTRIES));
const DRIFTED_FILES = JSON.stringify(diskDigests(`${REGISTRIES}# edited by hand\n`));

function snapshotJson(node: string, n: number): string {
  const own = Array.from({ length: FINDINGS_PER_NODE - SHARED_FINDINGS }, (_, i) =>
    findingJson(`own-${node}-${i}`, node, SHARED_FINDINGS + i),
  ).join(',');
  const drifted = n % 50 === 0;
  return `{"v":1,"type":"snapshot","seq":1,"generatedAt":"2026-11-23T12:00:00Z","configHash":"${drifted ? 'drifted' : 'main'}","files":${drifted ? DRIFTED_FILES : FILES},"findings":[${SHARED},${own}],"hosts":${HOSTS},"images":${IMAGES},"scan":{"at":"2026-11-23T12:00:00Z","durationMs":1200,"probes":25}}`;
}

function seedOpenShift(api: FakeKubeApi): void {
  api.upsert('imagedigestmirrorsets', IDMS);
  for (const mc of [
    templateConfig('worker'),
    generatedConfig('worker', REGISTRIES),
    renderedConfig('rendered-worker-new', REGISTRIES),
    renderedConfig('rendered-worker-old', generatedRegistriesConf([])),
  ])
    api.upsert('machineconfigs', mc);
  api.upsert(
    'machineconfigpools',
    machineConfigPool('worker', {
      target: 'rendered-worker-new',
      current: 'rendered-worker-old',
      sources: standardSources('worker'),
      machineCount: AGENTS,
    }),
  );
}

interface SimAgent {
  readonly node: string;
  readonly ws: WebSocket;
  readonly pings: number[];
  onPong: ((sentAt: number) => void) | null;
}

function connect(url: string, node: string, n: number): Promise<SimAgent> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/agents`, { perMessageDeflate: false });
    const agent: SimAgent = { node, ws, pings: [], onPong: null };
    ws.on('error', reject);
    ws.on('message', () => undefined);
    ws.on('pong', () => {
      const sentAt = agent.pings.shift();
      if (sentAt !== undefined) agent.onPong?.(sentAt);
    });
    ws.once('open', () => {
      ws.send(
        `{"v":1,"type":"hello","node":"${node}","agentVersion":"bench","configHash":"main","pod":{"name":null,"namespace":null}}`,
      );
      ws.send(snapshotJson(node, n));
      agent.onPong = () => resolve(agent);
      agent.pings.push(performance.now());
      ws.ping();
    });
  });
}

async function roundTrip(
  agents: readonly SimAgent[],
  message: (a: SimAgent, i: number) => string,
): Promise<number> {
  const started = performance.now();
  await Promise.all(
    agents.map(
      (a, i) =>
        new Promise<void>((resolve) => {
          a.onPong = () => resolve();
          a.ws.send(message(a, i));
          a.pings.push(performance.now());
          a.ws.ping();
        }),
    ),
  );
  return performance.now() - started;
}

function p99(values: number[]): number {
  const sorted = values.sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? NaN;
}

async function rateStep(
  agents: readonly SimAgent[],
  rate: number,
): Promise<{ p99: number; achieved: number }> {
  const latencies: number[] = [];
  for (const a of agents) a.onPong = (sentAt) => latencies.push(performance.now() - sentAt);
  let sent = 0;
  let next = 0;
  const started = performance.now();
  while (performance.now() - started < RATE_STEP_MS) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (; sent < due; sent++) {
      const a = agents[next++ % agents.length]!;
      const k = `rate-${sent % 7}`;
      a.ws.send(
        `{"v":1,"type":"delta","seq":${sent},"configHash":"main","added":[${findingJson(k, a.node, sent % 7)}],"cleared":["rate-${(sent + 3) % 7}"],"hosts":[],"images":[]}`,
      );
      if (sent % 4 === 0) {
        a.pings.push(performance.now());
        a.ws.ping();
      }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const elapsed = performance.now() - started;
  // Let the last pongs arrive.
  await new Promise((r) => setTimeout(r, 500));
  return { p99: p99(latencies), achieved: Math.round((sent / elapsed) * 1000) };
}

function nodeName(n: number): string {
  return `node-${String(n).padStart(5, '0')}`;
}

export async function run(): Promise<BenchLine[]> {
  const api = await new FakeKubeApi('collector-sa-token', { openshift: true }).start();
  seedOpenShift(api);
  for (let n = 0; n < AGENTS; n++) {
    const lagging = n % 100 === 1;
    api.upsert(
      'nodes',
      mcoNode(nodeName(n), 'worker', {
        current: lagging ? 'rendered-worker-old' : 'rendered-worker-new',
        desired: 'rendered-worker-new',
        state: lagging ? 'Working' : 'Done',
      }),
    );
    api.upsert(
      'pods',
      podObject('apps', `app-${n}`, nodeName(n), { containers: [`quay.io/team${n % 20}/app:1.${n % 20}`] }),
    );
  }
  const { child, url } = await startCollector(api.writeKubeconfig());
  const agents: SimAgent[] = [];
  try {
    say(`collector: ${AGENTS} agents × ${FINDINGS_PER_NODE} findings against ${url} (pid ${child.pid})`);
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONNECT_CONCURRENCY }, async () => {
        while (next < AGENTS) {
          const n = next++;
          agents.push(await connect(url, nodeName(n), n));
        }
      }),
    );
    const ingestS = (performance.now() - started) / 1000;
    say(`  ingest of ${AGENTS} snapshots: ${ingestS.toFixed(2)} s (target ≤ 10 s)`);
    const heartbeatMs = await roundTrip(
      agents,
      (_a, i) => `{"v":1,"type":"heartbeat","seq":${i},"at":"2026-11-23T12:00:01Z"}`,
    );
    say(`  heartbeat round (${AGENTS} heartbeats, each acknowledged): ${heartbeatMs.toFixed(0)} ms`);

    // The first build after ingest, then two more (the collector rebuilds a report older than 2 s).
    const builds: number[] = [];
    type Summary = {
      summary: { nodes: number; problems: number };
      rollout: { pools: { nodesDone: number; nodesLagging: number; nodesDrifted: number }[] } | null;
    };
    let summary: Summary | null = null;
    let requestMs = 0;
    for (let i = 0; i < 3; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 2100));
      const t0 = performance.now();
      const res = await fetch(`${url}/api/v1/summary`);
      summary = (await res.json()) as Summary;
      if (i === 0) requestMs = performance.now() - t0;
      builds.push(Number(/report;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1] ?? NaN));
    }
    const buildMs = builds[0]!;
    const buildMedianMs = [...builds].sort((a, b) => a - b)[1]!;
    say(
      `  report build for ${summary!.summary.nodes} nodes, ${summary!.summary.problems} distinct problems: ${builds.map((b) => b.toFixed(0)).join(', ')} ms (first, then two rebuilds; target ≤ 1000 ms)`,
    );
    const pool = summary!.rollout?.pools[0];
    if (pool?.nodesLagging !== Math.ceil((AGENTS - 1) / 100) || pool.nodesDrifted !== Math.ceil(AGENTS / 50))
      throw new Error(`the rollout view is not what the cluster holds: ${JSON.stringify(summary!.rollout)}`);
    say(
      `  rollout view in that build: ${pool.nodesDone} nodes done, ${pool.nodesLagging} lagging, ${pool.nodesDrifted} drifted`,
    );
    const burst = rssMiB(child.pid!);
    // Steady state: 5,000 agents heartbeating (every 30 s in production) leave the collector mostly
    // idle, and V8's memory reducer collects and shrinks the heap then. Measure after 10 s of that.
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      for (let a = i; a < agents.length; a += 10)
        agents[a]!.ws.send(`{"v":1,"type":"heartbeat","seq":${i},"at":"2026-11-23T12:00:02Z"}`);
    }
    const memory = rssMiB(child.pid!);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const gauge = (name: string): number =>
      Number(new RegExp(`^mirrorscope_collector_${name} (\\S+)`, 'm').exec(metrics)?.[1] ?? NaN) / 1048576;
    const heapMiB = gauge('nodejs_heap_size_used_bytes');
    const heapTotalMiB = gauge('nodejs_heap_size_total_bytes');
    const externalMiB = gauge('nodejs_external_memory_bytes');
    say(
      `  collector RSS right after the burst ${burst.rss.toFixed(0)} MiB; settled ${memory.rss.toFixed(0)} MiB (JS heap used ${heapMiB.toFixed(0)} of ${heapTotalMiB.toFixed(0)} MiB, external ${externalMiB.toFixed(0)} MiB), peak so far ${memory.peak.toFixed(0)} MiB (target ≤ 512 MiB)`,
    );

    // The page and the full JSON (streamed: hundreds of MB at this size), as a client sees them.
    const pageStart = performance.now();
    const page = await (await fetch(`${url}/`)).text();
    const pageMs = performance.now() - pageStart;
    const jsonStart = performance.now();
    const jsonRes = await fetch(`${url}/api/v1/report`);
    let jsonBytes = 0;
    for await (const chunk of jsonRes.body as unknown as AsyncIterable<Uint8Array>) jsonBytes += chunk.length;
    const jsonMs = performance.now() - jsonStart;
    const afterJson = rssMiB(child.pid!);
    say(
      `  GET / ${(page.length / 1024).toFixed(0)} KiB in ${pageMs.toFixed(0)} ms; GET /api/v1/report ${(jsonBytes / 1048576).toFixed(0)} MiB streamed in ${(jsonMs / 1000).toFixed(1)} s (collector RSS then ${afterJson.rss.toFixed(0)} MiB)`,
    );

    let best = 0;
    const steps: { rate: number; p99: number; achieved: number }[] = [];
    for (const rate of RATES) {
      const step = await rateStep(agents, rate);
      steps.push({ rate, ...step });
      say(
        `  ${rate} deltas/s offered (${step.achieved}/s sent): p99 ingest latency ${step.p99.toFixed(1)} ms`,
      );
      // A single GC pause can spoil one step; two failing steps in a row end the climb.
      if (step.p99 <= 50) best = Math.max(best, step.achieved);
      else if (steps.length > 1 && steps[steps.length - 2]!.p99 > 50) break;
    }
    const after = rssMiB(child.pid!);
    return [
      {
        bench: 'collector',
        metric: 'ingest_all_snapshots_s',
        value: Number(ingestS.toFixed(2)),
        agents: AGENTS,
        findingsPerAgent: FINDINGS_PER_NODE,
        target: 10,
      },
      { bench: 'collector', metric: 'heartbeat_round_ms', value: Math.round(heartbeatMs), agents: AGENTS },
      {
        bench: 'collector',
        metric: 'report_page_ms',
        value: Math.round(pageMs),
        kib: Math.round(page.length / 1024),
      },
      {
        bench: 'collector',
        metric: 'report_json_stream_s',
        value: Number((jsonMs / 1000).toFixed(1)),
        mib: Math.round(jsonBytes / 1048576),
        rssAfterMiB: Math.round(afterJson.rss),
      },
      {
        bench: 'collector',
        metric: 'report_build_ms',
        value: Math.round(buildMs),
        medianOf3Ms: Math.round(buildMedianMs),
        nodes: summary!.summary.nodes,
        problems: summary!.summary.problems,
        requestMs: Math.round(requestMs),
        target: 1000,
      },
      {
        bench: 'collector',
        metric: 'collector_rss_mib',
        value: Math.round(memory.rss),
        heapUsedMiB: Math.round(heapMiB),
        afterBurstMiB: Math.round(burst.rss),
        nodeArgs: process.env.BENCH_COLLECTOR_NODE_ARGS ?? PRODUCTION_NODE_ARGS,
        peakAfterIngestMiB: Math.round(memory.peak),
        peakWithRateTestMiB: Math.round(after.peak),
        afterRateTestMiB: Math.round(after.rss),
        target: 512,
      },
      { bench: 'collector', metric: 'max_delta_rate_p99_under_50ms_per_s', value: best, steps },
    ];
  } finally {
    for (const a of agents) a.ws.terminate();
    child.kill('SIGTERM');
    await api.stop();
  }
}
