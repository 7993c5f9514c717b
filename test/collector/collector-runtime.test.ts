// How the collector runs in its container: from its one-file bundle (the Kubernetes client inside
// it), with V8's heap and glibc's malloc arenas sized from the memory limit
// (src/cli/collector-entry.ts, src/collector/heap-limit.ts; docs/collector.md, "Memory").
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeKubeApi, nodeObject } from '../support/fake-kube-api.js';
import { kubeFlags, startCollectorProcess, type CollectorProcess } from '../support/collector-process.js';
import { eventually } from '../support/eventually.js';
import { RECORD_LOADS } from '../support/record-loads.js';
import { loadsBesidesBundle } from '../support/bundle-loads.js';

let api: FakeKubeApi;
let collector: CollectorProcess;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'collector-runtime-'));
  await writeFile(path.join(dir, 'record-loads.cjs'), RECORD_LOADS);
  api = await new FakeKubeApi().start();
  api.upsert('nodes', nodeObject('worker-1'));
  collector = await startCollectorProcess(kubeFlags(api, 'mirrorscope', 'none'), {
    // As the cgroup would give it (the Deployment's limit).
    MIRRORSCOPE_MEMORY_LIMIT: '1Gi',
    MALLOC_ARENA_MAX: '',
    NODE_OPTIONS: `--require ${path.join(dir, 'record-loads.cjs')}`,
    MIRRORSCOPE_TEST_LOADS: path.join(dir, 'loads.txt'),
  });
}, 60_000);

afterAll(async () => {
  await collector?.stop();
  await api?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the collector process', () => {
  it('sizes its heap and malloc arenas from the memory limit', async () => {
    // 1 GiB: old space (1024 - 48) × 0.75 = 732 MiB, plus V8's young generation (three 16 MiB semi-spaces).
    const line = await eventually(() => {
      const found = collector.log.find((l) => l.includes('heap limit'));
      if (found === undefined) throw new Error('no heap limit line in the log');
      return found;
    }, 'the heap limit line');
    expect(line).toMatch(
      /heap limit 780 MiB \(pid \d+; from the memory limit in MIRRORSCOPE_MEMORY_LIMIT \(1024 MiB\); MALLOC_ARENA_MAX=2\)/,
    );
  });

  it('runs from its one-file bundle, the Kubernetes client inside it', async () => {
    await eventually(async () => expect((await fetch(`${collector.url}/readyz`)).status).toBe(200));
    const loads = [...new Set((await readFile(path.join(dir, 'loads.txt'), 'utf8')).split('\n'))].filter(
      (l) => l !== '',
    );
    expect(loads.filter((l) => l.endsWith('/dist/collector.mjs'))).toHaveLength(1);
    // Besides dist/cli.js and the bundle only what sizes the heap before the collector starts
    // (collector/heap-limit.js, in the launching process), and no package file of its own but bufferutil.
    const separate = loadsBesidesBundle(loads, /\/dist\/(cli\.js|collector\.mjs|collector\/heap-limit\.js)$/);
    expect(separate).toEqual([]);
  });
});
