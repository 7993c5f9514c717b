// `mirrorscope admission` as text: per image the overall verdict, then each controller's decision
// with its own message and the checks behind it, then where admission and the pull disagree.
import type { AdmissionResult } from '../admission/evaluate.js';
import type { AdmissionCheck, AdmissionDecision } from '../core/admission/types.js';
import type { Style } from '../core/style.js';

const MARK: Readonly<Record<AdmissionCheck['outcome'], string>> = {
  pass: '✓',
  fail: '✗',
  unknown: '?',
  info: '·',
};

function verdict(allowed: boolean | null, style: Style): string {
  if (allowed === true) return style.good('allowed');
  if (allowed === false) return style.bad('DENIED');
  return style.warn('cannot tell');
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((l) => `${prefix}${l}`)
    .join('\n');
}

function renderDecision(d: AdmissionDecision, style: Style): string {
  const policy =
    d.policy === null
      ? ''
      : ` ${d.policy.kind} ${d.policy.namespace === null ? '' : `${d.policy.namespace}/`}${d.policy.name}`;
  const lines = [
    `  ${style.strong(d.controller)}${policy}: ${verdict(d.allowed, style)}`,
    indent(d.message, '      '),
  ];
  for (const c of d.checks) lines.push(`      ${MARK[c.outcome]} ${style.dim(`${c.kind}:`)} ${c.detail}`);
  return lines.join('\n');
}

export function renderAdmissionResult(r: AdmissionResult, style: Style): string {
  const from = r.workload === undefined ? '' : ` (${r.workload.name}, container ${r.workload.container})`;
  const lines = [`${style.strong(r.image)}${from} in namespace ${r.namespace}: ${verdict(r.allowed, style)}`];
  if (r.decisions.length === 0) lines.push('  no admission controller given applies to this image');
  for (const d of r.decisions) lines.push(renderDecision(d, style));
  if (r.pull !== null)
    lines.push(
      `  pull: CRI-O tries ${r.pull.sources.map((s) => `${s.reference}${s.mirror ? ' (mirror)' : ''}`).join(', ') || 'no source'}`,
    );
  for (const n of r.notes) lines.push(`  ${style.warn('!')} ${n}`);
  return lines.join('\n');
}
