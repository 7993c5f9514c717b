// The latest scan as the HTTP endpoint serves it (/readyz, /v1/findings) and `--once` prints it:
// built once per scan, not per request.
import type { Cause } from '../core/causes/types.js';
import { nodeFindingJson } from '../core/findings/types.js';
import type { WireFinding } from '../protocol/messages.js';
import type { AgentSink, ScanResult } from './sinks.js';

export interface FindingsDocument {
  readonly causes: Cause[];
  readonly findings: WireFinding[];
}

export class ScanState implements AgentSink {
  private document: FindingsDocument = { causes: [], findings: [] };
  private hasScanned = false;
  private stopping = false;

  scanned(result: ScanResult): void {
    this.hasScanned = true;
    this.document = { causes: [...result.causes], findings: result.findings.map(nodeFindingJson) };
  }

  stop(): void {
    this.stopping = true;
  }

  /** Ready once the first scan is done (the configuration is loaded by then), until the agent stops. */
  get ready(): boolean {
    return this.hasScanned && !this.stopping;
  }

  readiness(): { ready: boolean; reason: string } {
    if (this.stopping) return { ready: false, reason: 'shutting down' };
    if (!this.hasScanned) return { ready: false, reason: 'the first scan has not finished' };
    return { ready: true, reason: 'ready' };
  }

  /** GET /v1/findings and `--once`: the causes, then every finding with its key. */
  findingsDocument(): FindingsDocument {
    return this.document;
  }
}
