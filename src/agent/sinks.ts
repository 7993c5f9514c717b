// What the agent hands to its outputs. The agent loads, scans and diffs; the log, the metrics, the
// collector link and the HTTP endpoint's state each implement AgentSink and get the same result
// (node-problem-detector's monitor/exporter split), so none of them re-derives what another computed.
import type { Cause } from '../core/causes/types.js';
import type { NodeFinding } from '../core/findings/types.js';
import type { FindingsChange } from './findings-store.js';
import type { HostConfig } from './host-config.js';
import type { ScanOutput } from './scanner.js';

/** The host configuration was loaded (generation 1) or reloaded. */
export interface ConfigLoaded {
  readonly config: HostConfig;
  readonly generation: number;
  /** Null for the first load. */
  readonly previous: HostConfig | null;
  /** Paths whose content changed since `previous` (added, changed or removed), sorted. */
  readonly changedFiles: readonly string[];
}

/** One finished scan, diffed against the one before. */
export interface ScanResult {
  /** Why it ran: `start`, `interval`, `images`, `config-changed`, … */
  readonly reason: string;
  /** 1 for the first scan since start. */
  readonly count: number;
  readonly output: ScanOutput;
  readonly change: FindingsChange;
  /** Every current finding, those kept stale from an earlier scan included. */
  readonly findings: readonly NodeFinding[];
  /** The causes of `findings`, most important first. */
  readonly causes: readonly Cause[];
  /** The hash of the configuration this scan ran with. */
  readonly configHash: string;
}

export interface AgentSink {
  configLoaded?(event: ConfigLoaded): void;
  /** One manifest request really sent (not answered from the cache). */
  probed?(host: string, seconds: number, outcome: string): void;
  scanned?(result: ScanResult): void;
  /** The agent is stopping: readiness goes, connections close. */
  stop?(): Promise<void> | void;
}
