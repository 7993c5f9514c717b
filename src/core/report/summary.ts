// The short form of the report: what the ConfigMap `mirrorscope-report` holds, so
// `oc get cm mirrorscope-report -o yaml` answers "what is wrong with my mirrors" without the page.
import { admissionDigest, type AdmissionDigest } from './admission-render.js';
import type { ClusterReport, ReportSummary } from './types.js';

const TOP_PROBLEMS = 25;
const NODES_NAMED = 10;

export interface ReportDigest {
  readonly generatedAt: string;
  readonly summary: ReportSummary;
  readonly problems: readonly {
    readonly id: string;
    readonly severity: string;
    readonly message: string;
    readonly host: string | null;
    readonly image: string | null;
    readonly witnesses: number;
    /** The first few witnesses; `witnesses` says how many there are. */
    readonly nodes: readonly string[];
  }[];
  readonly mirrorsFailing: readonly {
    readonly host: string;
    readonly nodesFailing: number;
    readonly nodesProbed: number;
  }[];
  readonly nodesDrifted: readonly string[];
  /** OpenShift: per pool and per mirror object, counts only (the report has the nodes). */
  readonly rollout: {
    readonly renderErrors: readonly string[];
    readonly pools: readonly {
      readonly name: string;
      readonly target: string | null;
      readonly generated: string;
      readonly paused: boolean;
      readonly nodes: number;
      readonly nodesDone: number;
      readonly nodesLagging: number;
      readonly nodesDrifted: number;
    }[];
    readonly objects: readonly {
      readonly kind: string;
      readonly name: string;
      readonly nodesApplying: number;
      readonly nodes: number;
    }[];
  } | null;
  /** Admission denials and counts (collector `--admission`). */
  readonly admission: AdmissionDigest | null;
}

export function digestOf(report: ClusterReport): ReportDigest {
  return {
    admission: report.admission ? admissionDigest(report.admission) : null,
    generatedAt: report.generatedAt,
    summary: report.summary,
    problems: report.problems.slice(0, TOP_PROBLEMS).map((p) => ({
      id: p.id,
      severity: p.severity,
      message: p.message,
      host: p.host ?? null,
      image: p.image ?? null,
      witnesses: p.witnesses ?? 1,
      nodes: (p.nodes ?? []).slice(0, NODES_NAMED),
    })),
    mirrorsFailing: report.mirrors
      .filter((m) => m.nodesFailing > 0)
      .map((m) => ({ host: m.host, nodesFailing: m.nodesFailing, nodesProbed: m.nodesProbed })),
    nodesDrifted: report.nodes.filter((n) => n.drift !== null).map((n) => n.name),
    rollout:
      report.rollout === null
        ? null
        : {
            renderErrors: report.rollout.renderErrors,
            pools: report.rollout.pools.map((p) => ({
              name: p.name,
              target: p.target,
              generated: p.generated,
              paused: p.paused,
              nodes: p.nodes,
              nodesDone: p.nodesDone,
              nodesLagging: p.lagging.length,
              nodesDrifted: p.drifted.length,
            })),
            objects: report.rollout.objects.map((o) => ({
              kind: o.kind,
              name: o.name,
              nodesApplying: o.nodesApplying,
              nodes: o.nodes,
            })),
          },
  };
}

/** The digest without its timestamp: what decides whether the ConfigMap needs rewriting. */
export function digestFingerprint(digest: ReportDigest): string {
  const { generatedAt: _g, ...rest } = digest;
  return JSON.stringify(rest);
}
