// A reconnect storm (thousands of snapshots at once) holds the Kubernetes-writes reconcile back: its
// report build would compete with the ingest and predict from a cluster half reported.
import { describe, expect, it } from 'vitest';
import { startKubeWrites } from '../../src/collector/kube-writes.js';
import type { Log } from '../../src/collector/log.js';
import {
  inStorm,
  ReconnectStorm,
  STORM_MAX_WAIT_MS,
  STORM_MIN_SNAPSHOTS,
} from '../../src/collector/reconnect-storm.js';
import type { ClusterReport } from '../../src/core/report/types.js';

function recordingLog(): Log & { infos: string[] } {
  const infos: string[] = [];
  return { infos, debug() {}, info: (m: string) => infos.push(m), warn() {}, error() {} };
}

describe('reconnect storm', () => {
  it('is many snapshots fast, not a few or a slow trickle', () => {
    expect(inStorm(5_000, 4_000)).toBe(true);
    expect(inStorm(STORM_MIN_SNAPSHOTS, 100)).toBe(false);
    // Agents restarting one by one: 400 in a minute.
    expect(inStorm(400, 60_000)).toBe(false);
  });

  it('holds a reconcile while snapshots pour in, says so once, and lets go when they stop', () => {
    let received = 0;
    const log = recordingLog();
    const storm = new ReconnectStorm(() => received, log, 0);
    received = 4_000;
    expect(storm.holds(10_000)).toBe(true);
    received += 2_000;
    expect(storm.holds(12_000)).toBe(true);
    expect(log.infos).toEqual([
      'agents are reconnecting in bulk (4000 snapshots in 10.0 s): the Kubernetes writes wait until they have, at most 60 s',
    ]);
    received += 3;
    expect(storm.holds(14_000)).toBe(false);
  });

  it('holds for at most STORM_MAX_WAIT_MS in a row', () => {
    let received = 0;
    const storm = new ReconnectStorm(() => received, recordingLog(), 0);
    let now = 0;
    const held: boolean[] = [];
    while (now <= STORM_MAX_WAIT_MS + 4_000) {
      now += 2_000;
      received += 1_000;
      held.push(storm.holds(now));
    }
    expect(held.indexOf(false)).toBe(STORM_MAX_WAIT_MS / 2_000);
    expect(held.at(-1)).toBe(true);
  });

  it('keeps the reconcile (and its report build) off while agents reconnect in bulk', async () => {
    let received = 0;
    const builds: number[] = [];
    const started = performance.now();
    const writes = startKubeWrites(
      {
        kube: {} as never,
        report: () => {
          builds.push(performance.now() - started);
          return { nodes: [], causes: [] } as unknown as ClusterReport;
        },
        agent: () => undefined,
        node: () => undefined,
        pods: () => [],
        synced: () => true,
        snapshots: () => received,
        log: recordingLog(),
      },
      { nodeConditions: false, events: false, policyReports: false, reconcileMs: 40, instance: 'test' },
    );
    const pouring = setInterval(() => (received += 500), 10);
    await new Promise((r) => setTimeout(r, 600));
    clearInterval(pouring);
    const duringStorm = builds.length;
    await expect.poll(() => builds.length, { timeout: 2_000 }).toBeGreaterThan(0);
    writes.stop();
    expect(duringStorm).toBe(0);
    expect(builds[0]).toBeGreaterThan(600);
  });
});
