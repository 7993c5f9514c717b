// The MCO's `updatePolicyJSON`: allowedRegistries / blockedRegistries → /etc/containers/policy.json,
// starting from the pool's template policy, encoded as Go's encoding/json does (map keys sorted).
import { goJsonString, goQuote } from './go-format.js';
import { isValidRegistriesConfScope } from './scopes.js';
import { ScopePolicyError, validateAgainstAllowedBlocked } from './sigstore-render.js';
import type { PolicyDocument, PolicyRequirement } from './types.js';

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

/** `templates/*\/01-*-container-runtime/_base/files/policy.yaml`, as decoded by signature.Policy. */
export const MCO_TEMPLATE_POLICY: PolicyDocument = {
  default: [{ type: 'insecureAcceptAnything' }],
  transports: { 'docker-daemon': { '': [{ type: 'insecureAcceptAnything' }] } },
};

const REJECT: PolicyRequirement = { type: 'reject' };
const ACCEPT: PolicyRequirement = { type: 'insecureAcceptAnything' };

export interface PolicyInput {
  readonly blocked: readonly string[] | null;
  readonly allowed: readonly string[] | null;
  /** `Name()` of the release payload; null when no release image is known. */
  readonly payloadRepo: string | null;
  readonly legacy: boolean;
  /** ClusterImagePolicy scopes → their sigstoreSigned requirements (empty: none). */
  readonly clusterScopes?: ReadonlyMap<string, readonly PolicyRequirement[]>;
}

function byKey<T>(entries: Iterable<[string, T]>): Record<string, T> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Returns null when the MCO keeps the template file (neither list set). */
export function updatePolicyJson(template: PolicyDocument, input: PolicyInput): PolicyDocument | null {
  const blocked = input.blocked ?? [];
  const allowed = input.allowed ?? [];
  if (allowed.length !== 0 && blocked.length !== 0) {
    // The payload repository alone in the allow list is the MCO's own exception, not the user's.
    if (!(allowed.length === 1 && input.payloadRepo !== null && allowed[0] === input.payloadRepo)) {
      throw new PolicyError(
        'invalid images config: only one of AllowedRegistries or BlockedRegistries may be specified',
      );
    }
  }
  const clusterScopes = input.clusterScopes ?? new Map<string, readonly PolicyRequirement[]>();
  try {
    validateAgainstAllowedBlocked(clusterScopes.keys(), 'clusterimagePolicy', allowed, blocked);
  } catch (err) {
    if (err instanceof ScopePolicyError) throw new PolicyError(err.message);
    throw err;
  }
  if (input.allowed === null && input.blocked === null && clusterScopes.size === 0) return null;
  for (const scope of blocked)
    if (!isValidRegistriesConfScope(scope))
      throw new PolicyError(`invalid entry for blocked registries ${goQuote(scope)}`);
  for (const scope of allowed)
    if (!isValidRegistriesConfScope(scope))
      throw new PolicyError(`invalid entry for allowed registries ${goQuote(scope)}`);

  let defaultReqs = template.default;
  const scopes = new Map<string, readonly PolicyRequirement[]>();
  if (allowed.length > 0) {
    defaultReqs = [REJECT];
    // A registry a ClusterImagePolicy covers gets only the policy's requirement.
    for (const reg of allowed) if (!clusterScopes.has(reg)) scopes.set(reg, [ACCEPT]);
  }
  if (blocked.length > 0) {
    defaultReqs = [ACCEPT];
    for (const reg of blocked) scopes.set(reg, [REJECT]);
  }
  for (const [scope, reqs] of clusterScopes) scopes.set(scope, [...(scopes.get(scope) ?? []), ...reqs]);
  const transports = new Map(Object.entries(template.transports));
  if (input.legacy) {
    transports.set('docker', byKey(scopes));
    transports.set('atomic', byKey(scopes));
  } else if (scopes.size > 0) {
    transports.set('docker', byKey(scopes));
    // The atomic transport cannot express scopes with three or more `/`-separated segments.
    transports.set('atomic', byKey([...scopes].filter(([reg]) => reg.split('/').length - 1 < 3)));
  }
  return { default: defaultReqs, transports: byKey(transports) };
}

/** A requirement's fields as encoding/json writes a Go struct: in field order, nested objects alike. */
function valueJson(value: unknown, indent: string | null, level: number): string {
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const entries = Object.entries(value).map(([k, v]): [string, string] => [
      k,
      valueJson(v, indent, level + 1),
    ]);
    return objectJson(entries, indent, level);
  }
  return JSON.stringify(value);
}

function requirementsJson(reqs: readonly PolicyRequirement[], indent: string | null, level: number): string {
  if (reqs.length === 0) return '[]';
  const items = reqs.map((r) => valueJson(r, indent, level + 1));
  if (indent === null) return `[${items.join(',')}]`;
  const pad = indent.repeat(level + 1);
  return `[\n${items.map((i) => pad + i).join(',\n')}\n${indent.repeat(level)}]`;
}

function objectJson(entries: readonly [string, string][], indent: string | null, level: number): string {
  if (entries.length === 0) return '{}';
  if (indent === null) return `{${entries.map(([k, v]) => `${goJsonString(k)}:${v}`).join(',')}}`;
  const pad = indent.repeat(level + 1);
  return `{\n${entries.map(([k, v]) => `${pad}${goJsonString(k)}: ${v}`).join(',\n')}\n${indent.repeat(level)}}`;
}

/** `json.Marshal` (legacy, compact) or `json.MarshalIndent(v, "", "  ")`; maps in sorted key order. */
export function encodePolicyJson(policy: PolicyDocument, indented: boolean): string {
  const indent = indented ? '  ' : null;
  const transportEntries = Object.entries(policy.transports)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, scopes]): [string, string] => {
      const scopeEntries = Object.entries(scopes)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([scope, reqs]): [string, string] => [scope, requirementsJson(reqs, indent, 3)]);
      return [name, objectJson(scopeEntries, indent, 2)];
    });
  return objectJson(
    [
      ['default', requirementsJson(policy.default, indent, 1)],
      ['transports', objectJson(transportEntries, indent, 1)],
    ],
    indent,
    0,
  );
}
