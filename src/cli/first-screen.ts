// The first screen of `mirrorscope start`: the root causes in impact order — kind code, title, the
// next command to run — then where the report page is.
//
// Seam: until the cause model (src/core/causes) is on this branch, `screenCauses` groups the report's
// problems by finding id, the way the report page lists them; the screen itself only reads
// `ScreenCause`, so the cause model replaces that one function.
import { SEVERITY_RANK } from '../core/report/catalogue-lookup.js';
import type { ClusterReport, ReportFinding } from '../core/report/types.js';
import type { Severity } from '../core/findings/types.js';
import type { Style } from '../core/style.js';

export interface ScreenCause {
  /** Stable kind code, e.g. `mirror-stale-tag`. */
  readonly kind: string;
  readonly severity: Severity;
  readonly title: string;
  readonly nodes: readonly string[];
  readonly images: readonly string[];
  /** Registry hosts the cause is about. */
  readonly hosts: readonly string[];
}

function nodesOf(f: ReportFinding): readonly string[] {
  return f.nodes ?? (f.node !== undefined ? [f.node] : []);
}

/** Images whose pulls met one of `hosts` on some node (the nodes' own findings say so). */
function imagesMeeting(report: ClusterReport, hosts: readonly string[]): string[] {
  const found = new Set<string>();
  for (const node of report.nodes)
    for (const f of node.findings) if (f.image && f.host && hosts.includes(f.host)) found.add(f.image);
  return [...found];
}

/** One cause per finding id; the worst finding's words; impact = severity, then nodes, then images. */
export function screenCauses(report: ClusterReport): ScreenCause[] {
  const byKind = new Map<string, ReportFinding[]>();
  for (const p of report.problems) {
    const list = byKind.get(p.id);
    if (list === undefined) byKind.set(p.id, [p]);
    else list.push(p);
  }
  const causes: ScreenCause[] = [];
  for (const [kind, findings] of byKind) {
    const sorted = [...findings].sort(
      (a, b) =>
        SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || nodesOf(b).length - nodesOf(a).length,
    );
    const first = sorted[0]!;
    const hosts = [...new Set(sorted.flatMap((f) => (f.host ? [f.host] : [])))];
    let images = [...new Set(sorted.flatMap((f) => (f.image ? [f.image] : [])))];
    // A mirror-level cause names no image: trace one its nodes met that mirror with.
    if (images.length === 0 && hosts.length > 0) images = imagesMeeting(report, hosts);
    causes.push({
      kind,
      severity: first.severity,
      title: first.message,
      nodes: [...new Set(sorted.flatMap(nodesOf))].sort(),
      images,
      hosts,
    });
  }
  return causes.sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      b.nodes.length - a.nodes.length ||
      b.images.length - a.images.length ||
      a.kind.localeCompare(b.kind),
  );
}

export interface CommandContext {
  /** `npx mirrorscope` flags that reach the registries (the lab's `$LAB`), '' when none are needed. */
  readonly connect: string;
  /** The root to name for a node. */
  rootOf(node: string | null): string;
  /** An image whose pull on `node` contacts `host`, as the node's configuration resolves it. */
  imageVia?(host: string, node: string | null): string | null;
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Causes in the node's files: `check` names the file and line and needs no network. */
function isConfigKind(kind: string): boolean {
  return (
    kind.startsWith('config-') ||
    kind.startsWith('policy-') ||
    kind === 'node-config-drift' ||
    kind === 'signature-storage-local-only' ||
    kind === 'signature-key-missing'
  );
}

/** The command to try next: trace an image the cause breaks, else check the node's configuration. */
export function nextCommand(cause: ScreenCause, context: CommandContext): string {
  const node = cause.nodes[0] ?? null;
  const root = shellWord(context.rootOf(node));
  const image =
    cause.images[0] ?? cause.hosts.map((h) => context.imageVia?.(h, node) ?? null).find((i) => i !== null);
  if (image !== undefined && image !== null && !isConfigKind(cause.kind))
    return `npx mirrorscope trace --root ${root}${context.connect ? ` ${context.connect}` : ''} ${shellWord(image)}`;
  return `npx mirrorscope check --root ${root}`;
}

const TOP = 20;

export function renderFirstScreen(
  causes: readonly ScreenCause[],
  context: CommandContext,
  style: Style,
): string {
  if (causes.length === 0) return style.good('No problems found: every image pulls as configured.');
  const errors = causes.filter((c) => c.severity === 'error').length;
  const lines = [
    style.strong(
      `Root causes, most impact first (${causes.length}: ${errors} error${errors === 1 ? '' : 's'}, ${causes.length - errors} warning/info)`,
    ),
  ];
  const width = Math.max(...causes.slice(0, TOP).map((c) => c.kind.length));
  for (const [i, c] of causes.slice(0, TOP).entries()) {
    const mark =
      c.severity === 'error'
        ? style.bad('error  ')
        : c.severity === 'warning'
          ? style.warn('warning')
          : 'info   ';
    const where = [
      c.nodes.length > 0 ? `${c.nodes.length} node${c.nodes.length === 1 ? '' : 's'}` : '',
      c.images.length > 0 ? `${c.images.length} image${c.images.length === 1 ? '' : 's'}` : '',
    ]
      .filter((s) => s !== '')
      .join(', ');
    lines.push(
      `${String(i + 1).padStart(2)}. ${mark} ${style.strong(c.kind.padEnd(width))}  ${c.title}${where ? style.dim(` (${where})`) : ''}`,
    );
    lines.push(`    ${' '.repeat(7)} ${' '.repeat(width)}  ${style.dim('next:')} ${nextCommand(c, context)}`);
  }
  if (causes.length > TOP) lines.push(`    … ${causes.length - TOP} more on the report page`);
  return lines.join('\n');
}
