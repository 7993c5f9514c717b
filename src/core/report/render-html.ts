// The report page (GET /): what a cluster admin opens first. One self-contained HTML document,
// no scripts: the causes first (the top one readable without scrolling, each with its fix, the
// commands to run and what it affects folded below), then summary cards, the mirror health table,
// problem images, problems (each once, with its witnesses), nodes, and a reference section.
import type { Cause } from '../causes/types.js';
import { admissionSectionHtml } from './admission-render.js';
import { findingDefinition } from './catalogue-lookup.js';
import { esc } from './html.js';
import { causeDocLink, findingDocLink } from './render-docs-html.js';
import type { GeneratedState, RolloutReport } from '../rollout/types.js';
import type { ClusterReport, ImageReport, MirrorReport, NodeReport, ReportFinding } from './types.js';

const MAX_NODES_SHOWN = 500;
const MAX_PROBLEMS_SHOWN = 200;
const MAX_CAUSES_SHOWN = 50;

function anchor(id: string): string {
  return `finding-${id.replace(/[^a-z0-9-]/gi, '_')}`;
}

function idLink(id: string): string {
  return `<a class="fid" href="#${anchor(id)}">${esc(id)}</a>`;
}

function sevBadge(severity: string): string {
  return `<span class="sev sev-${esc(severity)}">${esc(severity)}</span>`;
}

function nodeList(nodes: readonly string[], max = 6): string {
  const shown = nodes
    .slice(0, max)
    .map((n) => `<a class="node" href="#node-${esc(n)}">${esc(n)}</a>`)
    .join(', ');
  return nodes.length > max ? `${shown} <span class="dim">and ${nodes.length - max} more</span>` : shown;
}

function folded(label: string, items: readonly string[], render: (item: string) => string): string {
  if (items.length === 0) return '';
  const shown = items.slice(0, 200).map(render).join(', ');
  const more = items.length > 200 ? ` <span class="dim">and ${items.length - 200} more</span>` : '';
  return `<details><summary>${esc(label)} (${items.length})</summary><div class="fold">${shown}${more}</div></details>`;
}

function causeBlock(c: Cause, index: number): string {
  const a = c.affects;
  const counts = [
    `${a.nodes.length} node${a.nodes.length === 1 ? '' : 's'}`,
    a.pods > 0 ? `${a.pods} pod${a.pods === 1 ? '' : 's'}` : '',
    a.images.length > 0 ? `${a.images.length} image${a.images.length === 1 ? '' : 's'}` : '',
    a.mirrors.length > 0 ? `${a.mirrors.length} host${a.mirrors.length === 1 ? '' : 's'}` : '',
  ].filter(Boolean);
  const commands =
    c.fix.commands.length === 0
      ? ''
      : `<pre class="cmds">${c.fix.commands.map((cmd) => `<code>$ ${esc(cmd)}</code>`).join('')}</pre>`;
  const evidence = `<details><summary>Evidence (${c.findings.length} finding${c.findings.length === 1 ? '' : 's'})</summary><ul class="plain">${c.evidence.map((e) => `<li>${esc(e)}</li>`).join('')}</ul></details>`;
  return `<article class="cause cause-${esc(c.severity)}" id="cause-${index + 1}" data-cause="${esc(c.id)}" data-kind="${esc(c.kind)}" data-severity="${esc(c.severity)}">
<h3>${sevBadge(c.severity)} <span class="ctitle">${esc(c.title)}</span> <a class="kind" href="${causeDocLink(c.kind)}" title="what this kind means"><code>${esc(c.kind)}</code></a></h3>
<div class="fix"><b>Fix:</b> ${esc(c.fix.text)} <a href="${causeDocLink(c.kind)}">docs</a></div>${commands}
<div class="dim">${esc(c.explanation)}</div>
<div class="affects">Affects ${counts.join(' · ')}</div>
${folded('Nodes', a.nodes, (n) => `<a class="node" href="#node-${esc(n)}">${esc(n)}</a>`)}${folded('Images', a.images, (i) => `<code>${esc(i)}</code>`)}${folded('Hosts', a.mirrors, (h) => `<code>${esc(h)}</code>`)}${evidence}
</article>`;
}

