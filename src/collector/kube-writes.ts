// What the collector writes back where Kubernetes users look (docs/kubernetes-surfaces.md): the
// ImagePullsPredicted node condition, PredictedPullFailure Events and, where the CRDs exist,
// policy reports (wgpolicyk8s.io or openreports.io). Every `reconcileMs` it reads the report once,
// derives one prediction per node from the report's causes, and hands the same predictions to each
// writer that is on.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { CauseIndex, predictNode, type NodePrediction } from '../core/kube-writes/predictions.js';
import type { PodView } from '../core/kube-writes/events.js';
import type { AgentView, ClusterReport } from '../core/report/types.js';
import type { KubeClients } from '../kube/kube-clients.js';
import { applyNodeCondition } from '../kube/node-status-apply.js';
import {
  createEvent,
  eventName,
  eventNamespace,
  listOwnEvents,
  patchEventSeries,
  readEventCount,
} from '../kube/event-writes.js';
import { policyReportCalls, type ReportApiChoice } from '../kube/policy-report-writes.js';
import type { Log } from './log.js';
import { conditionOf, NodeConditions } from './node-conditions.js';
import { PredictedPullEvents } from './pod-events.js';
import { PolicyReports } from './policy-reports.js';
import { ReconnectStorm, STORM_CHECK_MS } from './reconnect-storm.js';

export interface KubeWritesOptions {
  /** The ImagePullsPredicted condition on every node (--no-node-conditions turns it off). */
  readonly nodeConditions: boolean;
  /** PredictedPullFailure Events on pods and nodes (--no-events). */
  readonly events: boolean;
  /** Policy reports where the CRDs exist (--no-policy-reports). */
  readonly policyReports: boolean;
  /** Which report API to write (--policy-report-api; default auto). */
  readonly policyReportApi?: ReportApiChoice;
  /** How often the PolicyReport CRDs are looked for again (default 5 min). */
  readonly policyReportRediscoverMs?: number;
  readonly conditionQps?: number;
  readonly conditionBurst?: number;
  readonly conditionHeartbeatMs?: number;
  /** How long a node's agent may be gone before its condition is removed (default 15 min). */
  readonly conditionGraceMs?: number;
  readonly eventsPerMinute?: number;
  readonly reconcileMs?: number;
  /** The collector's pod name, for the Events' reportingInstance. */
  readonly instance: string;
}

export interface KubeWritesSources {
  readonly kube: KubeClients;
  readonly report: () => ClusterReport;
  /** A reconcile is done with the report it read (the cache may let it go). */
  readonly finished?: (report: ClusterReport) => void;
  readonly agent: (node: string) => AgentView | undefined;
  readonly node: (name: string) => V1Node | undefined;
  readonly pods: () => readonly V1Pod[];
  /** The pod and node informers have listed everything once. */
  readonly synced: () => boolean;
  /** Snapshots received from agents so far (a count that only grows). */
  readonly snapshots?: () => number;
  readonly log: Log;
  readonly onWrite?: (what: string, result: 'ok' | 'error') => void;
}

export const KUBE_WRITE_DEFAULTS = {
  conditionQps: 10,
  conditionBurst: 20,
  conditionHeartbeatMs: 300_000,
  conditionGraceMs: 900_000,
  eventsPerMinute: 30,
  reconcileMs: 10_000,
} as const;

/** The share of the collector's time reconciles may take: a big cluster's report build is not free. */
export const RECONCILE_DUTY = 0.1;

/**
 * The wait before the next reconcile: the interval, or longer after a reconcile that took a while, so
 * that reconciles (a report build at their core) leave the collector free for what agents send,
 * as when thousands of them reconnect at once.
 */
export function nextReconcileDelay(intervalMs: number, tookMs: number): number {
  return Math.max(intervalMs, (tookMs * (1 - RECONCILE_DUTY)) / RECONCILE_DUTY);
}

const TERMINAL_PHASES = new Set(['Succeeded', 'Failed']);

/** The predictions for every node of the report, from its causes and each agent's latest scan. */
export function predictionsOf(
  report: ClusterReport,
  agent: (node: string) => AgentView | undefined,
): NodePrediction[] {
  const index = new CauseIndex(report.causes);
  return report.nodes.map((n) => {
    const view = agent(n.name);
    return predictNode(
      {
        node: n.name,
        agent: n.agent,
        lastSeenMs: view?.lastSeenMs ?? null,
        images: view === undefined || view.scanAt === null ? null : view.images,
      },
      index,
    );
  });
}

