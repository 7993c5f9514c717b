// The wgpolicyk8s.io reports the predictions make (the format Kyverno, Policy Reporter and ACM read):
// one PolicyReport per namespace, about its pods, and one ClusterPolicyReport about the nodes. A
// result is one cause (policy = the cause kind, rule = the cause id) with every resource it affects,
// so a cause on 500 nodes is one result, not 500; what passes is one `pass` result per report. Sizes
// are bounded: an object must stay well under the API server's 1.5 MiB request limit.
import type { Severity } from '../findings/types.js';
import type { Cause } from '../causes/types.js';
import { traceCommand } from '../causes/commands.js';
import type { PodView } from './events.js';
import { plural, type NodePrediction } from './predictions.js';

export const REPORT_NAME = 'mirrorscope';
export const REPORT_SOURCE = 'mirrorscope';
/** The policy of the `pass` results: the check that every image in use is predicted to pull. */
export const PASS_POLICY = 'image-pulls-predicted';
const CATEGORY = 'Image pulls';
/** Resources listed in one result; the rest are counted in `properties.resourcesOmitted`. */
export const MAX_RESOURCES = 400;
const MAX_NODES_NAMED = 10;

export type ResultValue = 'pass' | 'warn' | 'fail';

export interface ResourceRef {
  readonly apiVersion: 'v1';
  readonly kind: 'Pod' | 'Node';
  readonly name: string;
  readonly namespace?: string;
  readonly uid: string;
}

export interface PolicyReportResult {
  readonly source: string;
  readonly policy: string;
  readonly rule: string;
  readonly category: string;
  readonly result: ResultValue;
  readonly severity: 'high' | 'medium' | 'info';
  readonly message: string;
  readonly scored: true;
  readonly timestamp: { readonly seconds: number; readonly nanos: 0 };
  readonly resources: readonly ResourceRef[];
  readonly properties: Readonly<Record<string, string>>;
}

export interface PolicyReportSummary {
  readonly pass: number;
  readonly fail: number;
  readonly warn: number;
  readonly error: number;
  readonly skip: number;
}

export interface ReportContent {
  readonly results: readonly PolicyReportResult[];
  readonly summary: PolicyReportSummary;
}

const RESULT: Readonly<Record<Severity, ResultValue>> = { error: 'fail', warning: 'warn', info: 'pass' };
const SEVERITY: Readonly<Record<Severity, PolicyReportResult['severity']>> = {
  error: 'high',
  warning: 'medium',
  info: 'info',
};

/** When a result was first seen (seconds): kept across writes, so an unchanged result stays unchanged. */
export type FirstSeen = (key: string) => number;

function result(
  fields: Omit<
    PolicyReportResult,
    'source' | 'category' | 'scored' | 'timestamp' | 'resources' | 'properties'
  >,
  resources: readonly ResourceRef[],
  properties: Record<string, string>,
  seconds: number,
): PolicyReportResult {
  const listed = resources.slice(0, MAX_RESOURCES);
  return {
    source: REPORT_SOURCE,
    ...fields,
    category: CATEGORY,
    scored: true,
    timestamp: { seconds, nanos: 0 },
    resources: listed,
    properties:
      resources.length > listed.length
        ? { ...properties, resourcesOmitted: String(resources.length - listed.length) }
        : properties,
  };
}

/** The one `pass` result of a report: what is predicted to pull. */
function passResult(resources: readonly ResourceRef[], message: string, seconds: number): PolicyReportResult {
  return result(
    { policy: PASS_POLICY, rule: 'all-images-pull', result: 'pass', severity: 'info', message },
    resources,
    {},
    seconds,
  );
}

function named(nodes: readonly string[]): string {
  const shown = nodes.slice(0, MAX_NODES_NAMED).join(', ');
  return nodes.length > MAX_NODES_NAMED ? `${shown}, … (${nodes.length} nodes)` : shown;
}

function summarize(results: readonly PolicyReportResult[]): PolicyReportSummary {
  const count = (r: ResultValue): number =>
    results
      .filter((x) => x.result === r)
      .reduce((n, x) => n + x.resources.length + Number(x.properties.resourcesOmitted ?? 0), 0);
  return { pass: count('pass'), fail: count('fail'), warn: count('warn'), error: 0, skip: 0 };
}

