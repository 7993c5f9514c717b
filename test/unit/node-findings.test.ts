// A node's whole findings: those it shares with its class (stored once in the report) and its own.
import { describe, expect, it } from 'vitest';
import { nodeFindings } from '../../src/core/report/node-findings.js';
import type { ClusterReport, NodeReport } from '../../src/core/report/types.js';
import { finding } from '../support/protocol-agent.js';

const shared = finding({ id: 'mirror-unreachable', key: 'mirror-unreachable|m1', host: 'm1' });
const own = finding({ id: 'config-unknown-key', key: 'config-unknown-key|f:3', file: 'f', line: 3 });
const report = {
  findingClasses: [
    {
      id: 'class-1',
      nodes: 2,
      pools: ['worker'],
      counts: { error: 0, warning: 1, info: 0 },
      findings: [shared],
    },
  ],
} as Pick<ClusterReport, 'findingClasses'>;
const node = (findingClass: string | null, findings: NodeReport['findings']) =>
  ({ name: 'w1', findingClass, findings }) as unknown as NodeReport;

describe('nodeFindings', () => {
  it("puts the class's findings before the node's own", () => {
    expect(nodeFindings(report, node('class-1', [own])).map((f) => f.id)).toEqual([
      'mirror-unreachable',
      'config-unknown-key',
    ]);
  });

  it('is the node list as is for a node without a class, or one whose class the report left out', () => {
    expect(nodeFindings(report, node(null, [own]))).toEqual([own]);
    expect(nodeFindings(report, node('class-9', [own]))).toEqual([own]);
  });
});
