// The agent's Prometheus metrics as a sink: configuration generations, probes, scans, readiness.
import type { AgentMetrics } from './metrics.js';
import type { AgentSink, ConfigLoaded, ScanResult } from './sinks.js';

export class MetricsSink implements AgentSink {
  constructor(private readonly metrics: AgentMetrics) {}

  configLoaded({ generation, previous }: ConfigLoaded): void {
    this.metrics.config(generation, previous !== null);
  }

  probed(host: string, seconds: number, outcome: string): void {
    this.metrics.probe(host, seconds, outcome);
  }

  scanned({ output, causes, count }: ScanResult): void {
    this.metrics.scanned(output, causes);
    if (count === 1) this.metrics.setReady(true);
  }

  stop(): void {
    this.metrics.setReady(false);
  }
}
