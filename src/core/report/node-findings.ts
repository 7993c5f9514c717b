// A node's whole list of findings: the report stores those it shares with its class once, under
// `findingClasses`, and lists on the node only what it has besides. Readers that answer "what does
// node X report" (the kubectl plugin, must-gather) put the two back together here, in one way.
import type { ClusterReport, NodeReport } from './types.js';

export function nodeFindings(
  report: Pick<ClusterReport, 'findingClasses'>,
  node: NodeReport,
): NodeReport['findings'] {
  if (node.findingClass === null) return node.findings;
  const shared = report.findingClasses.find((c) => c.id === node.findingClass);
  if (shared === undefined) return node.findings;
  return [...shared.findings, ...node.findings];
}
