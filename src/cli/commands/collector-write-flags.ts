// The `mirrorscope collector` flags of what it writes back to the cluster (src/collector/kube-writes.ts):
// every write is on by default and each has its opt-out.
import { hostname } from 'node:os';
import { MirrorscopeError } from '../../core/errors.js';
import type { FlagSpec, TypedFlags } from '../../core/args.js';
import type { KubeWritesOptions } from '../../collector/kube-writes.js';
import {
  isReportApiChoice,
  REPORT_API_CHOICES,
  type ReportApiChoice,
} from '../../kube/policy-report-writes.js';

export const KUBE_WRITE_FLAGS = {
  'no-node-conditions': { type: 'boolean' },
  'no-events': { type: 'boolean' },
  'no-policy-reports': { type: 'boolean' },
  'policy-report-api': { type: 'string' },
  'node-condition-qps': { type: 'number' },
  'node-condition-heartbeat': { type: 'number' },
  'node-condition-grace': { type: 'number' },
  'event-rate': { type: 'number' },
  'kube-write-interval': { type: 'number' },
} as const satisfies Readonly<Record<string, FlagSpec>>;

type KubeWriteFlags = TypedFlags<typeof KUBE_WRITE_FLAGS>;

export const KUBE_WRITE_USAGE = `  --no-node-conditions           do not keep the ImagePullsPredicted condition on the nodes
  --node-condition-qps N         at most N nodes/status writes a second (default 10, burst 2 × N)
  --node-condition-heartbeat SECONDS  refresh an unchanged condition's lastHeartbeatTime this often
                                 (default 300; stretched so heartbeats use at most half the qps)
  --node-condition-grace SECONDS remove a node's condition once its agent is gone this long (default 900)
  --no-events                    do not write PredictedPullFailure Events on pods and nodes
  --event-rate PER_MINUTE        at most this many Event writes a minute (default 30)
  --kube-write-interval SECONDS  how often the writes above are reconciled with the report (default 10)
  --no-policy-reports            do not write policy reports (written only where the CRDs exist)
  --policy-report-api API        auto (default: wgpolicyk8s.io where served, else openreports.io),
                                 wgpolicyk8s.io or openreports.io
`;

type NumberFlag =
  | 'node-condition-qps'
  | 'node-condition-heartbeat'
  | 'node-condition-grace'
  | 'event-rate'
  | 'kube-write-interval';

function positive(flags: KubeWriteFlags, name: NumberFlag): number | undefined {
  const value = flags[name];
  if (value !== undefined && !(value > 0))
    throw new MirrorscopeError('usage', `--${name} must be a positive number`);
  return value;
}

function reportApi(flags: KubeWriteFlags): ReportApiChoice {
  const value = flags['policy-report-api'] ?? 'auto';
  if (!isReportApiChoice(value))
    throw new MirrorscopeError(
      'usage',
      `--policy-report-api must be one of ${REPORT_API_CHOICES.join(', ')}`,
    );
  return value;
}

export function kubeWritesFrom(flags: KubeWriteFlags, env: NodeJS.ProcessEnv): KubeWritesOptions {
  const qps = positive(flags, 'node-condition-qps');
  const heartbeat = positive(flags, 'node-condition-heartbeat');
  const grace = positive(flags, 'node-condition-grace');
  const eventRate = positive(flags, 'event-rate');
  const interval = positive(flags, 'kube-write-interval');
  return {
    nodeConditions: flags['no-node-conditions'] !== true,
    events: flags['no-events'] !== true,
    policyReports: flags['no-policy-reports'] !== true,
    policyReportApi: reportApi(flags),
    ...(qps === undefined ? {} : { conditionQps: qps, conditionBurst: Math.max(1, Math.ceil(qps * 2)) }),
    ...(heartbeat === undefined ? {} : { conditionHeartbeatMs: heartbeat * 1000 }),
    ...(grace === undefined ? {} : { conditionGraceMs: grace * 1000 }),
    ...(eventRate === undefined ? {} : { eventsPerMinute: eventRate }),
    ...(interval === undefined ? {} : { reconcileMs: interval * 1000 }),
    instance: env.POD_NAME || hostname(),
  };
}
