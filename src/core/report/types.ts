// The cluster-wide mirror health report: what the collector knows (input) and what it publishes
// (output, the JSON of GET /api/v1/report; documented in docs/collector.md).
import type { Cause } from '../causes/types.js';
import type { FindingId } from '../findings/catalogue.js';
import type { NodeFinding, Severity } from '../findings/types.js';
import type { ConfigFileDigest, HostProbe, ImageStatus, RuntimeInfo } from '../node-state.js';
import type { ClusterFinding, IntentEvaluation, RolloutReport } from '../rollout/types.js';
import type { FindingWitnesses } from './witnesses.js';
import type { AdmissionSection } from '../admission/cluster-section.js';

// ---------- input ----------

/**
 * Findings that several nodes report alike (an equivalence class: typically the nodes of one pool,
 * one configuration, one set of mirrors). Stored once; nodes refer to it and list only what differs.
 */
export interface FindingSet {
  /** Stable while the set lives (`class-12`). */
  readonly id: string;
  readonly findings: readonly NodeFinding[];
}

export interface AgentView {
  readonly connected: boolean;
  /** Epoch ms of the last message (any type) from the agent. */
  readonly lastSeenMs: number;
  readonly agentVersion: string;
  readonly configHash: string;
  readonly files: readonly ConfigFileDigest[];
  /** Every finding the node reports (its class's, then its own). */
  readonly findings: readonly NodeFinding[];
  /** The class the node's findings start from; null or absent: none (then `findings` is all). */
  readonly findingClass?: FindingSet | null;
  /** With a class: the node's findings outside it. */
  readonly extraFindings?: readonly NodeFinding[];
  /**
   * How many of `extraFindings` are of each severity, when the view counted them as they came (a
   * report build then reads none of a large cluster's 300,000 one-node findings to count them).
   */
  readonly extraCounts?: Readonly<Record<Severity, number>>;
  readonly hosts: readonly HostProbe[];
  readonly images: readonly ImageStatus[];
  readonly scanAt: string | null;
  /** The runtime the agent simulates (agents before 0.2 do not say). */
  readonly runtime?: RuntimeInfo | null;
}

export interface NodeInput {
  readonly name: string;
  /** MachineConfigPool-like pool from the node's role labels; null when the Node object is unknown. */
  readonly pool: string | null;
  /** The Node object exists in the API (false: only an agent says so). */
  readonly registered: boolean;
  /** null: no agent has reported from this node since the collector started. */
  readonly agent: AgentView | null;
  /** `status.nodeInfo.containerRuntimeVersion` of the Node object (`cri-o://1.29.4-…`), when known. */
  readonly runtimeVersion?: string | null;
}

/** One source that failed in a real pull (kubelet event), split out of "Mirrors also failed". */
export interface PullEventCandidate {
  /** The physical reference tried, or null when the error text names none. */
  readonly reference: string | null;
  readonly host: string | null;
  readonly error: string;
  /** Catalogue id for the cause (`pull-unreachable`, `pull-manifest-unknown`, …). */
  readonly findingId: FindingId;
}

export interface PullEvent {
  readonly node: string;
  readonly image: string;
  readonly namespace: string;
  readonly pod: string;
  readonly count: number;
  readonly lastSeen: string;
  /** The error text with kubelet/CRI-O wrappers stripped. */
  readonly error: string;
  readonly candidates: readonly PullEventCandidate[];
}

export interface ClusterInput {
  readonly nowMs: number;
  /**
   * Which nodes report each agent finding, kept current by the collector as messages arrive; without
   * it the builder derives it from `nodes` (same answer, more work per build).
   */
  readonly agentWitnesses?: FindingWitnesses;
  /** An agent quiet for longer than this is silent. */
  readonly silentAfterMs: number;
  readonly nodes: readonly NodeInput[];
  readonly events: readonly PullEvent[];
  /** Cluster intent vs node reality (OpenShift: mirror objects, pools, MachineConfigs); null elsewhere. */
  readonly intent?: IntentEvaluation | null;
  /** Pods per node and image (from the pod informer), for the impact order of the causes. */
  readonly pods?: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Portieris/Gatekeeper decisions and denials (collector `--admission`); null elsewhere. */
  readonly admission?: AdmissionSection | null;
  /** Other findings the collector raises about nodes (pods' pull secrets, `--pod-pull-secrets`). */
  readonly collectorFindings?: readonly ClusterFinding[];
}

// ---------- output ----------

/**
 * A finding as the report shows it: a node finding, where the collector's own findings leave out
 * the place fields they do not have. Deduplicated findings carry their witnesses.
 */
