// Resolutions per second (reference parsing included) on registries.conf files of growing size,
// and how the cost grows with the number of [[registry]] entries (it should not).
//
// How it is measured, so that the figure is about the entry count and nothing else:
// - every size resolves the same mix (9 in 10 names below an entry, half by tag and half by digest,
//   1 in 10 matching none) of names of the same length: entry numbers are zero-padded, so a name at
//   10,000 entries is not longer (to parse and hash) than one at 10;
// - process CPU time, not the wall clock: on a shared machine that measures the scheduler;
// - the sizes take turns, round after round, in one process (each resolver built and warmed first),
//   and a figure is the median of its rounds: load that comes and goes hits every size alike.
import type * as Assemble from '../src/core/registries/assemble.js';
import type * as ResolverModule from '../src/core/resolve/resolver.js';
import { loadBuilt, say, type BenchLine } from './types.js';

// The production build (dist/) is measured, not the TypeScript sources through a loader.
const { assembleRegistriesConfig } = await loadBuilt<typeof Assemble>('core/registries/assemble.js');
const { Resolver } = await loadBuilt<typeof ResolverModule>('core/resolve/resolver.js');

const DIGEST = `sha256:${'c'.repeat(64)}`;
const SIZES = [10, 100, 1000, 10_000];
const ROUNDS = 9;
const ROUND_SECONDS = 0.2;

/** An entry's number, of the same length in every file size. */
function id(n: number): string {
  return String(n).padStart(5, '0');
}

function registriesConf(entries: number): string {
  const lines = ['unqualified-search-registries = ["registry.access.redhat.com", "docker.io"]'];
  for (let i = 0; i < entries; i++) {
    lines.push(
      '[[registry]]',
      `prefix = "quay.io/team${id(i)}/app${id(i)}"`,
      `location = "source${i % 97}.example.com/team${id(i)}/app${id(i)}"`,
    );
    for (let m = 0; m < 3; m++) {
      lines.push('[[registry.mirror]]', `location = "mirror${m}.corp.example:5000/team${id(i)}/app${id(i)}"`);
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
        i % 2 === 0
          ? `quay.io/team${id(n)}/app${id(n)}/svc:v${i % 13}`
          : `quay.io/team${id(n)}/app${id(n)}/svc@${DIGEST}`,
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

interface Subject {
  readonly resolver: InstanceType<typeof Resolver>;
  readonly refs: readonly string[];
  readonly rounds: number[];
}

function subject(entries: number, touched = entries): Subject {
  const config = assembleRegistriesConfig({
    main: { path: '/etc/containers/registries.conf', text: registriesConf(entries) },
    dropIns: [],
  });
  const resolver = new Resolver(config);
  const refs = inputs(touched, 4096);
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += resolver.resolve(refs[i & 4095]!).candidates.length; // warm-up
  if (sink === 0) throw new Error('no candidates resolved');
  return { resolver, refs, rounds: [] };
}

/** One round: resolutions per CPU second over `ROUND_SECONDS`. */
function round({ resolver, refs, rounds }: Subject): void {
  let sink = 0;
  const start = process.cpuUsage();
  let n = 0;
  while (cpuSeconds(start) < ROUND_SECONDS) {
    for (let i = 0; i < 1000; i++) sink += resolver.resolve(refs[(n + i) & 4095]!).candidates.length;
    n += 1000;
  }
  if (sink === 0) throw new Error('no candidates resolved');
  rounds.push(n / cpuSeconds(start));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

/** The slowest and fastest round, in thousands per second. */
function spread(rounds: readonly number[]): string {
  return `${Math.round(Math.min(...rounds) / 1000)}k–${Math.round(Math.max(...rounds) / 1000)}k`;
}

export async function run(): Promise<BenchLine[]> {
  const subjects = new Map(SIZES.map((entries) => [entries, subject(entries)]));
  // The lookup itself: 10,000 entries in the file, but the images touch only 10 of them.
  const hot = subject(10_000, 10);
  for (let r = 0; r < ROUNDS; r++) for (const s of [...subjects.values(), hot]) round(s);
  const lines: BenchLine[] = [];
  for (const [entries, s] of subjects) {
    const ops = Math.round(median(s.rounds));
    say(
      `resolve: ${entries.toString().padStart(6)} entries × 3 mirrors  ${ops.toLocaleString('en')} resolutions/s (rounds ${spread(s.rounds)})${entries === 1000 ? '  (goal ≥ 250,000/s, moonshot 1,000,000/s)' : ''}`,
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
  const hotOps = Math.round(median(hot.rounds));
  say(
    `resolve: 10,000 entries, images using 10 of them: ${hotOps.toLocaleString('en')} resolutions/s (index cost independent of file size)`,
  );
  lines.push({ bench: 'resolve', metric: 'opsPerSecHotSet', entries: 10_000, touched: 10, value: hotOps });
  return lines;
}
