// A network or TLS finding tries only the error-text patterns that can make it more precise: the
// answer is the one of trying them all (the first pattern that matches decides), for texts made of
// every pattern's words in every order.
import { describe, expect, it } from 'vitest';
import { causeKindOf, kindOfErrorText } from '../../src/core/causes/finding-kinds.js';
import type { CauseKind } from '../../src/core/causes/kinds.js';
import { prng } from '../support/mutate.js';

const WORDS = [
  'no such host',
  'connection refused',
  'i/o timeout',
  'certificate has expired',
  'x509: certificate signed by unknown authority',
  'server gave HTTP response to HTTPS client',
  'toomanyrequests',
  'A signature was required, but no signature exists',
  'is rejected by policy',
  'unauthorized',
  'manifest unknown',
  'is blocked',
  'dial tcp 10.0.0.1:5000',
  'something else',
];

const NETWORK = new Set<CauseKind>(['dns-failure', 'connection-refused', 'timeout', 'host-unreachable']);
const TLS = new Set<CauseKind>(['tls-ca-missing', 'tls-certificate-invalid']);

/** What every pattern tried in order says, kept within the finding's family. */
function byEveryPattern(base: CauseKind, family: ReadonlySet<CauseKind>, text: string): CauseKind {
  const precise = kindOfErrorText(text);
  return precise !== null && family.has(precise) ? precise : base;
}

describe('cause kind from an error text', () => {
  it('is the answer of every pattern for network and TLS findings', () => {
    const r = prng(7);
    for (let n = 0; n < 2000; n++) {
      const text = Array.from(
        { length: 1 + Math.floor(r() * 3) },
        () => WORDS[Math.floor(r() * WORDS.length)]!,
      ).join(': ');
      expect(causeKindOf({ id: 'mirror-unreachable', message: text }), text).toBe(
        byEveryPattern('host-unreachable', NETWORK, text),
      );
      expect(causeKindOf({ id: 'mirror-tls-untrusted', message: text }), text).toBe(
        byEveryPattern('tls-ca-missing', TLS, text),
      );
    }
  });
});