function causesSection(causes: readonly Cause[]): string {
  const body =
    causes.length === 0
      ? '<p class="ok-banner">Nothing to fix: no finding on any node.</p>'
      : causes.slice(0, MAX_CAUSES_SHOWN).map(causeBlock).join('') +
        (causes.length > MAX_CAUSES_SHOWN
          ? `<p class="dim">${causes.length - MAX_CAUSES_SHOWN} more in <a href="/api/v1/report">the JSON report</a>.</p>`
          : '');
  return `<section id="causes"><h2>What to fix <span class="dim">(${causes.length} cause${causes.length === 1 ? '' : 's'}, most important first; every problem below belongs to one)</span></h2>${body}</section>`;
}

function card(label: string, value: number, tone: 'ok' | 'bad' | 'warn' | 'plain'): string {
  return `<div class="card card-${tone}"><div class="num">${value}</div><div class="label">${esc(label)}</div></div>`;
}

function mirrorRow(m: MirrorReport): string {
  const bad = m.nodesFailing > 0;
  const lacking = m.imagesMissing.length + m.imagesStale.length;
  const status = bad
    ? `<span class="pill bad">failing on ${m.nodesFailing}</span>`
    : lacking > 0
      ? `<span class="pill warn">${lacking} image${lacking === 1 ? '' : 's'} lacking or stale</span>`
      : m.findings.length > 0
        ? `<span class="pill warn">${m.findings.length} finding${m.findings.length === 1 ? '' : 's'}</span>`
        : '<span class="pill ok">healthy</span>';
  const latency =
    m.latencyMs === null ? '<span class="dim">–</span>' : `${m.latencyMs.p50} / ${m.latencyMs.p95} ms`;
  const outcomes = [...new Set(m.failing.map((f) => f.outcome))].join(', ');
  const failing =
    m.failing.length > 0
      ? `${nodeList(m.failing.map((f) => f.node))} <span class="dim">(${esc(outcomes)})</span>`
      : '<span class="dim">–</span>';
  const lacks = [
    ...m.imagesMissing.map(
      (i) => `<div>lacks <code>${esc(i.image)}</code> <span class="dim">(${i.nodes} nodes)</span></div>`,
    ),
    ...m.imagesStale.map(
      (i) => `<div>stale <code>${esc(i.image)}</code> <span class="dim">(${i.nodes} nodes)</span></div>`,
    ),
  ].join('');
  return `<tr class="${bad ? 'row-bad' : ''}" data-host="${esc(m.host)}"><td class="host"><code>${esc(m.host)}</code></td><td>${status}</td><td class="n">${m.nodesReachable} / ${m.nodesProbed}</td><td class="n">${latency}</td><td class="n">${m.authFailures}</td><td class="n">${m.tlsFailures}</td><td>${failing}</td><td>${lacks || '<span class="dim">–</span>'}</td></tr>`;
}

function findingLine(f: ReportFinding): string {
  const who =
    f.witnesses !== undefined
      ? ` <span class="witness">${f.witnesses} node${f.witnesses === 1 ? '' : 's'}</span>`
      : '';
  const where = f.node !== undefined ? ` <span class="dim">on ${esc(f.node)}</span>` : '';
  return `<li>${sevBadge(f.severity)} ${idLink(f.id)}${who}${where}<div class="msg">${esc(f.message)}</div>${f.fix ? `<div class="fix"><b>Fix:</b> ${esc(f.fix)}</div>` : ''}${f.nodes !== undefined && f.nodes.length > 0 ? `<div class="nodes">Seen by ${nodeList(f.nodes)}</div>` : ''}</li>`;
}

