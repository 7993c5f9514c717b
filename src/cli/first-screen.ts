// The first screen of `mirrorscope start`: the root causes of the report's cause model, in its impact
// order — kind code, title, the next command to run — then where the report page is. Nothing here
// groups findings: the causes are the report's own (src/core/causes).
import type { Cause } from '../core/causes/types.js';
import type { ClusterReport } from '../core/report/types.js';
import type { Style } from '../core/style.js';

export interface CommandContext {
  /** The collector's URL when it is not the one `mirrorscope trace --node` uses by default. */
  readonly collector: string | null;
  /** The root of a node, for the commands that read a node's files (`check`). */
  rootOf(node: string | null): string;
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The cause's first command that runs from here, as `npx mirrorscope …`: traces go through this
 * collector to the node's agent; `check` reads the node's root.
 */
export function nextCommand(cause: Cause, context: CommandContext): string | null {
  const node = cause.affects.nodes[0] ?? null;
  for (const command of cause.fix.commands) {
    if (command.startsWith('mirrorscope trace --node '))
      return `npx ${command.replace(
        'mirrorscope trace',
        `mirrorscope trace${context.collector !== null ? ` --collector ${context.collector}` : ''}`,
      )}`;
    if (command === 'mirrorscope check')
      return `npx mirrorscope check --root ${shellWord(context.rootOf(node))}`;
    if (command.startsWith('mirrorscope ')) return `npx ${command}`;
  }
  const image = cause.affects.images[0];
  if (image !== undefined && node !== null)
    return `npx mirrorscope trace${context.collector !== null ? ` --collector ${context.collector}` : ''} --node ${shellWord(node)} ${shellWord(image)}`;
  return node !== null ? `npx mirrorscope check --root ${shellWord(context.rootOf(node))}` : null;
}

const TOP = 12;

export function renderFirstScreen(report: ClusterReport, context: CommandContext, style: Style): string {
  const causes = report.causes;
  if (causes.length === 0) return style.good('No causes found: every image pulls as configured.');
  const count = { error: 0, warning: 0, info: 0 };
  for (const c of causes) count[c.severity]++;
  const lines = [
    style.strong(
      `Root causes, most impact first: ${causes.length} (${count.error} error, ${count.warning} warning, ${count.info} info)`,
    ),
  ];
  const shown = causes.slice(0, TOP);
  const width = Math.max(...shown.map((c) => c.kind.length));
  for (const [i, c] of shown.entries()) {
    const mark =
      c.severity === 'error'
        ? style.bad('error  ')
        : c.severity === 'warning'
          ? style.warn('warning')
          : 'info   ';
    const a = c.affects;
    const where = [
      a.nodes.length > 0 ? `${a.nodes.length} node${a.nodes.length === 1 ? '' : 's'}` : '',
      a.images.length > 0 ? `${a.images.length} image${a.images.length === 1 ? '' : 's'}` : '',
    ]
      .filter((s) => s !== '')
      .join(', ');
    lines.push(
      `${String(i + 1).padStart(2)}. ${mark} ${style.strong(c.kind.padEnd(width))}  ${c.title}${where ? style.dim(` (${where})`) : ''}`,
    );
    const next = nextCommand(c, context);
    if (next !== null) lines.push(`    ${' '.repeat(7)} ${' '.repeat(width)}  ${style.dim('next:')} ${next}`);
  }
  if (causes.length > TOP) lines.push(`    … ${causes.length - TOP} more on the report page`);
  return lines.join('\n');
}
