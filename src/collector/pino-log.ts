// The collector's log: pino JSON lines on stdout, for `oc logs`. Tokens never reach a log call;
// the usual secret-bearing fields are redacted in case one slips through.
import { pino } from 'pino';
import type { Log } from './log.js';

export function pinoLog(level: string, version: string): Log {
  const logger = pino(
    {
      level,
      base: { component: 'collector', version },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['authorization', '*.authorization', 'token', '*.token'], censor: '[REDACTED]' },
    },
    pino.destination({ fd: 1, sync: true }),
  );
  return {
    debug: (m) => logger.debug(m),
    info: (m) => logger.info(m),
    warn: (m) => logger.warn(m),
    error: (m) => logger.error(m),
  };
}
