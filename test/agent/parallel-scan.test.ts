// The agent's scan probes many hosts at once, each within its own bound. Proof that this changes
// nothing but the time: the parallel scan's findings, image statuses and host health equal those of
// the same images checked one at a time, one request at a time; a registry that never answers holds
// only its own probes; and a rescan within the answer TTL redoes only what is new, after it all.
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadHostConfig, type HostConfig } from '../../src/agent/host-config.js';
import { scanAnswers, Scanner, type ScanOutput, type ScanSettings } from '../../src/agent/scanner.js';
import { mergeFindings } from '../../src/core/diagnose/finding-key.js';
import { TraceEngine } from '../../src/trace/engine.js';
import { buildOciLayout } from '../support/oci-image.js';
import {
  RegistryLab,
  writeNodeRoot,
  type HostileRegistry,
  type LabRegistry,
} from '../support/registry-lab.js';

const TIMEOUT_MS = 1_500;
const settings = (concurrency: number, probeTtlMs = 600_000): ScanSettings => ({
  concurrency,
  probeTtlMs,
  timeoutMs: TIMEOUT_MS,
  hostRate: 10_000,
});

let lab: RegistryLab;
let src: LabRegistry;
let mirror: LabRegistry;
let slow: HostileRegistry;
let garbled: HostileRegistry;
let deadHost: string;
let root: string;
let images: string[];
let goodImages: string[];

beforeAll(async () => {
  lab = await RegistryLab.create();
  const layout = path.join(lab.dir, 'layout');
  const built = await buildOciLayout(layout, [
    { tag: 'one', content: 'parallel one' },
    { tag: 'two', content: 'parallel two' },
  ]);
  [src, mirror, slow, garbled] = await Promise.all([
    lab.startRegistry({ name: 'src' }),
    lab.startRegistry({ name: 'mirror' }),
    lab.startHostile('slow'),
    lab.startHostile('invalid-json'),
  ]);
  deadHost = `127.0.0.1:${await lab.deadPort()}`;
  // The mirror has app-0..app-2 (app-2:two with other content), the source everything.
  await Promise.all(
    [0, 1, 2, 3].flatMap((r) => [
      lab.push(layout, 'one', src, `p/app-${r}:one`),
      lab.push(layout, 'two', src, `p/app-${r}:two`),
      ...(r < 3 ? [lab.push(layout, 'one', mirror, `p/app-${r}:one`)] : []),
      ...(r < 2 ? [lab.push(layout, 'two', mirror, `p/app-${r}:two`)] : []),
      // The mirror's app-2:two is another image: a copy that did not keep the digest.
      ...(r === 2 ? [lab.push(layout, 'one', mirror, `p/app-${r}:two`)] : []),
    ]),
  );
  const [one, two] = built;
  const entry = (prefix: string, mirrors: readonly string[]) =>
    `[[registry]]\nprefix = "${prefix}"\nlocation = "${src.host}/p"\ninsecure = true\n` +
    mirrors.map((m) => `[[registry.mirror]]\nlocation = "${m}/p"\ninsecure = true\n`).join('');
  root = await writeNodeRoot(path.join(lab.dir, 'root'), {
    '/etc/containers/registries.conf':
      entry('good.example/p', [mirror.host]) +
      entry('a-silent.example/p', [slow.host, mirror.host]) +
      entry('dead.example/p', [deadHost, mirror.host]) +
      entry('garbled.example/p', [garbled.host]),
    '/etc/containers/policy.json': '{"default":[{"type":"insecureAcceptAnything"}]}',
  });
  const refs = (prefix: string) =>
    [0, 1, 2, 3].flatMap((r) => [
      `${prefix}/app-${r}:one`,
      `${prefix}/app-${r}:two`,
      `${prefix}/app-${r}:missing`,
      `${prefix}/app-${r}@${one!.digest}`,
      `${prefix}/app-${r}@${two!.digest}`,
    ]);
  goodImages = refs('good.example/p');
  images = [
    ...goodImages,
    ...refs('a-silent.example/p'),
    ...refs('dead.example/p'),
    ...refs('garbled.example/p'),
    // A digest pinned under a tag the mirror lacks: the digest-mismatch probe by tag.
    `good.example/p/app-2:two@${two!.digest}`,
    'not a reference',
  ];
}, 120_000);

afterAll(() => lab?.stop());

