// Cluster intent vs node reality: what the collector knows about the MCO's side (pools, rendered
// configs, node annotations) and what it concludes (findings, the rollout view of the report).
import type { FindingId } from '../findings/catalogue.js';
import type { NodeFinding } from '../findings/types.js';
import type { ClusterObjects } from '../mco/types.js';
import type { ConfigFileDigest } from '../node-state.js';
import type { MachineConfigView } from './machine-config.js';

export interface PoolState {
  readonly name: string;
  /** master/worker/arbiter: the pools the MCO writes `99-<pool>-generated-registries` for. */
  readonly builtIn: boolean;
  readonly paused: boolean;
  /** `spec.configuration.name`: the rendered config the pool rolls its nodes to. */
  readonly target: string | null;
  /** `spec.configuration.source`: the MachineConfigs merged into the target. */
  readonly targetSources: readonly string[];
  /** `status.configuration.name`: the rendered config the whole pool last completed. */
  readonly current: string | null;
  readonly machineCount: number | null;
  readonly updatedMachineCount: number | null;
  readonly degradedMachineCount: number | null;
}

export interface NodeMcoState {
  readonly name: string;
  /** The MachineConfigPool that selects the node; null when none does. */
  readonly pool: string | null;
  /** `machineconfiguration.openshift.io/currentConfig` and friends; null when absent. */
  readonly currentConfig: string | null;
  readonly desiredConfig: string | null;
  readonly state: string | null;
  readonly reason: string | null;
  /** Digests of the node's files as its agent last read them; null without an agent. */
  readonly files: readonly ConfigFileDigest[] | null;
}

/** A MachineConfig by name; 'not-found' when the API has none of that name. */
export type MachineConfigLookup = ReadonlyMap<string, MachineConfigView | 'not-found'>;

export interface IntentInput {
  readonly objects: ClusterObjects;
  readonly pools: readonly PoolState[];
  readonly nodes: readonly NodeMcoState[];
  readonly machineConfigs: MachineConfigLookup;
  /** `ClusterVersion` `status.desired.version` (e.g. 4.16.3): which MCO rendering applies. */
  readonly clusterVersion: string | null;
  /** Epoch ms since the mirror objects last changed: the MCO needs a moment to write them. */
  readonly objectsChangedAtMs: number;
  readonly nowMs: number;
  /** How long a generated config may lag the objects before it is a finding (default 2 min). */
  readonly graceMs?: number;
}

/** A collector finding with the nodes it concerns (empty: about the cluster's objects). */
export interface ClusterFinding
  extends
    Pick<NodeFinding<FindingId>, 'id' | 'key' | 'message'>,
    Partial<Pick<NodeFinding<FindingId>, 'fix' | 'scope' | 'file' | 'line' | 'image' | 'host'>> {
  readonly nodes: readonly string[];
}

export interface LaggingNode {
  readonly node: string;
  readonly currentConfig: string | null;
  readonly desiredConfig: string | null;
  readonly state: string | null;
  readonly reason: string | null;
  /** Compared files that differ between the node's config and the pool's target. */
  readonly files: readonly string[];
}

/** Whether the pool's generated registries MachineConfig carries the objects' rendering. */
export type GeneratedState = 'matches' | 'differs' | 'pending' | 'missing' | 'render-failed' | 'unknown';

export interface PoolRollout {
  readonly name: string;
  readonly paused: boolean;
  readonly target: string | null;
  readonly current: string | null;
  /** The MachineConfig that carries the objects' rendering for this pool. */
  readonly generatedConfig: string;
  readonly generated: GeneratedState;
  /** MachineConfigs whose files replace the generated ones in the pool's target. */
  readonly overriddenBy: readonly string[];
  readonly nodes: number;
  /** Nodes whose current config has the target's registry files. */
  readonly nodesDone: number;
  readonly lagging: readonly LaggingNode[];
  /** Nodes whose files on disk differ from their current config. */
  readonly drifted: readonly string[];
  readonly machineCount: number | null;
  readonly updatedMachineCount: number | null;
  readonly degradedMachineCount: number | null;
}

export interface ObjectRollout {
  readonly kind: string;
  readonly name: string;
  readonly entries: number;
  /** Nodes (with an MCO currentConfig) whose current config applies the object. */
  readonly nodesApplying: number;
  readonly nodes: number;
  readonly pools: readonly {
    readonly pool: string;
    readonly nodesApplying: number;
    readonly nodes: number;
    /** Whether the pool's target config applies it; null when the target is unknown. */
    readonly inTarget: boolean | null;
  }[];
}

export interface RolloutReport {
  readonly renderErrors: readonly string[];
  readonly renderWarnings: readonly string[];
  readonly pools: readonly PoolRollout[];
  readonly objects: readonly ObjectRollout[];
}

export interface IntentEvaluation {
  readonly findings: readonly ClusterFinding[];
  readonly rollout: RolloutReport;
  /** MachineConfigs the evaluation needed but `machineConfigs` lacked: fetch them and evaluate again. */
  readonly wanted: readonly string[];
}
