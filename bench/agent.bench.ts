// The node agent with the image set of a busy node (1,000 pod images, 510 distinct references) against
// local registries (a source and two mirrors, each mirror serving half the repositories): time from
// start to the first snapshot and to the first complete scan, the cold scan, a warm scan within the
// answer TTL that adds one image, the rescan after a configuration change and the scan after it,
// probes sent per scan, RSS and CPU in steady state when nothing changes, and the peak RSS (where it
// was reached: after which phase), all with the node flags of the DaemonSet manifest.
// Goals (issues #5 and #18): cold scan ≤ 5 s, warm scan ≤ 50 ms, ≤ 64 MiB RSS, ≤ 1 % of a core idle.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FakeCollector } from '../test/support/fake-collector.js';
import { AgentProcess, type LogLine } from '../test/support/agent-process.js';
import { buildOciLayout } from '../test/support/oci-image.js';
import { RegistryLab, writeNodeRoot, type LabRegistry } from '../test/support/registry-lab.js';
import { say, type BenchLine } from './types.js';

/**
 * The agent is measured as the DaemonSet runs it: the node flags of its container `command` and its
 * NODE_OPTIONS, read from the manifest.
 */
async function deployedNodeSettings(): Promise<{ nodeArgs: string[]; nodeOptions: string }> {
  const { parse } = await import('yaml');
  const manifest = parse(
    await readFile(new URL('../daemonset/base/agent-daemonset.yaml', import.meta.url), 'utf8'),
  ) as {
    spec: {
      template: { spec: { containers: { command?: string[]; env?: { name: string; value?: string }[] }[] } };
    };
  };
  const container = manifest.spec.template.spec.containers[0]!;
  const command = container.command ?? [];
  const script = command.findIndex((c) => c.endsWith('cli.js'));
  return {
    nodeArgs: script > 0 ? command.slice(1, script) : [],
    nodeOptions: container.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '',
  };
}

const REPOS = Number(process.env.BENCH_AGENT_REPOS ?? 10);
const TAGS = 50;
/** Repositories 0..REPOS/2-1 are mirrored on mirror A, the others on mirror B. */
const GROUPS = ['a', 'b'] as const;
const COLD_SCAN_GOAL_MS = 5_000;
const WARM_SCAN_GOAL_MS = 50;
const RSS_GOAL_MIB = 64;
const TOKEN = 'bench-token';

