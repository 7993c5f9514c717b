// Per node: does it run its pool's target registry files yet (rollout lag), and are the files on its
// disk the ones its current MachineConfig wrote (drift)?
import { differingPaths } from './file-equivalence.js';
import type { MachineConfigs } from './machine-config-lookup.js';
import type { LaggingNode, NodeMcoState, PoolState } from './types.js';

/** null: not lagging (or nothing to compare); undefined: configs still to be fetched. */
export function nodeLag(
  node: NodeMcoState,
  pool: PoolState,
  configs: MachineConfigs,
): LaggingNode | null | undefined {
  if (node.currentConfig === null || pool.target === null || node.currentConfig === pool.target) return null;
  const current = configs.get(node.currentConfig);
  const target = configs.get(pool.target);
  if (current === undefined || target === undefined) return undefined;
  if (target === null) return null;
  // A current config that no longer exists (pruned) cannot be compared: the node is behind anyway.
  const files = current === null ? [...target.files.keys()].sort() : differingPaths(current, target);
  if (files.length === 0) return null;
  return {
    node: node.name,
    currentConfig: node.currentConfig,
    desiredConfig: node.desiredConfig,
    state: node.state,
    reason: node.reason,
    files,
  };
}

export interface NodeDrift {
  readonly config: string;
  /** Compared paths whose bytes on disk are not the config's ("(missing)" appended when absent). */
  readonly files: readonly string[];
}

/**
 * A file the node's current config writes that is different on disk. A node in the middle of an
 * update may already have its desired config's version; that is not drift.
 */
export function nodeDrift(node: NodeMcoState, configs: MachineConfigs): NodeDrift | null | undefined {
  if (node.files === null || node.currentConfig === null) return null;
  const current = configs.get(node.currentConfig);
  if (current === undefined) return undefined;
  if (current === null) return null;
  const updating = node.desiredConfig !== null && node.desiredConfig !== node.currentConfig;
  const desired = updating ? configs.get(node.desiredConfig!) : null;
  if (desired === undefined) return undefined;
  const onDisk = new Map(node.files.map((f) => [f.path, f.sha256]));
  const files: string[] = [];
  for (const file of current.files.values()) {
    const digest = onDisk.get(file.path);
    if (digest === file.sha256) continue;
    if (digest !== undefined && desired?.files.get(file.path)?.sha256 === digest) continue;
    files.push(digest === undefined ? `${file.path} (missing)` : file.path);
  }
  return files.length === 0 ? null : { config: current.name, files: files.sort() };
}
