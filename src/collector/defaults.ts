// The collector's defaults, written once: startCollector applies them, `mirrorscope collector --help`
// prints them.
export const COLLECTOR_DEFAULTS = {
  listen: '127.0.0.1:8080',
  heartbeatIntervalMs: 30_000,
  /** An agent quiet for this many heartbeat intervals is agent-silent. */
  silentAfterHeartbeats: 3,
  configMapIntervalMs: 30_000,
  traceTimeoutMs: 30_000,
  agentServiceAccount: 'mirrorscope-agent',
  namespace: 'mirrorscope',
} as const;
