// GET /api/v1/report?node=&cause=&severity=&limit=&continue=: the report narrowed by filters and
// read in pages, so that no client has to hold a 15,000-node report at once.
//
// Filters combine (all must hold):
//   node=NAME       the node's entry, its class, the problems it witnesses, the causes that affect
//                   it, the mirrors that fail for it and the images it fails to pull or pulls;
//   cause=ID        that cause, the problems it explains, the nodes, images and mirrors it affects,
//                   the classes that hold one of its problems;
//   severity=LIST   (comma-separated error,warning,info) causes and problems of those severities;
//                   mirrors, images, classes and nodes with a finding of one, their lists narrowed.
// The summary always describes the whole cluster.
//
// Pages: the report's lists in order (causes, problems, mirrors, images, findingClasses, nodes) are
// one sequence; a page holds up to `limit` of their items, and `continue` (from the previous page)
// resumes where it ended, in the same report (kept while paged reads use it, ReportHistory):
// concatenating the pages' lists gives the filtered report. The first page also carries the
// report's head (generatedAt, summary, rollout, admission).
import type { ServerResponse } from 'node:http';
import type { Severity } from '../core/findings/types.js';
import type { ClusterReport, ReportFinding } from '../core/report/types.js';
import { streamObject } from './json-stream.js';
import type { ReportHistory } from './report-history.js';

export const SECTIONS = ['causes', 'problems', 'mirrors', 'images', 'findingClasses', 'nodes'] as const;
export type Section = (typeof SECTIONS)[number];
export const MAX_LIMIT = 10_000;
const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];
const PARAMETERS = new Set(['node', 'cause', 'severity', 'limit', 'continue']);

/** A bad query: 400 with this message, or 410 when the report a continue token points at is gone. */
export class ReportQueryError extends Error {
  override readonly name = 'ReportQueryError';
  constructor(
    readonly status: 400 | 410,
    message: string,
  ) {
    super(message);
  }
}

export interface ReportFilter {
  readonly node: string | null;
  readonly cause: string | null;
  readonly severities: readonly Severity[] | null;
}

export interface ReportQuery extends ReportFilter {
  readonly limit: number | null;
  readonly continueFrom: ContinueToken | null;
}

export interface ContinueToken {
  /** The report's id (ReportHistory). */
  readonly report: string;
  readonly section: number;
  readonly offset: number;
  /** The filters the token was issued for. */
  readonly filter: string;
}

export function filterKey(f: ReportFilter): string {
  return JSON.stringify([f.node, f.cause, f.severities]);
}

function one(params: URLSearchParams, name: string): string | null {
  const all = params.getAll(name);
  if (all.length === 0) return null;
  if (all.length > 1)
    throw new ReportQueryError(400, `the "${name}" query parameter is given ${all.length} times`);
  if (all[0] === '') throw new ReportQueryError(400, `the "${name}" query parameter is empty`);
  if (all[0]!.length > 1024) throw new ReportQueryError(400, `the "${name}" query parameter is too long`);
  return all[0]!;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify([1, token.report, token.section, token.offset, token.filter])).toString(
    'base64url',
  );
}

function decodeContinue(text: string): ContinueToken {
  const bad = new ReportQueryError(
    400,
    'the "continue" query parameter is not a token this collector issued',
  );
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad;
  }
  if (
    !Array.isArray(value) ||
    value.length !== 5 ||
    value[0] !== 1 ||
    typeof value[1] !== 'string' ||
    !Number.isSafeInteger(value[2]) ||
    value[2] < 0 ||
    value[2] >= SECTIONS.length ||
    !Number.isSafeInteger(value[3]) ||
    value[3] < 0 ||
    typeof value[4] !== 'string'
  )
    throw bad;
  return { report: value[1], section: value[2], offset: value[3], filter: value[4] };
}

/** The query of a report request; null when it has none (the whole report, as one document). */
export function parseReportQuery(params: URLSearchParams): ReportQuery | null {
  for (const name of params.keys())
    if (!PARAMETERS.has(name))
      throw new ReportQueryError(
        400,
        `unknown query parameter "${name.slice(0, 64)}" (the report takes node, cause, severity, limit, continue)`,
      );
  if ([...params.keys()].length === 0) return null;
  const severity = one(params, 'severity');
  let severities: Severity[] | null = null;
  if (severity !== null) {
    severities = [];
    for (const s of severity.split(',')) {
      if (!SEVERITIES.includes(s as Severity))
        throw new ReportQueryError(
          400,
          `the "severity" query parameter takes error, warning, info (comma-separated), not "${s.slice(0, 32)}"`,
        );
      if (!severities.includes(s as Severity)) severities.push(s as Severity);
    }
    severities.sort((a, b) => SEVERITIES.indexOf(a) - SEVERITIES.indexOf(b));
  }
  const limitText = one(params, 'limit');
  let limit: number | null = null;
  if (limitText !== null) {
    limit = /^\d{1,6}$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit >= 1 && limit <= MAX_LIMIT))
      throw new ReportQueryError(
        400,
        `the "limit" query parameter must be a whole number from 1 to ${MAX_LIMIT}`,
      );
  }
  const filter: ReportFilter = { node: one(params, 'node'), cause: one(params, 'cause'), severities };
  const continueText = one(params, 'continue');
  const continueFrom = continueText === null ? null : decodeContinue(continueText);
  if (continueFrom !== null && continueFrom.filter !== filterKey(filter))
    throw new ReportQueryError(
      400,
      'the "continue" token was issued for other filters: repeat node, cause and severity as on the first page',
    );
  return { ...filter, limit, continueFrom };
}

type Sections = { readonly [S in Section]: readonly unknown[] };