function ordered(results: PolicyReportResult[]): ReportContent {
  const rank: Readonly<Record<ResultValue, number>> = { fail: 0, warn: 1, pass: 2 };
  results.sort((a, b) => rank[a.result] - rank[b.result] || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
  return { results, summary: summarize(results) };
}

/** Predictions an agent stands behind right now (scanned, not silent): the others are left out. */
function current(predictions: readonly NodePrediction[]): Map<string, NodePrediction> {
  return new Map(
    predictions
      .filter((p) => p.scanned && (p.agent === 'connected' || p.agent === 'disconnected'))
      .map((p) => [p.node, p]),
  );
}

/** Per namespace, the results about its pods. A namespace with no pod on a predicted node has none. */
export function namespaceReports(
  predictions: readonly NodePrediction[],
  pods: readonly PodView[],
  firstSeen: FirstSeen,
): Map<string, ReportContent> {
  const byNode = current(predictions);
  type Acc = { cause: Cause | null; image: string; pods: ResourceRef[]; nodes: Set<string> };
  const perNamespace = new Map<
    string,
    { failing: Map<string, Acc>; passing: ResourceRef[]; nodes: Set<string> }
  >();
  for (const pod of pods) {
    const p = byNode.get(pod.node);
    if (p === undefined) continue;
    let ns = perNamespace.get(pod.namespace);
    if (ns === undefined)
      perNamespace.set(pod.namespace, (ns = { failing: new Map(), passing: [], nodes: new Set() }));
    const ref: ResourceRef = {
      apiVersion: 'v1',
      kind: 'Pod',
      name: pod.name,
      namespace: pod.namespace,
      uid: pod.uid,
    };
    let fails = false;
    for (const image of new Set(pod.containers.map((c) => c.image))) {
      const f = p.failing.find((x) => x.image === image);
      if (f === undefined) continue;
      fails = true;
      const key = `${f.cause?.id ?? 'pull-failure'}|${image}`;
      let acc = ns.failing.get(key);
      if (acc === undefined)
        ns.failing.set(key, (acc = { cause: f.cause, image, pods: [], nodes: new Set() }));
      acc.pods.push(ref);
      acc.nodes.add(pod.node);
    }
    if (!fails) {
      ns.passing.push(ref);
      ns.nodes.add(pod.node);
    }
  }
  const out = new Map<string, ReportContent>();
  for (const [namespace, ns] of perNamespace) {
    const results: PolicyReportResult[] = [];
    for (const acc of ns.failing.values()) {
      const nodes = [...acc.nodes].sort();
      const kind = acc.cause?.kind ?? 'pull-failure';
      const rule = acc.cause?.id ?? `pull-failure:${acc.image}`;
      results.push(
        result(
          {
            policy: kind,
            rule: `${rule} ${acc.image}`,
            result: RESULT[acc.cause?.severity ?? 'error'],
            severity: SEVERITY[acc.cause?.severity ?? 'error'],
            message: `Image ${acc.image} is predicted to fail to pull on ${nodes.length === 1 ? `node ${nodes[0]}` : `nodes ${named(nodes)}`}: ${acc.cause?.title ?? 'no finding explains it yet'}.`,
          },
          acc.pods,
          {
            image: acc.image,
            nodes: named(nodes),
            ...(acc.cause === null ? {} : { cause: acc.cause.id }),
            trace: traceCommand({ kind: 'cluster' }, acc.image, nodes[0]!),
          },
          firstSeen(`${namespace}|${rule}|${acc.image}`),
        ),
      );
    }
    if (ns.passing.length > 0)
      results.push(
        passResult(
          ns.passing,
          `Every image of ${plural(ns.passing.length, 'pod')} is predicted to pull on its node.`,
          firstSeen(`${namespace}|${PASS_POLICY}`),
        ),
      );
    out.set(namespace, ordered(results));
  }
  return out;
}

/**
 * The nodes' results: every cause the report says affects a node with a current prediction (those
 * that make its images fail, and the warnings about it), then the nodes whose images all pull.
 */
export function clusterReport(
  predictions: readonly NodePrediction[],
  causes: readonly Cause[],
  nodeUid: (node: string) => string | undefined,
  firstSeen: FirstSeen,
): ReportContent {
  const byNode = current(predictions);
  const ref = (node: string): ResourceRef | null => {
    const uid = nodeUid(node);
    return uid === undefined ? null : { apiVersion: 'v1', kind: 'Node', name: node, uid };
  };
  const results: PolicyReportResult[] = [];
  const failingNodes = new Set<string>();
  const listed = new Set<string>();
  const add = (cause: Cause, nodes: readonly string[]): void => {
    const refs = nodes.flatMap((n) => ref(n) ?? []);
    if (refs.length === 0) return;
    listed.add(cause.id);
    if (cause.severity === 'error') for (const n of nodes) failingNodes.add(n);
    const images = cause.affects.images;
    results.push(
      result(
        {
          policy: cause.kind,
          rule: cause.id,
          result: RESULT[cause.severity],
          severity: SEVERITY[cause.severity],
          message: `${cause.title} (${plural(nodes.length, 'node')}${images.length > 0 ? `, ${plural(images.length, 'image')}` : ''}).`,
        },
        refs,
        {
          cause: cause.id,
          ...(cause.fix.commands[0] === undefined ? {} : { trace: cause.fix.commands[0] }),
          fix: cause.fix.text,
        },
        firstSeen(`|${cause.id}`),
      ),
    );
  };
  for (const cause of causes) {
    const nodes = cause.affects.nodes.filter((n) => byNode.has(n));
    if (nodes.length > 0) add(cause, nodes);
  }
  // A failure whose cause names no node (a cluster-wide cause): listed with the nodes that predict it.
  const extra = new Map<string, { cause: Cause; nodes: string[] }>();
  for (const p of byNode.values())
    for (const c of p.causes)
      if (!listed.has(c.id)) {
        const entry = extra.get(c.id);
        if (entry === undefined) extra.set(c.id, { cause: c, nodes: [p.node] });
        else entry.nodes.push(p.node);
      }
  for (const { cause, nodes } of extra.values()) add(cause, nodes);
  for (const p of byNode.values()) if (p.failing.length > 0) failingNodes.add(p.node);
  const passing = [...byNode.keys()].filter((n) => !failingNodes.has(n)).sort();
  const passRefs = passing.flatMap((n) => ref(n) ?? []);
  if (passRefs.length > 0)
    results.push(
      passResult(
        passRefs,
        `Every image in use on ${plural(passRefs.length, 'node')} is predicted to pull.`,
        firstSeen(`|${PASS_POLICY}`),
      ),
    );
  return ordered(results);
}

/** What changes when the content changes, and not when only time passes. */
export function contentFingerprint(content: ReportContent): string {
  return JSON.stringify(content.results);
}
