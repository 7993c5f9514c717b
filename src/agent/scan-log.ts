// The agent's log as a sink: a line for each configuration load, each unexpected check failure, each
// finding that appears, goes stale or clears, and one summary line per scan.
import { causeIdByFinding } from '../core/causes/of-scan.js';
import { logFindingAppeared, logFindingCleared, logFindingUnchecked, type AgentLogger } from './log.js';
import type { AgentSink, ConfigLoaded, ScanResult } from './sinks.js';

export class ScanLog implements AgentSink {
  constructor(private readonly log: AgentLogger) {}

  configLoaded({ config, generation, previous, changedFiles }: ConfigLoaded): void {
    const bindings = {
      event: previous === null ? 'config-loaded' : 'config-changed',
      configHash: config.files.hash,
      generation,
      files: changedFiles.length > 0 ? changedFiles : undefined,
    };
    const hash = config.files.hash.slice(7, 19);
    const errorText = config.loadError ? `; it cannot be used: ${config.loadError.message}` : '';
    if (previous === null)
      this.log.info(
        bindings,
        `Loaded the host configuration from ${config.root.root} (${config.files.files.length} files, hash ${hash})${errorText}.`,
      );
    else
      this.log.info(
        bindings,
        `The host configuration changed (${changedFiles.join(', ') || 'content'}); generation ${generation}, hash ${hash}${errorText}.`,
      );
  }

  scanned({ reason, count, output: out, change, causes, configHash }: ScanResult): void {
    const causeOf = causeIdByFinding(causes);
    for (const e of out.errors)
      this.log.error(
        { event: 'check-failed', image: e.image, err: { message: e.message } },
        `Checking ${e.image} failed unexpectedly: ${e.message}.`,
      );
    for (const f of change.added) logFindingAppeared(this.log, f, causeOf.get(f.key) ?? null);
    for (const f of change.unchecked) logFindingUnchecked(this.log, f, causeOf.get(f.key) ?? null);
    // A cleared finding has no cause any more; the log names the cause kind it belonged to.
    for (const f of change.cleared) logFindingCleared(this.log, f);
    const pullable = out.images.filter((i) => i.pullable).length;
    const bySeverity = { error: 0, warning: 0, info: 0 };
    for (const f of out.findings) bySeverity[f.severity]++;
    this.log.info(
      {
        event: 'scan',
        reason,
        scan: count,
        durationMs: out.durationMs,
        cpuMs: out.cpuMs,
        images: out.images.length,
        pullable,
        probes: out.probes,
        findings: bySeverity,
        added: change.added.length,
        cleared: change.cleared.length,
        configHash,
      },
      `Scan ${count} (${reason}) checked ${out.images.length} image(s) in ${out.durationMs} ms: ${pullable} pullable, ${bySeverity.error} error(s), ${bySeverity.warning} warning(s), ${bySeverity.info} note(s); ${out.probes} probe(s) sent, ${change.added.length} finding(s) new, ${change.cleared.length} cleared.`,
    );
  }
}
