// The agent's log: pino JSON lines on stdout, for `oc logs`. Base bindings name the node; finding
// lines carry `code` (the finding id). Messages are sentences. Nothing secret is ever passed in, and
// the usual secret-bearing fields are redacted in case one slips through.
import { pino, type Logger } from 'pino';
import type { KeyedFinding } from '../core/diagnose/types.js';
import type { Severity } from '../core/findings/types.js';

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

function fields(f: KeyedFinding): Record<string, unknown> {
  return {
    code: f.id,
    key: f.key,
    severity: f.severity,
    scope: f.scope,
    image: f.image,
    host: f.host,
    file: f.file,
    line: f.line,
    fix: f.fix,
  };
}

export function logFindingAppeared(log: AgentLogger, f: KeyedFinding): void {
  log[LEVEL[f.severity]](
    { ...fields(f), event: 'finding-appeared' },
    `${f.severity === 'info' ? 'Note' : f.severity === 'error' ? 'Problem' : 'Warning'} (${f.id}): ${f.message}`,
  );
}

export function logFindingCleared(log: AgentLogger, f: KeyedFinding): void {
  log.info({ ...fields(f), event: 'finding-cleared' }, `Resolved (${f.id}): no longer seen: ${f.message}`);
}
