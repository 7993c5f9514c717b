// Resolutions per second (reference parsing included) on registries.conf files of growing size,
// and how the cost grows with the number of [[registry]] entries (it should not).
import type * as Assemble from '../src/core/registries/assemble.js';
import type * as ResolverModule from '../src/core/resolve/resolver.js';
import { loadBuilt, say, type BenchLine } from './types.js';

// The production build (dist/) is measured, not the TypeScript sources through a loader.
const { assembleRegistriesConfig } = await loadBuilt<typeof Assemble>('core/registries/assemble.js');
const { Resolver } = await loadBuilt<typeof ResolverModule>('core/resolve/resolver.js');

const DIGEST = `sha256:${'c'.repeat(64)}`;

function registriesConf(entries: number): string {
  const lines = ['unqualified-search-registries = ["registry.access.redhat.com", "docker.io"]'];
  for (let i = 0; i < entries; i++) {
    lines.push(
      '[[registry]]',
      `prefix = "quay.io/team${i}/app${i}"`,
      `location = "source${i % 97}.example.com/team${i}/app${i}"`,
    );
    for (let m = 0; m < 3; m++) {
      lines.push('[[registry.mirror]]', `location = "mirror${m}.corp.example:5000/team${i}/app${i}"`);
      if (m === 1) lines.push('pull-from-mirror = "digest-only"');
    }
  }
  return `${lines.join('\n')}\n`;
}

/** References spread over the first `touched` entries (all of them by default). */
function inputs(touched: number, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = (i * 7919) % touched;
    if (i % 10 === 9) out.push(`unmatched${i}.example.com/ns/img:${i}`);
    else
      out.push(
        i % 2 === 0 ? `quay.io/team${n}/app${n}/svc:v${i % 13}` : `quay.io/team${n}/app${n}/svc@${DIGEST}`,
      );
  }
  return out;
}

/**
 * The process's CPU time (every thread: GC helpers count against the resolver) since `start`. Not the
 * wall clock: on a shared machine that measures the scheduler as much as the resolver.
 */
function cpuSeconds(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function measure(entries: number, touched = entries): number {
  const config = assembleRegistriesConfig({
    main: { path: '/etc/containers/registries.conf', text: registriesConf(entries) },
    dropIns: [],
  });
  const resolver = new Resolver(config);
  const refs = inputs(touched, 4096);
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += resolver.resolve(refs[i & 4095]!).candidates.length; // warm-up
  const best: number[] = [];
  for (let round = 0; round < 5; round++) {
    const start = process.cpuUsage();
    let n = 0;
    while (cpuSeconds(start) < 0.3) {
      for (let i = 0; i < 1000; i++) sink += resolver.resolve(refs[(n + i) & 4095]!).candidates.length;
      n += 1000;
    }
    best.push(n / cpuSeconds(start));
  }
  if (sink === 0) throw new Error('no candidates resolved');
  return Math.max(...best);
}

export async function run(): Promise<BenchLine[]> {
  const lines: BenchLine[] = [];
  for (const entries of [10, 100, 1000, 10_000]) {
    const ops = Math.round(measure(entries));
    say(
      `resolve: ${entries.toString().padStart(6)} entries × 3 mirrors  ${ops.toLocaleString('en')} resolutions/s${entries === 1000 ? '  (goal ≥ 250,000/s, moonshot 1,000,000/s)' : ''}`,
    );
    const goal = entries === 1000 ? { goal: '>= 250000', moonshot: '>= 1000000' } : {};
    lines.push({ bench: 'resolve', metric: 'opsPerSec', entries, value: ops, ...goal });
  }
  const by = (e: number) => lines.find((l) => l.entries === e)!.value;
  const growth = by(10) / by(10_000);
  say(
    `resolve: cost at 10,000 entries is ${growth.toFixed(2)}× the cost at 10 (goal ≤ 1.3×; flat = 1.0, the rest is the larger working set of entries touched)`,
  );
  lines.push({
    bench: 'resolve',
    metric: 'costGrowth10to10000',
    value: Number(growth.toFixed(3)),
    goal: '<= 1.3',
  });
  // The lookup itself: 10,000 entries in the file, but the images touch only 10 of them.
  const hot = Math.round(measure(10_000, 10));
  say(
    `resolve: 10,000 entries, images using 10 of them: ${hot.toLocaleString('en')} resolutions/s (index cost independent of file size)`,
  );
  lines.push({ bench: 'resolve', metric: 'opsPerSecHotSet', entries: 10_000, touched: 10, value: hot });
  return lines;
}
