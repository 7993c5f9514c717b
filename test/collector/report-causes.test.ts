// The cluster report's causes: built once with the report, the same in the JSON, the digest (the
// ConfigMap and /api/v1/summary), the text and the metrics.
import { describe, expect, it } from 'vitest';
import { buildReport } from '../../src/core/report/build-report.js';
import { renderReportText } from '../../src/core/report/render-text.js';
import { digestOf } from '../../src/core/report/summary.js';
import { dnsNode, HOST, NOW, TEN_IMAGES } from '../support/dns-outage.js';

describe('the report causes', () => {
  const nodes = ['w1', 'w2', 'w3'].map(dnsNode);
  const pods = new Map(nodes.map((n) => [n.name, new Map(TEN_IMAGES.map((i) => [i, 2] as const))]));
  const report = buildReport({ nowMs: NOW, silentAfterMs: 90_000, nodes, events: [], pods });

  it('one DNS failure on a mirror host used by ten images on three nodes is one cause', () => {
    expect(report.problems.length).toBeGreaterThan(10);
    expect(report.causes).toHaveLength(1);
    const [cause] = report.causes;
    expect(cause).toMatchObject({
      id: 'dns-failure:mirror.corp.example',
      kind: 'dns-failure',
      severity: 'error',
      affects: { nodes: ['w1', 'w2', 'w3'], pods: 60, images: [...TEN_IMAGES].sort(), mirrors: [HOST] },
    });
    // Every problem belongs to exactly one cause.
    expect([...cause!.findings].sort()).toEqual(report.problems.map((p) => p.key).sort());
    expect(cause!.fix.commands[0]).toBe(`mirrorscope trace --node w1 ${[...TEN_IMAGES].sort()[0]}`);
  });

  it('the digest (ConfigMap, /api/v1/summary) and the text carry the same causes', () => {
    expect(digestOf(report).causes.map((c) => c.id)).toEqual(['dns-failure:mirror.corp.example']);
    const text = renderReportText(report);
    expect(text).toContain('error mirror.corp.example does not resolve (DNS) [dns-failure]');
    expect(text.indexOf('[dns-failure]')).toBeLessThan(text.indexOf('Mirrors and registries with problems'));
  });
});

describe('a partial scan in the report', () => {
  it('a stale finding stays in its cause, its evidence saying why it was not checked again', () => {
    const stale = 'registries.d cannot be loaded (/etc/containers/registries.d/x.yaml:1: invalid YAML)';
    const node = dnsNode('w1');
    const findings = node.agent!.findings.map((f) => (f.id === 'mirror-unreachable' ? { ...f, stale } : f));
    const report = buildReport({
      nowMs: NOW,
      silentAfterMs: 90_000,
      nodes: [{ ...node, agent: { ...node.agent!, findings } }],
      events: [],
    });
    expect(report.problems.find((p) => p.id === 'mirror-unreachable')!.stale).toBe(stale);
    expect(report.causes[0]!.evidence[0]).toContain(`(not checked again: ${stale})`);
  });
});
