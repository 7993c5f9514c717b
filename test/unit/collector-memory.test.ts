// The collector's heap follows its container's memory limit, and near that limit it sheds in the
// stated order (cached report and report history, then new agent connections) instead of dying.
import { describe, expect, it } from 'vitest';
import {
  HEAP_ENV,
  memoryLimit,
  oldSpaceMiB,
  parseBytes,
  relaunchPlan,
} from '../../src/collector/heap-limit.js';
import { MemoryGuard } from '../../src/collector/memory-guard.js';

const files =
  (table: Record<string, string>) =>
  (path: string): string => {
    const text = table[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };

describe('heap limit from the memory limit', () => {
  it('reads cgroup v2, then v1, and an explicit override first', () => {
    expect(memoryLimit({}, files({ '/sys/fs/cgroup/memory.max': '805306368\n' }))).toEqual({
      bytes: 805306368,
      source: '/sys/fs/cgroup/memory.max',
    });
    expect(memoryLimit({}, files({ '/sys/fs/cgroup/memory.max': 'max\n' }))).toBeNull();
    expect(
      memoryLimit({}, files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n' })),
    ).toBeNull();
    expect(
      memoryLimit({}, files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '536870912' }))?.bytes,
    ).toBe(512 * 2 ** 20);
    expect(memoryLimit({}, files({}))).toBeNull();
    expect(
      memoryLimit({ MIRRORSCOPE_MEMORY_LIMIT: '768Mi' }, files({ '/sys/fs/cgroup/memory.max': '1' })),
    ).toEqual({ bytes: 768 * 2 ** 20, source: 'MIRRORSCOPE_MEMORY_LIMIT' });
  });

  it('gives V8 three quarters of the limit less a reserve, never less than 64 MiB', () => {
    expect(oldSpaceMiB(768 * 2 ** 20)).toBe(540);
    expect(oldSpaceMiB(2 * 2 ** 30)).toBe(1500);
    expect(oldSpaceMiB(64 * 2 ** 20)).toBe(64);
    expect(parseBytes('1Gi')).toBe(2 ** 30);
    expect(parseBytes('1.5Gi')).toBeNull();
    expect(parseBytes('12M')).toBeNull();
  });
});

describe('malloc arenas from the memory limit', () => {
  it('relaunches with the heap flag and two malloc arenas, keeping an arena count that was set', () => {
    const limit = { bytes: 2 ** 30, source: '/sys/fs/cgroup/memory.max' };
    const plan = relaunchPlan(limit, ['--disable-warning=DEP0040'], { PATH: '/bin' });
    expect(plan.nodeArgs).toEqual(['--disable-warning=DEP0040', '--max-old-space-size=732', '--expose-gc']);
    expect(plan.env).toEqual({
      PATH: '/bin',
      MALLOC_ARENA_MAX: '2',
      [HEAP_ENV]: '/sys/fs/cgroup/memory.max (1024 MiB)',
    });
    expect(relaunchPlan(limit, [], { MALLOC_ARENA_MAX: '4' }).env.MALLOC_ARENA_MAX).toBe('4');
    // Empty is unset.
    expect(relaunchPlan(limit, [], { MALLOC_ARENA_MAX: '' }).env.MALLOC_ARENA_MAX).toBe('2');
  });
});

describe('memory guard', () => {
  it('sheds the cached report, then the report history, then refuses new agents, and accepts them again', () => {
    let used = 50;
    const shed: string[] = [];
    const steps: string[] = [];
    const guard = new MemoryGuard({
      shedReport: () => shed.push('report'),
      shedHistory: () => shed.push('history'),
      log: (m) => shed.push(m),
      onStep: (step) => steps.push(step),
      heap: () => ({ used, limit: 100 }),
    });
    guard.check();
    expect(shed).toEqual([]);
    used = 72;
    guard.check();
    // Paged readers keep their reports: only the cached one, which the next read rebuilds, goes.
    expect(shed.filter((s) => !s.startsWith('heap'))).toEqual(['report']);
    expect(guard.refusingAgents).toBe(false);
    used = 79;
    guard.check();
    // The report was shed less than 10 s ago: not again; the history goes now.
    expect(shed.filter((s) => !s.startsWith('heap'))).toEqual(['report', 'history']);
    expect(guard.refusingAgents).toBe(false);
    used = 90;
    guard.check();
    expect(guard.refusingAgents).toBe(true);
    expect(guard.counts).toEqual({ reportShed: 1, historyShed: 1, agentsRefused: 1 });
    // Each step once (the metric mirrorscope_collector_memory_sheds_total counts them).
    expect(steps).toEqual(['report', 'history', 'agents']);
    used = 80;
    guard.check();
    expect(guard.refusingAgents).toBe(true);
    used = 60;
    guard.check();
    expect(guard.refusingAgents).toBe(false);
    expect(shed.filter((s) => s.includes('accepting agent connections again'))).toHaveLength(1);
  });

  it('acts on readings after a collection only; a reading between collections can only resume', () => {
    let used = 95;
    const log: string[] = [];
    const guard = new MemoryGuard({
      shedReport: () => log.push('report'),
      shedHistory: () => log.push('history'),
      log: (m) => log.push(m),
      heap: () => ({ used, limit: 100 }),
    });
    // Garbage between collections: nothing is shed, no agent refused.
    guard.checkBetweenCollections();
    expect(log).toEqual([]);
    expect(guard.refusingAgents).toBe(false);
    guard.check();
    expect(guard.refusingAgents).toBe(true);
    used = 80;
    guard.checkBetweenCollections();
    expect(guard.refusingAgents).toBe(true);
    used = 70;
    guard.checkBetweenCollections();
    expect(guard.refusingAgents).toBe(false);
    expect(guard.counts).toEqual({ reportShed: 1, historyShed: 1, agentsRefused: 1 });
  });
});
