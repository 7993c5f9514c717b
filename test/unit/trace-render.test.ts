// The human trace's last lines: where the policy requires the signature, which store was read, and
// every source's outcome when the pull fails.
import { describe, expect, it } from 'vitest';
import { renderTrace } from '../../src/trace/render.js';
import type { TraceResult } from '../../src/trace/types.js';

const plain = {
  strong: (s: string) => s,
  dim: (s: string) => s,
  warn: (s: string) => s,
  bad: (s: string) => s,
  good: (s: string) => s,
};

const source = (reference: string, outcome: string, reason: string, mirror = true) => ({
  reference,
  image: 'quay.io/acme/app:1',
  mirror,
  host: reference.split('/')[0],
  insecure: false,
  outcome,
  reason,
  status: null,
  digest: null,
  mediaType: null,
  credentials: null,
  certsDir: null,
  durationMs: 1,
  configuredAt: null,
  reachedByCrio: true,
  stale: null,
});

describe('renderTrace', () => {
  it('a signature failure names the policy file:line that requires it and the store URL read', () => {
    const result = {
      image: 'quay.io/acme/app:1',
      steps: [],
      sources: [source('mirror.corp.example:5000/acme/app:1', 'found', '')],
      result: {
        outcome: 'failed',
        source: null,
        digest: null,
        reason: 'A signature was required, but no signature exists',
        signature: {
          required: true,
          outcome: 'missing',
          reason: 'A signature was required, but no signature exists',
          policy: { file: '/etc/containers/policy.json', scope: 'quay.io/acme', line: 9 },
          store: {
            kind: 'lookaside',
            url: 'https://sigs.corp.example/acme',
            scope: 'mirror.corp.example:5000',
            file: '/etc/containers/registries.d/acme.yaml',
            line: 3,
            local: false,
            sigstoreAttachments: false,
          },
        },
      },
      error: null,
    } as unknown as TraceResult;
    const lines = renderTrace(result, plain).split('\n');
    expect(lines.slice(-3)).toEqual([
      '  signature required by /etc/containers/policy.json:9 (scope "quay.io/acme")',
      '  signature store read: https://sigs.corp.example/acme (from /etc/containers/registries.d/acme.yaml:3)',
      'FAILED: A signature was required, but no signature exists',
    ]);
  });

  it('a failed pull ends with every source outcome, mirrors first', () => {
    const result = {
      image: 'quay.io/acme/app:1',
      steps: [],
      sources: [
        source('m1.example:5000/acme/app:1', 'unreachable', 'getaddrinfo ENOTFOUND m1.example'),
        source('m2.example/acme/app:1', 'manifest-unknown', 'manifest unknown'),
        source('quay.io/acme/app:1', 'unauthorized', 'authentication required', false),
      ],
      result: {
        outcome: 'failed',
        source: null,
        digest: null,
        reason: 'authentication required',
        signature: null,
      },
      error: null,
    } as unknown as TraceResult;
    expect(renderTrace(result, plain).split('\n').at(-1)).toBe(
      'FAILED: (Mirrors also failed: [m1.example:5000/acme/app:1: getaddrinfo ENOTFOUND m1.example] [m2.example/acme/app:1: manifest unknown]): quay.io/acme/app:1: authentication required',
    );
  });
});