/** The report's lists, narrowed by the filters. */
export function filterSections(report: ClusterReport, f: ReportFilter): Sections {
  const sev = f.severities === null ? null : new Set<string>(f.severities);
  const bySeverity = <T extends { severity: string }>(items: readonly T[]): readonly T[] =>
    sev === null ? items : items.filter((i) => sev.has(i.severity));
  /** The entry with its findings narrowed to the severities; none when none is left. */
  const narrowed = <T extends { readonly findings: readonly { readonly severity: string }[] }>(
    entry: T,
  ): T[] => {
    if (sev === null) return [entry];
    const findings = bySeverity(entry.findings);
    return findings.length === 0 ? [] : [{ ...entry, findings }];
  };
  const cause = f.cause === null ? null : (report.causes.find((c) => c.id === f.cause) ?? null);
  const causeKeys = cause === null ? null : new Set(cause.findings);
  const node = f.node;
  const witnessedBy = (p: ReportFinding): boolean =>
    node === null || p.node === node || (p.nodes ?? []).includes(node);
  const inCause = (p: { key: string }): boolean => causeKeys === null || causeKeys.has(p.key);
  // A cause filter that names no cause of this report matches nothing.
  const none = f.cause !== null && cause === null;

  const causes = none
    ? []
    : bySeverity(report.causes).filter(
        (c) => (cause === null || c === cause) && (node === null || c.affects.nodes.includes(node)),
      );
  const problems = none ? [] : bySeverity(report.problems).filter((p) => inCause(p) && witnessedBy(p));
  const mirrors = none
    ? []
    : report.mirrors.flatMap((m) => {
        if (cause !== null && !cause.affects.mirrors.includes(m.host)) return [];
        if (node !== null && !m.failing.some((x) => x.node === node) && !m.findings.some(witnessedBy))
          return [];
        return narrowed(m);
      });
  const images = none
    ? []
    : report.images.flatMap((i) => {
        if (cause !== null && !cause.affects.images.includes(i.image)) return [];
        if (node !== null && !i.nodesFailing.includes(node) && !i.sources.some((s) => s.nodes.includes(node)))
          return [];
        return narrowed(i);
      });
  const nodeEntry = node === null ? null : report.nodes.find((n) => n.name === node);
  const findingClasses = none
    ? []
    : report.findingClasses.flatMap((c) => {
        if (node !== null && nodeEntry?.findingClass !== c.id) return [];
        if (causeKeys !== null && !c.findings.some((x) => causeKeys.has(x.key))) return [];
        return narrowed(c);
      });
  const nodes = none
    ? []
    : report.nodes.flatMap((n) => {
        if (node !== null && n.name !== node) return [];
        if (cause !== null && !cause.affects.nodes.includes(n.name)) return [];
        if (sev === null) return [n];
        if (!f.severities!.some((s) => n.counts[s] > 0)) return [];
        return [{ ...n, findings: bySeverity(n.findings) }];
      });
  return { causes, problems, mirrors, images, findingClasses, nodes };
}

export interface ReportPage {
  /** The report's head on the first page; null on later pages. */
  readonly head: Omit<ClusterReport, Section | 'findingClasses'> | null;
  readonly sections: Sections;
  readonly continueFrom: ContinueToken | null;
  readonly remainingItemCount: number;
}

/** One page of the filtered report, starting at `from` (the start when null). */
export function pageOf(report: ClusterReport, reportId: string, query: ReportQuery): ReportPage {
  const all = filterSections(report, query);
  const start = query.continueFrom ?? { section: 0, offset: 0 };
  let budget = query.limit ?? Infinity;
  const out: Record<Section, readonly unknown[]> = {
    causes: [],
    problems: [],
    mirrors: [],
    images: [],
    findingClasses: [],
    nodes: [],
  };
  let next: { section: number; offset: number } | null = null;
  let remaining = 0;
  SECTIONS.forEach((name, index) => {
    const items = all[name];
    if (index < start.section) return;
    const from = index === start.section ? Math.min(start.offset, items.length) : 0;
    const take = Math.min(budget, items.length - from);
    out[name] = items.slice(from, from + take);
    budget -= take;
    const left = items.length - from - take;
    remaining += left;
    if (left > 0 && next === null) next = { section: index, offset: from + take };
  });
  const {
    causes: _c,
    problems: _p,
    mirrors: _m,
    images: _i,
    findingClasses: _f,
    nodes: _n,
    ...head
  } = report;
  const resume = next as { section: number; offset: number } | null;
  return {
    head: query.continueFrom === null ? head : null,
    sections: out,
    continueFrom:
      resume === null
        ? null
        : { report: reportId, section: resume.section, offset: resume.offset, filter: filterKey(query) },
    remainingItemCount: remaining,
  };
}

/** The page a query asks for: from the current report, or from the one its continue token names. */
export function readPage(
  query: ReportQuery,
  current: () => ClusterReport,
  history: ReportHistory,
): ReportPage {
  if (query.continueFrom === null) {
    const report = current();
    return pageOf(report, history.keep(report), query);
  }
  const report = history.get(query.continueFrom.report);
  if (report === undefined)
    throw new ReportQueryError(
      410,
      'the report this "continue" token belongs to is no longer kept (too old, or memory was short): start again without "continue"',
    );
  return pageOf(report, query.continueFrom.report, query);
}

export async function streamPage(res: ServerResponse, page: ReportPage): Promise<void> {
  await streamObject(
    res,
    {
      ...(page.head ?? {}),
      continue: page.continueFrom === null ? null : encodeContinue(page.continueFrom),
      remainingItemCount: page.remainingItemCount,
    },
    SECTIONS.map((name) => [name, page.sections[name]] as const),
  );
}