/** Extra tags of an already pushed manifest, by PUT (much faster than a push per tag). */
async function tagAll(
  registry: LabRegistry,
  repo: string,
  from: string,
  tags: readonly string[],
): Promise<string> {
  const accept = 'application/vnd.oci.image.manifest.v1+json';
  const res = await fetch(`http://${registry.host}/v2/${repo}/manifests/${from}`, {
    headers: { Accept: accept },
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const digest = res.headers.get('docker-content-digest')!;
  for (const tag of tags) {
    const put = await fetch(`http://${registry.host}/v2/${repo}/manifests/${tag}`, {
      method: 'PUT',
      headers: { 'Content-Type': accept },
      body: bytes,
    });
    if (put.status !== 201) throw new Error(`PUT ${repo}:${tag}: HTTP ${put.status}`);
  }
  return digest;
}

function procStat(pid: number): Promise<{ rssKiB: number; peakRssKiB: number; cpuTicks: number }> {
  return Promise.all([readFile(`/proc/${pid}/status`, 'utf8'), readFile(`/proc/${pid}/stat`, 'utf8')]).then(
    ([status, stat]) => {
      const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
      const peakRssKiB = Number(/VmHWM:\s+(\d+)/.exec(status)![1]);
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return { rssKiB, peakRssKiB, cpuTicks: Number(fields[11]) + Number(fields[12]) };
    },
  );
}

const mib = (kib: number) => (kib / 1024).toFixed(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(): Promise<BenchLine[]> {
  const lab = await RegistryLab.create();
  const collector = new FakeCollector(TOKEN);
  let agent: AgentProcess | null = null;
  try {
    const layout = path.join(lab.dir, 'layout');
    await buildOciLayout(layout, [{ tag: 'app', content: 'bench image' }]);
    const [src, mirrorA, mirrorB] = await Promise.all([
      lab.startRegistry({ name: 'src' }),
      lab.startRegistry({ name: 'mirror-a' }),
      lab.startRegistry({ name: 'mirror-b' }),
    ]);
    const mirrors = { a: mirrorA, b: mirrorB };
    const groupOf = (r: number) => GROUPS[r < REPOS / 2 ? 0 : 1];
    const images: string[] = [];
    for (let r = 0; r < REPOS; r++) {
      const repo = `bench-${groupOf(r)}/app-${r}`;
      const mirror = mirrors[groupOf(r)];
      await Promise.all([
        lab.push(layout, 'app', src, `${repo}:base`),
        lab.push(layout, 'app', mirror, `${repo}:base`),
      ]);
      const tags = Array.from({ length: TAGS }, (_, t) => `t${t}`);
      const [digest] = await Promise.all([
        tagAll(mirror, repo, 'base', tags),
        tagAll(src, repo, 'base', tags),
      ]);
      for (const t of tags) images.push(`lab.example/${repo}:${t}`);
      // Most pods of a node pin digests; many pods share one image.
      for (let t = 0; t < TAGS; t++) images.push(`lab.example/${repo}@${digest}`);
    }
    // 1,000 pod images, 510 distinct references (with the default 10 repositories).
    const root = path.join(lab.dir, 'root');
    const registriesConf = GROUPS.map(
      (g) =>
        `[[registry]]\nprefix = "lab.example/bench-${g}"\nlocation = "${src.host}/bench-${g}"\ninsecure = true\n[[registry.mirror]]\nlocation = "${mirrors[g].host}/bench-${g}"\ninsecure = true\n`,
    ).join('');
    await writeNodeRoot(root, {
      '/etc/containers/registries.conf': registriesConf,
      '/etc/containers/policy.json': '{"default":[{"type":"insecureAcceptAnything"}]}',
    });
    const tokenFile = path.join(lab.dir, 'token');
    await writeNodeRoot(lab.dir, { '/token': TOKEN });
    await collector.start();

    const deployed = await deployedNodeSettings();
    say(`  node flags as deployed: ${[...deployed.nodeArgs, deployed.nodeOptions].join(' ')}`);
    const started = performance.now();
    agent = AgentProcess.start(
      [
        '--root',
        root,
        '--node',
        'bench-node',
        '--listen',
        '127.0.0.1:0',
        '--collector',
        collector.url,
        '--token-file',
        tokenFile,
        '--log-level',
        'info',
        // Extra agent flags to compare settings (BENCH_AGENT_ARGS="--concurrency 8").
        ...(process.env.BENCH_AGENT_ARGS?.split(' ').filter((a) => a !== '') ?? []),
      ],
      { NODE_OPTIONS: deployed.nodeOptions },
      // Extra node flags to look inside (BENCH_AGENT_NODE_ARGS="--trace-gc").
      [
        ...deployed.nodeArgs,
        ...(process.env.BENCH_AGENT_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? []),
      ],
    );
    const firstSnapshot = await collector.waitFor(() => collector.messages('snapshot')[0], 30_000);
    const toSnapshot = performance.now() - started;
    void firstSnapshot;
    collector.send({ v: 1, type: 'images', generation: 1, images });
    const distinct = new Set(images).size;
    const firstScan = await agent.waitFor((l) => l.event === 'scan' && l.images === distinct, 180_000);
    const toFullScan = performance.now() - started;
    const fromImagesMs = Number(firstScan.durationMs);
    const coldProbes = Number(firstScan.probes);
    const afterCold = await procStat(agent.pid);

    // Scans within the answer TTL, each triggered by one more pod image: only that one is probed,
    // and the others cost nothing they did not cost before. The median of five.
    const warmScans: LogLine[] = [];
    for (let k = 0; k < 5; k++) {
      const mark = agent.lines.length;
      collector.send({
        v: 1,
        type: 'images',
        generation: 2 + k,
        images: [
          ...images,
          ...Array.from({ length: k + 1 }, (_, n) => `lab.example/bench-${groupOf(n)}/app-${n}:base`),
        ],
      });
      warmScans.push(
        await agent.waitFor((l) => l.event === 'scan' && l.images === distinct + k + 1, 60_000, mark),
      );
    }
    const afterWarm = await procStat(agent.pid);
    const warm = [...warmScans].sort((x, y) => Number(x.durationMs) - Number(y.durationMs))[2]!;

    // A configuration change that touches none of these images' sources: every image is traced
    // again (its findings name files and lines), the answers of the unchanged sources are reused.
    const mark = agent.lines.length;
    await writeNodeRoot(root, {
      '/etc/containers/registries.conf': `${registriesConf}[[registry]]\nprefix = "other.example"\nlocation = "${src.host}/other"\n`,
    });
    const afterChange = await agent.waitFor(
      (l) => l.event === 'scan' && l.reason === 'config-changed',
      60_000,
      mark,
    );

    // The next scan, one image more: the change moved no cached answer (the blob checks are kept
    // with the clients, like the manifest answers), so it costs what the warm scans cost.
    const nextMark = agent.lines.length;
    const nextImages = [
      ...images,
      ...Array.from({ length: 6 }, (_, n) => `lab.example/bench-${groupOf(n)}/app-${n}:base`),
    ];
    collector.send({ v: 1, type: 'images', generation: 7, images: nextImages });
    const afterChangeNext = await agent.waitFor(
      (l) => l.event === 'scan' && l.images === new Set(nextImages).size,
      60_000,
      nextMark,
    );
    const changed = await procStat(agent.pid);
    await sleep(3_000);
    const a = await procStat(agent.pid);
    // A shorter window for quick RSS comparisons (BENCH_AGENT_WINDOW_MS=3000); the CPU figure wants 30 s.
    const windowMs = Number(process.env.BENCH_AGENT_WINDOW_MS ?? 30_000);
    await sleep(windowMs);
    const b = await procStat(agent.pid);
    const ticksPerSecond = 100;
    const cpuPercent = ((b.cpuTicks - a.cpuTicks) / ticksPerSecond / (windowMs / 1000)) * 100;
    const rssMiB = b.rssKiB / 1024;
    const metrics = await (await fetch(`${await agent.httpBase()}/metrics`)).text();
    const heap = /^mirrorscope_agent_nodejs_heap_size_used_bytes (\d+)/m.exec(metrics);
    const heapMiB = heap ? Number(heap[1]) / 1048576 : NaN;
    const exit = await agent.stop('SIGTERM');
    agent = null;

    const peakMiB = b.peakRssKiB / 1024;
    say(`agent: ${images.length} pod images (${distinct} distinct) on ${GROUPS.length + 1} registries`);
    say(
      `  start → first snapshot ${toSnapshot.toFixed(0)} ms; start → first full scan ${toFullScan.toFixed(0)} ms`,
    );
    say(
      `  cold scan ${fromImagesMs} ms (goal ≤ ${COLD_SCAN_GOAL_MS}; CPU ${String(firstScan.cpuMs)} ms), ${coldProbes} probes; RSS right after ${(afterCold.rssKiB / 1024).toFixed(1)} MiB`,
    );
    say(
      `  warm scans (one image more each): ${warmScans.map((w) => `${String(w.durationMs)} ms/${String(w.probes)} probes`).join(', ')}; median ${String(warm.durationMs)} ms (goal ≤ ${WARM_SCAN_GOAL_MS}; CPU ${String(warm.cpuMs)} ms)`,
    );
    say(
      `  after a configuration change: ${String(afterChange.durationMs)} ms, ${String(afterChange.probes)} probes (CPU ${String(afterChange.cpuMs)} ms)`,
    );
    say(
      `  the scan after it (one image more): ${String(afterChangeNext.durationMs)} ms, ${String(afterChangeNext.probes)} probes (CPU ${String(afterChangeNext.cpuMs)} ms)`,
    );
    say(
      `  steady state: RSS ${rssMiB.toFixed(1)} MiB (goal ≤ ${RSS_GOAL_MIB}; peak ${peakMiB.toFixed(1)} MiB; JS heap used ${heapMiB.toFixed(1)} MiB), CPU ${cpuPercent.toFixed(2)} % of a core over ${windowMs / 1000} s (goal ≤ 1)`,
    );
    say(
      `  peak RSS so far: after the cold scan ${mib(afterCold.peakRssKiB)} MiB, after the warm scans ${mib(afterWarm.peakRssKiB)} MiB, after the configuration change ${mib(changed.peakRssKiB)} MiB`,
    );
    say(`  SIGTERM exit code ${String(exit.code)}`);
    const base = { bench: 'agent', images: images.length, distinctReferences: distinct };
    return [
      { ...base, metric: 'start_to_first_snapshot_ms', value: Math.round(toSnapshot) },
      { ...base, metric: 'start_to_first_full_scan_ms', value: Math.round(toFullScan) },
      { ...base, metric: 'scan_duration_cold_ms', value: fromImagesMs, goal: COLD_SCAN_GOAL_MS },
      { ...base, metric: 'scan_cpu_cold_ms', value: Number(firstScan.cpuMs ?? NaN) },
      { ...base, metric: 'probes_per_scan_cold', value: coldProbes },
      {
        ...base,
        metric: 'scan_duration_warm_ms',
        value: Number(warm.durationMs),
        goal: WARM_SCAN_GOAL_MS,
        newImages: 1,
      },
      { ...base, metric: 'scan_cpu_warm_ms', value: Number(warm.cpuMs ?? NaN), newImages: 1 },
      { ...base, metric: 'probes_per_scan_warm', value: Number(warm.probes), newImages: 1 },
      { ...base, metric: 'scan_duration_after_config_change_ms', value: Number(afterChange.durationMs) },
      { ...base, metric: 'probes_after_config_change', value: Number(afterChange.probes) },
      {
        ...base,
        metric: 'scan_duration_next_after_config_change_ms',
        value: Number(afterChangeNext.durationMs),
        goal: WARM_SCAN_GOAL_MS,
        newImages: 1,
      },
      {
        ...base,
        metric: 'probes_next_after_config_change',
        value: Number(afterChangeNext.probes),
        newImages: 1,
      },
      { ...base, metric: 'steady_rss_mib', value: Math.round(rssMiB * 10) / 10, goal: RSS_GOAL_MIB },
      {
        ...base,
        metric: 'rss_after_cold_scan_mib',
        value: Math.round((afterCold.rssKiB / 1024) * 10) / 10,
        goal: RSS_GOAL_MIB,
      },
      // VmHWM: the most the process ever held, over the cold, warm and configuration-change scans.
      { ...base, metric: 'peak_rss_mib', value: Math.round(peakMiB * 10) / 10, goal: RSS_GOAL_MIB },
      { ...base, metric: 'steady_cpu_percent_of_core', value: Math.round(cpuPercent * 100) / 100, goal: 1 },
    ];
  } finally {
    await agent?.stop('SIGKILL');
    await collector.stop();
    await lab.stop();
  }
}