export interface ReportFinding
  extends
    Pick<NodeFinding, 'id' | 'severity' | 'message' | 'fix' | 'key' | 'stale'>,
    Partial<Pick<NodeFinding, 'file' | 'line' | 'scope' | 'image' | 'host'>> {
  /** The node, for a finding about one node. */
  readonly node?: string;
  /** Every node that sees the problem (deduplicated findings). */
  readonly nodes?: readonly string[];
  readonly witnesses?: number;
}

export type AgentState = 'connected' | 'silent' | 'disconnected' | 'missing';

export interface NodeReport {
  readonly name: string;
  readonly pool: string | null;
  readonly agent: AgentState;
  readonly configHash: string | null;
  readonly lastSeen: string | null;
  /**
   * The node's CRI-O version (`1.29.4`) from its Node status, else the one its agent simulates; the
   * kubelet's text as is for another runtime; null when nobody says.
   */
  readonly runtimeVersion: string | null;
  /** Every finding on the node, its class's included. */
  readonly counts: Readonly<Record<Severity, number>>;
  /**
   * The findings the node shares with the other nodes of its class (`findingClasses[].id`); null when
   * it shares its findings with no other node as a whole.
   */
  readonly findingClass: string | null;
  /**
   * The collector's findings about the node, then the agent's (without `node`: it is this entry) —
   * only those outside its class when it has one.
   */
  readonly findings: readonly (NodeFinding | ReportFinding)[];
  readonly drift: {
    readonly majorityHash: string;
    readonly nodesInPool: number;
    /** Node paths whose digest differs from the pool majority. */
    readonly differingFiles: readonly string[];
  } | null;
}

/** Findings several nodes report alike, listed once: "412 nodes: …" (the nodes list only what differs). */
export interface FindingClassReport {
  readonly id: string;
  /** How many nodes of the report belong to it (at least 2). */
  readonly nodes: number;
  /** Their pools, sorted (null: nodes without a Node object). */
  readonly pools: readonly (string | null)[];
  readonly counts: Readonly<Record<Severity, number>>;
  readonly findings: readonly NodeFinding[];
}

export interface MirrorReport {
  readonly host: string;
  readonly nodesProbed: number;
  readonly nodesReachable: number;
  readonly nodesFailing: number;
  readonly failing: readonly { readonly node: string; readonly outcome: string }[];
  readonly latencyMs: { readonly p50: number; readonly p95: number } | null;
  readonly authFailures: number;
  readonly tlsFailures: number;
  readonly imagesMissing: readonly { readonly image: string; readonly nodes: number }[];
  readonly imagesStale: readonly { readonly image: string; readonly nodes: number }[];
  readonly findings: readonly ReportFinding[];
}

export interface ImageReport {
  readonly image: string;
  readonly nodesFailing: readonly string[];
  readonly nodesPulling: number;
  /** Where nodes would pull it from (null source: nowhere). */
  readonly sources: readonly { readonly source: string | null; readonly nodes: readonly string[] }[];
  readonly findings: readonly ReportFinding[];
  readonly events: readonly PullEvent[];
}

export interface ReportSummary {
  readonly nodes: number;
  readonly nodesWithAgent: number;
  readonly nodesSilent: number;
  readonly nodesWithoutAgent: number;
  readonly nodesWithErrors: number;
  readonly nodesDrifted: number;
  readonly mirrors: number;
  readonly mirrorsFailing: number;
  readonly imagesFailing: number;
  readonly problems: number;
  readonly findings: Readonly<Record<Severity, number>>;
}

export interface ClusterReport {
  readonly schemaVersion: 1;
  readonly generatedAt: string;
  readonly summary: ReportSummary;
  /** What to fix, most important first: every problem below belongs to exactly one cause. */
  readonly causes: readonly Cause[];
  /** Every distinct problem once, most severe and most widely seen first. */
  readonly problems: readonly ReportFinding[];
  readonly mirrors: readonly MirrorReport[];
  readonly images: readonly ImageReport[];
  /** Findings shared by whole groups of nodes, largest group first (each node names its class). */
  readonly findingClasses: readonly FindingClassReport[];
  readonly nodes: readonly NodeReport[];
  /** Per pool and per mirror object, how far the mirror configuration has reached the nodes (OpenShift). */
  readonly rollout: RolloutReport | null;
  /** What the admission controllers decide and denied (collector `--admission`); null or absent otherwise. */
  readonly admission?: AdmissionSection | null;
}
