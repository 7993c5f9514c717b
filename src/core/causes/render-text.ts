// Causes in a terminal: each with its severity, its kind code (searchable in docs/causes.md) beside
// its title, the fix and the commands to run next; what it affects folded into one line each.
import type { Severity } from '../findings/types.js';
import type { Cause } from './types.js';

export interface TextStyle {
  readonly strong: (s: string) => string;
  readonly error: (s: string) => string;
  readonly warn: (s: string) => string;
  readonly dim: (s: string) => string;
}

export const PLAIN: TextStyle = { strong: (s) => s, error: (s) => s, warn: (s) => s, dim: (s) => s };

export function severityBadge(severity: Severity, style: TextStyle): string {
  return severity === 'error'
    ? style.error('error')
    : severity === 'warning'
      ? style.warn('warning')
      : style.dim('info');
}

function listed(values: readonly string[], max: number): string {
  return values.length <= max
    ? values.join(', ')
    : `${values.slice(0, max).join(', ')} and ${values.length - max} more`;
}

/** One cause, as `check`, `report` and the agent's first screen print it. */
export function renderCauseText(cause: Cause, style: TextStyle = PLAIN, evidence = 3): string[] {
  const out = [
    `${severityBadge(cause.severity, style)} ${style.strong(cause.title)} ${style.dim(`[${cause.kind}]`)}`,
  ];
  const shown = cause.evidence.slice(0, evidence);
  for (const line of shown) out.push(`  ${line}`);
  out.push(`  ${style.dim('fix:')} ${cause.fix.text}`);
  for (const command of cause.fix.commands) out.push(`    $ ${command}`);
  const a = cause.affects;
  const affects = [
    a.nodes.length > 0 ? `nodes ${listed(a.nodes, 5)}` : '',
    a.pods > 0 ? `${a.pods} pod(s)` : '',
    a.images.length > 0 ? `images ${listed(a.images, 3)}` : '',
    a.mirrors.length > 0 ? `hosts ${listed(a.mirrors, 3)}` : '',
  ].filter(Boolean);
  if (affects.length > 0) out.push(`  ${style.dim('affects:')} ${affects.join('; ')}`);
  if (cause.findings.length > shown.length)
    out.push(`  ${style.dim(`(${cause.findings.length} finding(s) in all: --json lists them)`)}`);
  return out;
}

/** "2 causes (1 error, 1 warning) from 5 findings (…)": the last line of `check`. */
export function countLine(
  causes: readonly { readonly severity: Severity }[],
  findings: readonly { readonly severity: Severity }[],
): string {
  const by = (list: readonly { readonly severity: Severity }[]) => {
    const n = { error: 0, warning: 0, info: 0 };
    for (const x of list) n[x.severity]++;
    return `${n.error} error(s), ${n.warning} warning(s), ${n.info} info`;
  };
  return `${causes.length} cause(s): ${by(causes)}; ${findings.length} finding(s): ${by(findings)}`;
}
