// The node agent with the image set of a busy node (300 pod images) against local registries:
// time from start to the first snapshot and to the first complete scan, probes sent per scan (cold,
// and warm within the answer TTL), and RSS and CPU in steady state when nothing changes.
// Targets (issue #5): ≤ 64 MiB RSS, ≤ 1 % of a core when nothing changes.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FakeCollector } from '../test/agent/support/fake-collector.js';
import { AgentProcess } from '../test/agent/support/agent-process.js';
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

const REPOS = 3;
const TAGS = 50;
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

function procStat(pid: number): Promise<{ rssKiB: number; cpuTicks: number }> {
  return Promise.all([readFile(`/proc/${pid}/status`, 'utf8'), readFile(`/proc/${pid}/stat`, 'utf8')]).then(
    ([status, stat]) => {
      const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return { rssKiB, cpuTicks: Number(fields[11]) + Number(fields[12]) };
    },
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(): Promise<BenchLine[]> {
  const lab = await RegistryLab.create();
  const collector = new FakeCollector(TOKEN);
  let agent: AgentProcess | null = null;
  try {
    const layout = path.join(lab.dir, 'layout');
    await buildOciLayout(layout, [{ tag: 'app', content: 'bench image' }]);
    const [src, mirror] = await Promise.all([
      lab.startRegistry({ name: 'src' }),
      lab.startRegistry({ name: 'mirror' }),
    ]);
    const images: string[] = [];
    for (let r = 0; r < REPOS; r++) {
      await Promise.all([
        lab.push(layout, 'app', src, `bench/app-${r}:base`),
        lab.push(layout, 'app', mirror, `bench/app-${r}:base`),
      ]);
      const tags = Array.from({ length: TAGS }, (_, t) => `t${t}`);
      const [digest] = await Promise.all([
        tagAll(mirror, `bench/app-${r}`, 'base', tags),
        tagAll(src, `bench/app-${r}`, 'base', tags),
      ]);
      for (const t of tags) images.push(`lab.example/bench/app-${r}:${t}`);
      // Most pods of a node pin digests; many pods share one image.
      for (let t = 0; t < TAGS; t++) images.push(`lab.example/bench/app-${r}@${digest}`);
    }
    // 300 pod images, 153 distinct references.
    const root = path.join(lab.dir, 'root');
    await writeNodeRoot(root, {
      '/etc/containers/registries.conf': `[[registry]]\nprefix = "lab.example/bench"\nlocation = "${src.host}/bench"\ninsecure = true\n[[registry.mirror]]\nlocation = "${mirror.host}/bench"\ninsecure = true\n`,
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
      ],
      { NODE_OPTIONS: deployed.nodeOptions },
      deployed.nodeArgs,
    );
    const firstSnapshot = await collector.waitFor(() => collector.messages('snapshot')[0], 30_000);
    const toSnapshot = performance.now() - started;
    void firstSnapshot;
    collector.send({ v: 1, type: 'images', generation: 1, images });
    const distinct = new Set(images).size;
    const firstScan = await agent.waitFor((l) => l.event === 'scan' && l.images === distinct, 120_000);
    const toFullScan = performance.now() - started;
    const fromImagesMs = Number(firstScan.durationMs);
    const coldProbes = Number(firstScan.probes);

    // A second scan within the answer TTL, triggered by one more pod image: only that one is probed.
    const mark = agent.lines.length;
    collector.send({
      v: 1,
      type: 'images',
      generation: 2,
      images: [...images, 'lab.example/bench/app-0:base'],
    });
    const warm = await agent.waitFor((l) => l.event === 'scan' && l.images === distinct + 1, 60_000, mark);

    await sleep(3_000);
    const a = await procStat(agent.pid);
    const windowMs = 30_000;
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

    say(`agent: ${images.length} pod images (${new Set(images).size} distinct)`);
    say(
      `  start → first snapshot ${toSnapshot.toFixed(0)} ms; start → first full scan ${toFullScan.toFixed(0)} ms (scan ${fromImagesMs} ms)`,
    );
    say(
      `  probes: cold scan ${coldProbes}, warm scan ${String(warm.probes)} (${String(warm.durationMs)} ms)`,
    );
    say(
      `  steady state: RSS ${rssMiB.toFixed(1)} MiB (target ≤ 64; JS heap used ${heapMiB.toFixed(1)} MiB), CPU ${cpuPercent.toFixed(2)} % of a core over ${windowMs / 1000} s (target ≤ 1)`,
    );
    say(`  SIGTERM exit code ${String(exit.code)}`);
    const base = { bench: 'agent', images: images.length };
    return [
      { ...base, metric: 'start_to_first_snapshot_ms', value: Math.round(toSnapshot) },
      { ...base, metric: 'start_to_first_full_scan_ms', value: Math.round(toFullScan) },
      { ...base, metric: 'scan_duration_cold_ms', value: fromImagesMs },
      {
        ...base,
        metric: 'probes_per_scan_cold',
        value: coldProbes,
        distinctReferences: new Set(images).size,
      },
      { ...base, metric: 'probes_per_scan_warm', value: Number(warm.probes), newImages: 1 },
      { ...base, metric: 'steady_rss_mib', value: Math.round(rssMiB * 10) / 10, target: 64 },
      { ...base, metric: 'steady_cpu_percent_of_core', value: Math.round(cpuPercent * 100) / 100, target: 1 },
    ];
  } finally {
    await agent?.stop('SIGKILL');
    await collector.stop();
    await lab.stop();
  }
}
