// The agent's log: pino JSON lines on stdout, for `oc logs`. Base bindings name the node; finding
// lines carry `code` (the finding id). Messages are sentences. Nothing secret is ever passed in, and
// the usual secret-bearing fields are redacted in case one slips through.
import { pino, type Logger } from 'pino';
import { nodeFindingJson, type NodeFinding, type Severity } from '../core/findings/types.js';

export type AgentLogger = Logger;

export function createLogger(options: {
  node: string;
  pod: string | null;
  level: string;
  version: string;
}): AgentLogger {
  return pino(
    {
      level: options.level,
      base: {
        node: options.node,
        ...(options.pod ? { pod: options.pod } : {}),
        component: 'agent',
        version: options.version,
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'authorization',
          '*.authorization',
          'headers.authorization',
          'token',
          '*.token',
          'password',
          '*.password',
          'auth',
          '*.auth',
        ],
        censor: '[REDACTED]',
      },
    },
    pino.destination({ fd: 1, sync: false }),
  );
}

const LEVEL: Record<Severity, 'error' | 'warn' | 'info'> = { error: 'error', warning: 'warn', info: 'info' };

/** Every field of the finding as a log field; the id as `code`, the message is the log line's text. */
function fields(f: NodeFinding, cause: string | null): Record<string, unknown> {
  const { id, message: _message, ...rest } = nodeFindingJson(f);
  return { code: id, cause, ...rest };
}

/** `cause` is the id of the cause the finding belongs to (`dns-failure:mirror.corp.example`). */
export function logFindingAppeared(log: AgentLogger, f: NodeFinding, cause: string | null): void {
  log[LEVEL[f.severity]](
    { ...fields(f, cause), event: 'finding-appeared' },
    `${f.severity === 'info' ? 'Note' : f.severity === 'error' ? 'Problem' : 'Warning'} (${f.id}${cause === null ? '' : `, cause ${cause}`}): ${f.message}`,
  );
}

/** Only for a finding whose check ran and no longer finds it. */
export function logFindingCleared(log: AgentLogger, f: NodeFinding): void {
  log.info(
    { ...fields(f, null), event: 'finding-cleared' },
    `Resolved (${f.id}): no longer seen: ${f.message}`,
  );
}

/** A finding kept from an earlier scan because the check that found it could not run this time. */
export function logFindingUnchecked(log: AgentLogger, f: NodeFinding, cause: string | null): void {
  log.warn(
    { ...fields(f, cause), event: 'finding-unchecked' },
    `Not checked (${f.id}): still reported from an earlier scan, because ${f.stale}: ${f.message}`,
  );
}
