// What an agent reports about its node beside its findings: the config files it read, the registry
// hosts it probed, the images it checked and the runtime it simulates. The collector protocol carries
// these shapes and the report reads them; they live in core so neither depends on the other.
import type { SourceCredentialStatus } from './credentials/source-credentials.js';

/** What the agent saw of one registry host during its last scan. */
export interface HostProbe {
  readonly host: string;
  readonly reachable: boolean;
  /** Outcome code of the last probe (`found`, `unreachable`, `tls-untrusted`, …). */
  readonly outcome: string;
  readonly latencyMs: number | null;
  readonly probedAt: string;
}

/** Where this node would pull one image from, and whether it can. */
export interface ImageStatus {
  readonly image: string;
  readonly pullable: boolean;
  /** The reference of the source that serves the pull (null when it fails or was not probed). */
  readonly source: string | null;
  readonly digest: string | null;
  /** Finding keys that explain a failure. */
  readonly findingKeys: readonly string[];
  /**
   * What the configuration alone makes of the image on this node (candidates and sources, or the
   * error), independent of the network: nodes whose answers differ resolve it differently. Optional
   * (added in 0.2; older agents omit it).
   */
  readonly resolution?: string;
  /**
   * Each source the image resolves to: whether the kubelet's credentials reach it and whether the
   * node's auth file has credentials for it (key names only). Optional (added in 0.3).
   */
  readonly sources?: readonly SourceCredentialStatus[];
}

/** The runtime whose pulls the agent simulates (optional in a snapshot; older agents omit it). */
export interface RuntimeInfo {
  readonly name: 'crio';
  /** The CRI-O version applied, null when unknown (the newest rules). */
  readonly version: string | null;
  readonly containersImage: string | null;
  /** Where the version came from: the agent's --crio-version, the collector (Node status), or nowhere. */
  readonly source: 'flag' | 'collector' | null;
}

export interface ConfigFileDigest {
  /** Node path, e.g. `/etc/containers/registries.conf`. */
  readonly path: string;
  readonly sha256: string;
}
