// The last line of defence before a support bundle leaves the cluster: whatever the collector and
// the agents already redact, fields that hold credentials in the formats mirrorscope reads
// (containers-auth.json, .dockercfg, Kubernetes tokens) never reach a must-gather file with a value.

const SECRET_KEYS = new Set([
  'auth',
  'password',
  'identitytoken',
  'registrytoken',
  'token',
  'bearertoken',
  'client-key-data',
  'privatekey',
  'private_key',
]);

export const REDACTED = '[redacted]';

/** A copy of `value` with the string values of credential-holding keys replaced by REDACTED. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      typeof v === 'string' && SECRET_KEYS.has(k.toLowerCase()) && v !== '' ? REDACTED : redactSecrets(v),
    ]),
  );
}
