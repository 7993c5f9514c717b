// The Kubernetes writes' reconcile reads the report once per pass and says when it is done with it,
// so that the report cache can let a report only it asked for go at once (report-cache.ts).
import { expect, it } from 'vitest';
import { startKubeWrites } from '../../src/collector/kube-writes.js';
import type { ClusterReport } from '../../src/core/report/types.js';

it('hands back each report it read, once its pass is over', async () => {
  const read: ClusterReport[] = [];
  const finished: ClusterReport[] = [];
  const writes = startKubeWrites(
    {
      kube: {} as never,
      report: () => {
        const report = { nodes: [], causes: [] } as unknown as ClusterReport;
        read.push(report);
        return report;
      },
      finished: (report) => finished.push(report),
      agent: () => undefined,
      node: () => undefined,
      pods: () => [],
      synced: () => true,
      log: { debug() {}, info() {}, warn() {}, error() {} },
    },
    { nodeConditions: false, events: false, policyReports: false, reconcileMs: 20, instance: 'test' },
  );
  await expect.poll(() => finished.length, { timeout: 2_000 }).toBeGreaterThanOrEqual(2);
  writes.stop();
  expect(read.length).toBe(finished.length);
  for (let i = 0; i < finished.length; i++) expect(finished[i]).toBe(read[i]);
});