async function withScanner<T>(
  concurrency: number,
  body: (scanner: Scanner, config: HostConfig) => Promise<T>,
  probe: (host: string) => void = () => undefined,
  probeTtlMs?: number,
): Promise<T> {
  const config = await loadHostConfig(root, { timeoutMs: TIMEOUT_MS });
  const answers = scanAnswers(settings(concurrency, probeTtlMs), { probe });
  const scanner = new Scanner(config, settings(concurrency, probeTtlMs), answers);
  try {
    return await body(scanner, config);
  } finally {
    scanner.close();
    answers.close();
  }
}

/** What a scan found, without what depends on timing (latencies, durations, the time). */
function comparable(out: Pick<ScanOutput, 'findings' | 'images' | 'hosts' | 'errors'>) {
  return {
    findings: out.findings,
    images: out.images,
    hosts: out.hosts.map(({ host, reachable, outcome }) => ({ host, reachable, outcome })),
    errors: out.errors,
  };
}

describe('a parallel scan', () => {
  it('finds exactly what the images checked one at a time find', async () => {
    const parallel = await withScanner(4, (scanner) => scanner.scan(images));
    const sequential = await withScanner(1, async (scanner, config) => {
      const outs: ScanOutput[] = [];
      for (const image of [...new Set(images)].sort()) outs.push(await scanner.scan([image]));
      // Host health: reachable if any image reached it; otherwise the first image's outcome.
      const hosts = new Map<string, ScanOutput['hosts'][number]>();
      for (const h of outs.flatMap((o) => o.hosts))
        if (hosts.get(h.host)?.reachable !== true && (!hosts.has(h.host) || h.reachable))
          hosts.set(h.host, h);
      return {
        findings: mergeFindings([...config.staticFindings, ...outs.flatMap((o) => o.findings)]),
        images: outs.flatMap((o) => o.images),
        hosts: [...hosts.values()].sort((a, b) => (a.host < b.host ? -1 : 1)),
        errors: outs.flatMap((o) => o.errors),
      };
    });
    expect(comparable(parallel)).toEqual(comparable(sequential));
    // The scan saw what the lab holds: not a vacuous equality.
    const byImage = new Map(parallel.images.map((i) => [i.image, i]));
    expect(byImage.get('good.example/p/app-0:one')).toMatchObject({
      pullable: true,
      source: `${mirror.host}/p/app-0:one`,
    });
    expect(byImage.get('good.example/p/app-3:one')).toMatchObject({
      pullable: true,
      source: `${src.host}/p/app-3:one`,
    });
    expect(byImage.get('a-silent.example/p/app-1:two')).toMatchObject({ pullable: true });
    expect(byImage.get('good.example/p/app-0:missing')).toMatchObject({ pullable: false });
    expect(parallel.hosts.find((h) => h.host === slow.host)).toMatchObject({
      reachable: false,
      outcome: 'timeout',
    });
    expect(parallel.hosts.find((h) => h.host === deadHost)).toMatchObject({ reachable: false });
    expect(parallel.hosts.find((h) => h.host === mirror.host)).toMatchObject({ reachable: true });
    expect(parallel.findings.map((f) => f.id)).toContain('mirror-digest-mismatch');
    expect(parallel.errors).toEqual([]);
  }, 120_000);

  it('is not held up by a registry that never answers', async () => {
    // The a-silent.example images come first and ask the silent mirror first: it holds its own
    // slots until its deadline, while the probes of the images that need only the good hosts all
    // finish long before.
    const alone = await withScanner(2, (scanner) => scanner.scan(goodImages));
    expect(alone.durationMs).toBeLessThan(TIMEOUT_MS);
    const silentOnes = images.filter((i) => i.startsWith('a-silent.example/'));
    const finished: { host: string; ms: number }[] = [];
    let started = 0;
    const out = await withScanner(
      2,
      (scanner) => {
        started = performance.now();
        return scanner.scan([...silentOnes, ...goodImages]);
      },
      (host) => finished.push({ host, ms: performance.now() - started }),
    );
    // The silent registry really held its probes for the whole deadline…
    expect(out.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(finished.filter((p) => p.host === slow.host).every((p) => p.ms >= TIMEOUT_MS)).toBe(true);
    // …and every probe the good images need was answered before it.
    const early = finished.filter((p) => p.host !== slow.host && p.ms < TIMEOUT_MS);
    expect(early.length).toBeGreaterThanOrEqual(alone.probes);
    expect(alone.probes).toBeGreaterThan(20);
  }, 60_000);

  it('keeps a bounded number of image checks in progress, as many per first host as its probe places', async () => {
    // --concurrency 2: at most 2 checks in progress per first host (as many as its probe places), 8 in
    // all (each check holds its trace until it ends; unbounded, every image's would be in memory).
    const original = TraceEngine.prototype.tracePlan;
    let active = 0;
    let peak = 0;
    const activeByHost = new Map<string, number>();
    const peakByHost = new Map<string, number>();
    const traces = vi.spyOn(TraceEngine.prototype, 'tracePlan').mockImplementation(async function (
      this: TraceEngine,
      image,
      plan,
      options,
    ) {
      const host = plan.resolution.candidates[0]?.sources[0]?.host ?? '';
      active++;
      peak = Math.max(peak, active);
      activeByHost.set(host, (activeByHost.get(host) ?? 0) + 1);
      peakByHost.set(host, Math.max(peakByHost.get(host) ?? 0, activeByHost.get(host)!));
      try {
        return await original.call(this, image, plan, options);
      } finally {
        active--;
        activeByHost.set(host, activeByHost.get(host)! - 1);
      }
    });
    try {
      const out = await withScanner(2, (scanner) => scanner.scan(images));
      expect(traces.mock.calls.length).toBeGreaterThan(60);
      expect(peak).toBeLessThanOrEqual(8);
      expect(Math.max(...peakByHost.values())).toBe(2);
      // Four first hosts (and 'not a reference', which has none), each with its own places.
      expect([...peakByHost.keys()].filter((h) => h !== '').sort()).toEqual(
        [mirror.host, slow.host, deadHost, garbled.host].sort(),
      );
      expect(peak).toBeGreaterThan(2);
      expect(out.images.find((i) => i.image === 'good.example/p/app-0:one')).toMatchObject({
        pullable: true,
      });
    } finally {
      traces.mockRestore();
    }
  }, 60_000);

  it('redoes, within the answer TTL, only the checks of new images; after it, all of them', async () => {
    const traces = vi.spyOn(TraceEngine.prototype, 'tracePlan');
    try {
      await withScanner(4, async (scanner) => {
        const first = await scanner.scan(goodImages);
        traces.mockClear();
        const again = await scanner.scan([...goodImages, 'good.example/p/app-1:one-more']);
        // One trace: the new image's. The others are the first scan's checks.
        expect(traces.mock.calls.map(([image]) => image)).toEqual(['good.example/p/app-1:one-more']);
        expect(again.probes).toBe(2);
        expect(again.images.filter((i) => !i.image.endsWith('one-more'))).toEqual(first.images);
        expect(again.findings.filter((f) => f.image !== 'good.example/p/app-1:one-more')).toEqual(
          first.findings,
        );
      });
      // Answers kept for 300 ms only: the next scan checks every image again, with fresh probes.
      await withScanner(
        4,
        async (scanner) => {
          const first = await scanner.scan(goodImages);
          await new Promise((r) => setTimeout(r, 350));
          traces.mockClear();
          const later = await scanner.scan(goodImages);
          expect(traces.mock.calls.length).toBeGreaterThanOrEqual(goodImages.length);
          expect(later.probes).toBe(first.probes);
          expect(later.images).toEqual(first.images);
        },
        undefined,
        300,
      );
    } finally {
      traces.mockRestore();
    }
  }, 60_000);

  it('keeps, across a configuration change, the answers of the sources the change did not touch', async () => {
    const copy = path.join(lab.dir, 'root-changed');
    await cp(root, copy, { recursive: true });
    const conf = path.join(copy, 'etc/containers/registries.conf');
    const observed = settings(4);
    const answers = scanAnswers(observed, { probe: () => undefined });
    const scanWith = async (): Promise<ScanOutput> => {
      const scanner = new Scanner(await loadHostConfig(copy, { timeoutMs: TIMEOUT_MS }), observed, answers);
      try {
        return await scanner.scan(goodImages);
      } finally {
        scanner.close();
      }
    };
    try {
      const before = await scanWith();
      // A new entry for other images: every good.example source is contacted as before.
      await writeFile(
        conf,
        `${await readFile(conf, 'utf8')}[[registry]]\nprefix = "other.example"\nlocation = "${src.host}/other"\n`,
      );
      const after = await scanWith();
      expect(after.probes).toBe(0);
      expect(after.images).toEqual(before.images);
      // The mirror now TLS-verified: another client for it, so its sources are probed again.
      await writeFile(
        conf,
        (await readFile(conf, 'utf8')).replace(
          `location = "${mirror.host}/p"\ninsecure = true`,
          `location = "${mirror.host}/p"`,
        ),
      );
      const verified = await scanWith();
      expect(verified.probes).toBeGreaterThan(0);
      expect(verified.images.find((i) => i.image === 'good.example/p/app-0:one')!.source).toBe(
        `${src.host}/p/app-0:one`,
      );
    } finally {
      answers.close();
    }
  }, 60_000);
});
