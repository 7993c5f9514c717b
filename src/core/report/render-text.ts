// `mirrorscope report` in a terminal: the summary, failing mirrors, problem images, top problems.
import { admissionSectionText } from './admission-render.js';
import type { ClusterReport } from './types.js';

export interface TextStyle {
  readonly strong: (s: string) => string;
  readonly error: (s: string) => string;
  readonly warn: (s: string) => string;
  readonly dim: (s: string) => string;
}

const plain: TextStyle = { strong: (s) => s, error: (s) => s, warn: (s) => s, dim: (s) => s };

function nodesList(nodes: readonly string[], max = 5): string {
  return nodes.length <= max
    ? nodes.join(', ')
    : `${nodes.slice(0, max).join(', ')} and ${nodes.length - max} more`;
}

export function renderReportText(report: ClusterReport, style: TextStyle = plain): string {
  const s = report.summary;
  const out: string[] = [];
  out.push(style.strong(`mirrorscope cluster report — ${report.generatedAt}`));
  out.push(
    `  nodes: ${s.nodes} (${s.nodesWithAgent} with an agent, ${s.nodesSilent} silent, ${s.nodesWithoutAgent} without agent, ${s.nodesDrifted} drifted)`,
  );
  out.push(
    `  mirrors/registries: ${s.mirrors} (${s.mirrorsFailing} failing on some node); images failing somewhere: ${s.imagesFailing}`,
  );
  out.push(
    `  problems: ${s.problems} distinct (${s.findings.error} error, ${s.findings.warning} warning, ${s.findings.info} info findings across nodes)`,
  );
  const failing = report.mirrors.filter((m) => m.nodesFailing > 0 || m.findings.length > 0);
  if (failing.length > 0) {
    out.push('', style.strong('Mirrors and registries with problems'));
    for (const m of failing) {
      const latency = m.latencyMs === null ? '' : `, p50 ${m.latencyMs.p50} ms, p95 ${m.latencyMs.p95} ms`;
      out.push(
        `  ${style.error(m.host)}: reachable from ${m.nodesReachable}/${m.nodesProbed} nodes, failing on ${m.nodesFailing}${latency}` +
          (m.authFailures > 0 ? `, ${m.authFailures} auth failures` : '') +
          (m.tlsFailures > 0 ? `, ${m.tlsFailures} TLS failures` : ''),
      );
      if (m.failing.length > 0)
        out.push(`    failing on: ${nodesList(m.failing.map((f) => `${f.node} (${f.outcome})`))}`);
      if (m.imagesMissing.length > 0)
        out.push(`    lacks: ${m.imagesMissing.map((i) => i.image).join(', ')}`);
      if (m.imagesStale.length > 0) out.push(`    stale: ${m.imagesStale.map((i) => i.image).join(', ')}`);
    }
  }
  if (report.admission) out.push(...admissionSectionText(report.admission, style));
  if (report.rollout !== null) {
    out.push('', style.strong('Mirror configuration rollout'));
    for (const e of report.rollout.renderErrors)
      out.push(`  ${style.error('the MCO rejects the objects')}: ${e}`);
    for (const p of report.rollout.pools) {
      const notes = [
        p.paused ? style.warn('paused') : '',
        p.generated === 'matches' || p.generated === 'unknown'
          ? ''
          : style.error(`generated config ${p.generated}`),
        p.overriddenBy.length > 0 ? style.error(`overridden by ${p.overriddenBy.join(', ')}`) : '',
        p.drifted.length > 0 ? style.error(`drifted: ${nodesList(p.drifted)}`) : '',
      ].filter(Boolean);
      out.push(
        `  pool ${p.name}: ${p.nodesDone}/${p.nodes} nodes on ${p.target ?? '(no target)'}${notes.length > 0 ? ` — ${notes.join('; ')}` : ''}`,
      );
      if (p.lagging.length > 0)
        out.push(
          `    lagging: ${nodesList(p.lagging.map((l) => `${l.node} (${l.currentConfig ?? '?'}, ${l.state ?? '?'})`))}`,
        );
    }
    for (const o of report.rollout.objects)
      out.push(`  ${o.kind} ${o.name}: applied on ${o.nodesApplying}/${o.nodes} nodes`);
  }
  const images = report.images.filter((i) => i.nodesFailing.length > 0 || i.events.length > 0);
  if (images.length > 0) {
    out.push('', style.strong('Images that fail to pull'));
    for (const i of images) {
      out.push(
        `  ${style.error(i.image)}: fails on ${i.nodesFailing.length} node(s)${i.nodesFailing.length > 0 ? `: ${nodesList(i.nodesFailing)}` : ''}`,
      );
      for (const src of i.sources)
        if (src.source !== null) out.push(`    pulled from ${src.source} by ${src.nodes.length} node(s)`);
      for (const f of i.findings.slice(0, 5)) out.push(`    ${f.id}: ${f.message}`);
    }
  }
  if (report.problems.length > 0) {
    out.push('', style.strong('Problems (each once, with the nodes that see it)'));
    for (const p of report.problems.slice(0, 30)) {
      const sev =
        p.severity === 'error'
          ? style.error(p.severity)
          : p.severity === 'warning'
            ? style.warn(p.severity)
            : style.dim(p.severity);
      out.push(`  ${sev} ${p.id} — ${p.witnesses ?? 1} node(s): ${nodesList(p.nodes ?? [])}`);
      out.push(`    ${p.message}`);
      if (p.fix !== '') out.push(`    ${style.dim(`fix: ${p.fix}`)}`);
    }
    if (report.problems.length > 30) out.push(`  … and ${report.problems.length - 30} more (--json for all)`);
  } else out.push('', 'No problems found.');
  return `${out.join('\n')}\n`;
}