function imageBlock(i: ImageReport): string {
  const sources = i.sources
    .map(
      (s) =>
        `<li>${s.source === null ? '<span class="bad-text">no source serves it</span>' : `pulls from <code>${esc(s.source)}</code>`} — ${s.nodes.length} node(s): ${nodeList(s.nodes, 4)}</li>`,
    )
    .join('');
  const events = i.events
    .slice(0, 5)
    .map(
      (e) =>
        `<li>kubelet on <b>${esc(e.node)}</b> (pod ${esc(e.namespace)}/${esc(e.pod)}, ${e.count}×, ${esc(e.lastSeen)}), source by source in the order CRI-O tried them:<ol class="tries">${e.candidates
          .map(
            (c) =>
              `<li><code>${esc(c.reference ?? c.host ?? '?')}</code> ${idLink(c.findingId)} <span class="err-text" title="${esc(c.error)}">${esc(c.error.length > 220 ? `${c.error.slice(0, 219)}…` : c.error)}</span></li>`,
          )
          .join('')}</ol></li>`,
    )
    .join('');
  return `<div class="image"><h3><code>${esc(i.image)}</code> <span class="pill bad">fails on ${i.nodesFailing.length} node(s)</span></h3>
<ul class="plain">${sources}</ul>${events ? `<h4>Real pull failures</h4><ul class="plain">${events}</ul>` : ''}${i.findings.length > 0 ? `<h4>Why</h4><ul class="findings">${i.findings.slice(0, 10).map(findingLine).join('')}</ul>` : ''}</div>`;
}

function nodeRow(n: NodeReport): string {
  const agent =
    n.agent === 'connected'
      ? '<span class="pill ok">connected</span>'
      : `<span class="pill ${n.agent === 'disconnected' ? 'warn' : 'bad'}">${esc(n.agent)}</span>`;
  const drift =
    n.drift === null
      ? ''
      : ` <span class="pill warn" title="pool majority ${esc(n.drift.majorityHash)}">drift: ${esc(n.drift.differingFiles.join(', ') || 'config')}</span>`;
  const shared =
    n.findingClass === null
      ? ''
      : `<a class="pill" href="#${esc(n.findingClass)}">${esc(n.findingClass)}</a> `;
  const ids = shared + [...new Set(n.findings.map((f) => f.id))].slice(0, 8).map(idLink).join(' ');
  return `<tr id="node-${esc(n.name)}"><td><b>${esc(n.name)}</b></td><td>${esc(n.pool ?? '–')}</td><td>${agent}</td><td>${esc(n.runtimeVersion ?? '–')}</td><td><code title="${esc(n.configHash)}">${esc((n.configHash ?? '–').slice(0, 12))}</code>${drift}</td><td class="n err-text">${n.counts.error}</td><td class="n warn-text">${n.counts.warning}</td><td class="n">${n.counts.info}</td><td>${ids}</td><td class="dim">${esc(n.lastSeen ?? 'never')}</td></tr>`;
}

const GENERATED_PILL: Readonly<Record<GeneratedState, string>> = {
  matches: '<span class="pill ok">up to date</span>',
  pending: '<span class="pill warn">being generated</span>',
  differs: '<span class="pill bad">not generated</span>',
  missing: '<span class="pill bad">missing</span>',
  'render-failed': '<span class="pill bad">render failed</span>',
  unknown: '<span class="dim">–</span>',
};

