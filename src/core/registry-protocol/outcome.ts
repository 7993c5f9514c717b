// The stable outcome codes of a trace, and how registry answers and transport failures map to them.
import type { AuthChallenge } from './challenge.js';
import { describeErrors, type RegistryErrorItem } from './error-body.js';

export type SourceOutcome =
  | 'found'
  | 'manifest-unknown'
  | 'unauthorized'
  | 'denied'
  | 'tls-untrusted'
  | 'unreachable'
  | 'timeout'
  | 'blocked'
  | 'skipped-digest-only'
  | 'skipped-tag-only'
  /** The manifest was served but a blob of the image is missing: the pull fails, no fallback. */
  | 'blob-missing'
  | 'error';

export interface Classified {
  readonly outcome: SourceOutcome;
  readonly reason: string;
}

const TLS_TRUST_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
]);

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
  'EADDRNOTAVAIL',
]);

/** A certificate the client does not trust (as opposed to a connection or protocol failure). */
export function isTlsTrustFailure(code: string): boolean {
  return TLS_TRUST_CODES.has(code);
}

export interface TransportFailure {
  /** Node's error `code` (e.g. ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT) or our own (TIMEOUT, …). */
  readonly code: string;
  readonly message: string;
}

/** A transport failure (no HTTP answer) of the ping or a request. */
export function classifyTransport(
  failure: TransportFailure,
  context: { host: string; caFiles: readonly string[] },
): Classified {
  const { code, message } = failure;
  if (code === 'TIMEOUT') return { outcome: 'timeout', reason: message };
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    // A trusted CA, the wrong name: adding a CA would not help (Go: "certificate is valid for …, not …").
    return {
      outcome: 'tls-untrusted',
      reason: `x509: the certificate is not valid for ${context.host}: ${message} (${code})`,
    };
  }
  if (TLS_TRUST_CODES.has(code)) {
    const where =
      context.caFiles.length === 0
        ? `no CA in certs.d for ${context.host}`
        : `CAs tried: ${context.caFiles.join(', ')}`;
    return {
      outcome: 'tls-untrusted',
      reason: `x509: ${message} (${code}); ${where}: the CA that signed ${context.host}'s certificate is missing`,
    };
  }
  if (UNREACHABLE_CODES.has(code)) return { outcome: 'unreachable', reason: message };
  return { outcome: 'error', reason: message };
}

/** The manifest answer. `credentialsFound` only changes the explanation. */
export function classifyManifestStatus(input: {
  readonly status: number;
  readonly challenges: readonly AuthChallenge[];
  readonly errors: readonly RegistryErrorItem[];
  readonly credentialsFound: boolean;
  readonly reference: string;
}): Classified {
  const { status, errors } = input;
  const detail = errors.length > 0 ? `: ${describeErrors(errors)}` : '';
  if (status === 200) return { outcome: 'found', reason: 'manifest found' };
  if (status === 404)
    return {
      outcome: 'manifest-unknown',
      reason: `manifest unknown: ${input.reference} is not in this registry (HTTP 404${detail})`,
    };
  if (status === 401) {
    const insufficient = input.challenges.some(
      (c) => c.scheme === 'bearer' && c.params.error === 'insufficient_scope',
    );
    if (insufficient) {
      return {
        outcome: 'denied',
        reason: `denied: requested access to the resource is denied (token lacks ${input.challenges.find((c) => c.params.scope)?.params.scope ?? 'the pull scope'})`,
      };
    }
    return {
      outcome: 'unauthorized',
      reason: input.credentialsFound
        ? `unauthorized: the registry rejected the credentials that were found (HTTP 401${detail})`
        : `unauthorized: authentication required and no credentials were found (HTTP 401${detail})`,
    };
  }
  if (status === 403) return { outcome: 'denied', reason: `denied: HTTP 403${detail}` };
  if (status === 429) return { outcome: 'error', reason: `too many requests (HTTP 429)${detail}` };
  return { outcome: 'error', reason: `unexpected HTTP status ${status}${detail}` };
}

/** Whether CRI-O would pull from a source with this outcome. */
export function isPulled(outcome: SourceOutcome): boolean {
  return outcome === 'found';
}