/** A pod as the Event decisions read it: bound, alive, and which containers have started. */
export function podView(pod: V1Pod): PodView | null {
  const node = pod.spec?.nodeName;
  const { name, namespace, uid } = pod.metadata ?? {};
  if (!node || !name || !namespace || !uid || pod.metadata?.deletionTimestamp) return null;
  if (TERMINAL_PHASES.has(pod.status?.phase ?? '')) return null;
  const statuses = new Map(
    [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].map((s) => [
      s.name,
      s,
    ]),
  );
  const started = (container: string): boolean => {
    const s = statuses.get(container);
    return (
      s !== undefined &&
      (Boolean(s.imageID) || s.state?.running !== undefined || s.state?.terminated !== undefined)
    );
  };
  return {
    namespace,
    name,
    uid,
    node,
    containers: [
      ...(pod.spec?.initContainers ?? []).map((c) => ({
        name: c.name,
        image: c.image ?? '',
        fieldPath: `spec.initContainers{${c.name}}`,
        started: started(c.name),
      })),
      ...(pod.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image ?? '',
        fieldPath: `spec.containers{${c.name}}`,
        started: started(c.name),
      })),
    ].filter((c) => c.image !== ''),
  };
}

export function startKubeWrites(sources: KubeWritesSources, options: KubeWritesOptions): { stop(): void } {
  const o = { ...KUBE_WRITE_DEFAULTS, ...options };
  const { kube, log } = sources;
  const conditions = options.nodeConditions
    ? new NodeConditions({
        apply: (node, condition) => applyNodeCondition(kube.core, node, condition),
        current: (node) => conditionOf(sources.node(node)?.status?.conditions),
        exists: (node) => sources.node(node) !== undefined,
        qps: o.conditionQps,
        burst: o.conditionBurst,
        heartbeatMs: o.conditionHeartbeatMs,
        goneAfterMs: o.conditionGraceMs,
        log,
        onWrite: (reason, result) => sources.onWrite?.(`node-condition-${reason}`, result),
      })
    : null;
  const events = options.events
    ? new PredictedPullEvents({
        name: eventName,
        namespaceOf: eventNamespace,
        create: (name, object, reason, message) =>
          createEvent(kube.core, name, object, reason, message, options.instance, new Date()),
        patch: (event, message) => patchEventSeries(kube.core, event, message, new Date()),
        countOf: (namespace, name) => readEventCount(kube.core, namespace, name),
        existing: () => listOwnEvents(kube.core),
        perMinute: o.eventsPerMinute,
        log,
        onWrite: (action, result) => sources.onWrite?.(`event-${action}`, result),
      })
    : null;
  const reports = options.policyReports
    ? new PolicyReports({
        ...policyReportCalls(kube, options.policyReportApi),
        ...(options.policyReportRediscoverMs === undefined
          ? {}
          : { rediscoverMs: options.policyReportRediscoverMs }),
        log,
        onWrite: (action, result) => sources.onWrite?.(`policy-report-${action}`, result),
      })
    : null;
  conditions?.start();
  void events?.start();
  void reports?.start();

  const reconcile = (): void => {
    if (!sources.synced()) return;
    const report = sources.report();
    try {
      const predictions = predictionsOf(report, sources.agent);
      conditions?.reconcile(predictions);
      if (events === null && reports === null) return;
      const pods = sources.pods().flatMap((p) => podView(p) ?? []);
      const nodeUid = (node: string): string | undefined => sources.node(node)?.metadata?.uid;
      events?.reconcile(predictions, pods, nodeUid);
      void reports?.reconcile(predictions, pods, report.causes, nodeUid);
    } finally {
      sources.finished?.(report);
    }
  };
  const storm = new ReconnectStorm(sources.snapshots ?? (() => 0), log);
  let timer: NodeJS.Timeout | null = null;
  const schedule = (delayMs: number): void => {
    timer = setTimeout(() => {
      const started = performance.now();
      if (storm.holds(started)) return schedule(Math.min(STORM_CHECK_MS, o.reconcileMs));
      reconcile();
      schedule(nextReconcileDelay(o.reconcileMs, performance.now() - started));
    }, delayMs);
    timer.unref();
  };
  schedule(o.reconcileMs);
  return {
    stop() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      conditions?.stop();
      events?.stop();
      reports?.stop();
    },
  };
}