function rolloutSection(rollout: RolloutReport): string {
  const pools = rollout.pools
    .map((p) => {
      const lagging =
        p.lagging.length === 0
          ? '<span class="dim">–</span>'
          : p.lagging
              .slice(0, 6)
              .map(
                (l) =>
                  `<div><a class="node" href="#node-${esc(l.node)}">${esc(l.node)}</a> <span class="dim">on ${esc(l.currentConfig ?? '?')}, ${esc(l.state ?? '?')}${l.reason ? `: ${esc(l.reason)}` : ''}</span></div>`,
              )
              .join('') +
            (p.lagging.length > 6 ? `<div class="dim">and ${p.lagging.length - 6} more</div>` : '');
      const overridden =
        p.overriddenBy.length > 0
          ? ` <span class="pill bad">overridden by ${esc(p.overriddenBy.join(', '))}</span>`
          : '';
      const paused = p.paused ? ' <span class="pill warn">paused</span>' : '';
      return `<tr data-pool="${esc(p.name)}"><td><b>${esc(p.name)}</b>${paused}</td><td><code>${esc(p.target ?? '–')}</code></td><td>${GENERATED_PILL[p.generated]}${overridden}</td><td class="n">${p.nodesDone} / ${p.nodes}</td><td>${lagging}</td><td>${p.drifted.length === 0 ? '<span class="dim">–</span>' : nodeList(p.drifted)}</td></tr>`;
    })
    .join('');
  const objects =
    rollout.objects.length === 0
      ? '<p class="dim">No ImageContentSourcePolicy, ImageDigestMirrorSet or ImageTagMirrorSet objects.</p>'
      : `<table id="object-rollout"><thead><tr><th>Mirror object</th><th>Entries</th><th>Nodes applying it</th><th>By pool (in the pool's target?)</th></tr></thead><tbody>${rollout.objects
          .map((o) => {
            const complete = o.nodes > 0 && o.nodesApplying === o.nodes;
            const perPool = o.pools
              .filter((p) => p.nodes > 0 || p.inTarget !== null)
              .map(
                (p) =>
                  `<div>${esc(p.pool)}: ${p.nodesApplying} / ${p.nodes} <span class="dim">(target: ${p.inTarget === null ? '?' : p.inTarget ? 'yes' : 'no'})</span></div>`,
              )
              .join('');
            return `<tr data-object="${esc(`${o.kind}/${o.name}`)}"><td>${esc(o.kind)} <b>${esc(o.name)}</b></td><td class="n">${o.entries}</td><td class="n"><span class="pill ${complete ? 'ok' : 'warn'}">${o.nodesApplying} / ${o.nodes}</span></td><td>${perPool}</td></tr>`;
          })
          .join('')}</tbody></table>`;
  const errors = rollout.renderErrors
    .map((e) => `<li class="err-text">The MCO rejects the objects: ${esc(e)}</li>`)
    .join('');
  const warnings = rollout.renderWarnings.map((w) => `<li class="dim">${esc(w)}</li>`).join('');
  return `<section id="rollout"><h2>Mirror configuration rollout <span class="dim">(cluster intent vs the nodes)</span></h2>${errors || warnings ? `<ul class="plain">${errors}${warnings}</ul>` : ''}<table id="pool-rollout"><thead><tr><th>Pool</th><th>Target config</th><th>Generated registries config</th><th>Nodes done</th><th>Nodes lagging</th><th>Nodes drifted</th></tr></thead><tbody>${pools}</tbody></table><h3>Per mirror object</h3>${objects}</section>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2430;background:#f5f6f8}
header{background:#1d2430;color:#fff;padding:16px 28px}header h1{margin:0;font-size:20px}header .dim{color:#aab}
main{padding:20px 28px;max-width:1400px}
section{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:14px 18px;margin:0 0 18px}
h2{font-size:16px;margin:0 0 10px}h3{font-size:14px;margin:8px 0 4px}h4{font-size:13px;margin:8px 0 2px;color:#555}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:18px}
.card{background:#fff;border:1px solid #e1e4ea;border-left-width:5px;border-radius:8px;padding:8px 14px;min-width:118px}
.card .num{font-size:26px;font-weight:700}.card .label{color:#556;font-size:12px}
.card-bad{border-left-color:#c62828}.card-bad .num{color:#c62828}.card-warn{border-left-color:#ef8f00}.card-warn .num{color:#b86e00}
.card-ok{border-left-color:#2e7d32}.card-plain{border-left-color:#8a94a6}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eceef2;vertical-align:top}
th{font-size:12px;color:#556;font-weight:600;background:#fafbfc}td.n{text-align:right;white-space:nowrap}
tr.row-bad td{background:#fff5f5}td.host code{white-space:nowrap}
.pill{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;white-space:nowrap}
.pill.ok{background:#e6f4ea;color:#1e6b2a}.pill.bad{background:#fde7e7;color:#b3261e}.pill.warn{background:#fff3e0;color:#9a5b00}
.sev{display:inline-block;border-radius:4px;padding:0 6px;font-size:11px;font-weight:700;text-transform:uppercase}
.sev-error{background:#b3261e;color:#fff}.sev-warning{background:#ef8f00;color:#fff}.sev-info{background:#5c6bc0;color:#fff}
.witness{background:#eef1f6;border-radius:10px;padding:0 7px;font-size:12px;font-weight:600}
ul.findings{list-style:none;padding:0;margin:0}ul.findings li{padding:8px 0;border-bottom:1px solid #eceef2}
ul.plain{margin:4px 0;padding-left:18px}
.msg{margin-top:2px}.fix{color:#2e5d34;font-size:13px}.nodes{color:#556;font-size:12px}
.dim{color:#8a94a6}.err-text,.bad-text{color:#b3261e}.warn-text{color:#9a5b00}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f1f3f6;border-radius:3px;padding:0 3px}
ol.tries{margin:2px 0 4px;padding-left:22px;font-size:13px}ol.tries li{margin:1px 0}
a{color:#1f5fbf;text-decoration:none}a.node{white-space:nowrap}a:hover{text-decoration:underline}a.fid{font-weight:600}
.image{border-top:1px solid #eceef2;padding-top:6px}.image:first-of-type{border-top:0}
dl.ref dt{font-weight:700;margin-top:8px}dl.ref dd{margin:2px 0 0 0}
.ok-banner{color:#1e6b2a;font-weight:600}
#causes h2{margin-bottom:6px}.cause{border-left:5px solid #8a94a6;padding:6px 12px;margin:0 0 10px;background:#fbfcfd;border-radius:4px}
.cause-error{border-left-color:#c62828}.cause-warning{border-left-color:#ef8f00}.cause h3{font-size:15px;margin:2px 0 4px}
a.kind code{font-size:12px;color:#1f5fbf}pre.cmds{margin:4px 0;padding:6px 8px;background:#1d2430;border-radius:4px;overflow-x:auto}
pre.cmds code{background:none;color:#e8edf5;display:block}.affects{font-size:13px;color:#334;margin:3px 0}
details{font-size:13px;margin:2px 0}summary{cursor:pointer;color:#445}.fold{padding:2px 0 4px 16px}`;

export function renderReportHtml(report: ClusterReport): string {
  const s = report.summary;
  const cards = [
    card('nodes', s.nodes, 'plain'),
    card('nodes with errors', s.nodesWithErrors, s.nodesWithErrors > 0 ? 'bad' : 'ok'),
    card('mirrors failing', s.mirrorsFailing, s.mirrorsFailing > 0 ? 'bad' : 'ok'),
    card('images failing', s.imagesFailing, s.imagesFailing > 0 ? 'bad' : 'ok'),
    card('distinct problems', s.problems, s.problems > 0 ? 'warn' : 'ok'),
    card('nodes drifted', s.nodesDrifted, s.nodesDrifted > 0 ? 'warn' : 'ok'),
    card('agents silent', s.nodesSilent, s.nodesSilent > 0 ? 'warn' : 'ok'),
    card('nodes without agent', s.nodesWithoutAgent, s.nodesWithoutAgent > 0 ? 'warn' : 'ok'),
  ].join('');
  const mirrors =
    report.mirrors.length === 0
      ? '<p class="dim">No agent has probed a registry yet.</p>'
      : `<table id="mirror-table"><thead><tr><th>Host</th><th>Status</th><th>Reachable from</th><th>Latency p50 / p95</th><th>Auth failures</th><th>TLS failures</th><th>Failing nodes</th><th>Images lacking / stale</th></tr></thead><tbody>${report.mirrors.map(mirrorRow).join('')}</tbody></table>`;
  const failingImages = report.images.filter((i) => i.nodesFailing.length > 0 || i.events.length > 0);
  const images =
    failingImages.length === 0
      ? '<p class="ok-banner">Every image the agents simulated can be pulled.</p>'
      : failingImages.map(imageBlock).join('');
  const problems =
    report.problems.length === 0
      ? '<p class="ok-banner">No problems found.</p>'
      : `<ul class="findings">${report.problems.slice(0, MAX_PROBLEMS_SHOWN).map(findingLine).join('')}</ul>${report.problems.length > MAX_PROBLEMS_SHOWN ? `<p class="dim">${report.problems.length - MAX_PROBLEMS_SHOWN} more in <a href="/api/v1/report">the JSON report</a>.</p>` : ''}`;
  const nodes = `<table id="node-table"><thead><tr><th>Node</th><th>Pool</th><th>Agent</th><th>CRI-O</th><th>Config hash</th><th>Errors</th><th>Warnings</th><th>Info</th><th>Findings</th><th>Last seen</th></tr></thead><tbody>${report.nodes.slice(0, MAX_NODES_SHOWN).map(nodeRow).join('')}</tbody></table>${report.nodes.length > MAX_NODES_SHOWN ? `<p class="dim">${report.nodes.length - MAX_NODES_SHOWN} more nodes (those with fewer findings) in <a href="/api/v1/report">the JSON report</a>.</p>` : ''}`;
  // Nodes that report the same findings are one line each ("412 nodes: …"); the node table lists what differs.
  const classes =
    report.findingClasses.length === 0
      ? ''
      : `<p class="dim">Findings that whole groups of nodes report alike, listed once; each node below shows its group and only the findings it has besides.</p><ul class="findings">${report.findingClasses
          .map(
            (c) =>
              `<li id="${esc(c.id)}"><b>${c.nodes.toLocaleString('en-US')} nodes</b> <span class="dim">(${esc(c.id)}; pool${c.pools.length === 1 ? '' : 's'} ${esc(c.pools.map((p) => p ?? '–').join(', '))})</span>: ${c.findings.length} finding${c.findings.length === 1 ? '' : 's'} — <span class="err-text">${c.counts.error} error</span>, <span class="warn-text">${c.counts.warning} warning</span>, ${c.counts.info} info: ${[...new Set(c.findings.map((f) => f.id))].slice(0, 8).map(idLink).join(' ')}</li>`,
          )
          .join('')}</ul>`;
  const ids = new Set<string>();
  for (const c of report.findingClasses) for (const f of c.findings) ids.add(f.id);
  for (const p of report.problems) ids.add(p.id);
  for (const i of report.images) for (const e of i.events) for (const c of e.candidates) ids.add(c.findingId);
  for (const n of report.nodes.slice(0, MAX_NODES_SHOWN)) for (const f of n.findings) ids.add(f.id);
  const reference = [...ids]
    .sort()
    .map((id) => {
      const def = findingDefinition(id);
      return `<dt id="${anchor(id)}">${def ? sevBadge(def.severity) : ''} ${esc(id)} <a class="dim" href="${findingDocLink(id)}">docs</a></dt><dd>${esc(def?.title ?? "Not in this collector's catalogue (the agent may be newer).")}${def ? `<div class="fix"><b>Fix:</b> ${esc(def.fix)}</div>` : ''}</dd>`;
    })
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>mirrorscope — cluster mirror health</title><style>${CSS}</style></head>
<body><header><h1>mirrorscope — cluster mirror health</h1><div class="dim">Report generated ${esc(report.generatedAt)} · <a style="color:#9cf" href="/api/v1/report">JSON</a> · <a style="color:#9cf" href="/metrics">metrics</a></div></header>
<main>
${causesSection(report.causes)}
<div class="cards" id="summary">${cards}</div>
<section id="mirrors"><h2>Mirror and registry health</h2>${mirrors}</section>
${report.rollout === null ? '' : rolloutSection(report.rollout)}
${report.admission ? admissionSectionHtml(report.admission) : ''}
<section id="images"><h2>Images that fail to pull</h2>${images}</section>
<section id="problems"><h2>Problems <span class="dim">(each once, with the nodes that see it)</span></h2>${problems}</section>
<section id="nodes"><h2>Nodes</h2>${classes}${nodes}</section>
<section id="reference"><h2>What the findings mean</h2><dl class="ref">${reference}</dl></section>
</main></body></html>
`;
}
