// The short form of the report: what the ConfigMap `mirrorscope-report` holds, so
// `oc get cm mirrorscope-report -o yaml` answers "what is wrong with my mirrors" without the page.
import type { Cause } from '../causes/types.js';
import type { NodeFinding } from '../findings/types.js';
import { admissionDigest, type AdmissionDigest } from './admission-render.js';
import type { ClusterReport, ReportSummary } from './types.js';

const TOP_CAUSES = 25;
const TOP_PROBLEMS = 25;
const NODES_NAMED = 10;
const LISTED = 20;

export interface ReportDigest {
  readonly generatedAt: string;
  readonly summary: ReportSummary;
  /**
   * The most important causes, in the report's cause shape; each `affects` list names at most 20
   * entries and `findings` at most 20 keys (the ConfigMap must stay small on a 5,000-node cluster).
   */
  readonly causes: readonly Cause[];
  readonly problems: readonly (Pick<NodeFinding, 'id' | 'severity' | 'message' | 'host' | 'image'> & {
    readonly witnesses: number;
    /** The first few witnesses; `witnesses` says how many there are. */
    readonly nodes: readonly string[];
  })[];
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
    causes: report.causes.slice(0, TOP_CAUSES).map((c) => ({
      ...c,
      evidence: c.evidence.slice(0, 5),
      affects: {
        nodes: c.affects.nodes.slice(0, LISTED),
        pods: c.affects.pods,
        images: c.affects.images.slice(0, LISTED),
        mirrors: c.affects.mirrors.slice(0, LISTED),
      },
      findings: c.findings.slice(0, LISTED),
    })),
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
