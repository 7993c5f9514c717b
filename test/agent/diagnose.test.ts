// The pure diagnosis of mirror problems: static findings from the resolver's answer, and what a
// trace's source outcomes mean.
import { describe, expect, it } from 'vitest';
import { mismatchedAuthKey } from '../../src/core/diagnose/auth-key-mismatch.js';
import { findingKey, keyed, mergeFindings, splitLocation } from '../../src/core/diagnose/finding-key.js';
import { diagnoseProbe, digestMismatchFindings } from '../../src/core/diagnose/probe-findings.js';
import { staticMirrorFindings } from '../../src/core/diagnose/static-mirror-findings.js';
import type { ProbedImage, ProbedSource } from '../../src/core/diagnose/types.js';
import { CATALOGUE } from '../../src/core/findings/catalogue.js';
import { assembleRegistriesConfig } from '../../src/core/registries/assemble.js';
import { Resolver } from '../../src/core/resolve/resolver.js';

const MAIN = '/etc/containers/registries.conf';
const DIGEST = `sha256:${'c'.repeat(64)}`;

function resolver(text: string): Resolver {
  return new Resolver(assembleRegistriesConfig({ main: { path: MAIN, text }, dropIns: [] }));
}

function staticFor(text: string, image: string) {
  const r = resolver(text);
  return staticMirrorFindings(r.resolve(image), r.config);
}

describe('static mirror findings', () => {
  const digestOnly = `
[[registry]]
prefix = "quay.io/acme"
location = "quay.io/acme"
mirror-by-digest-only = true
[[registry.mirror]]
location = "mirror.corp:5000/acme"
`;

  it('tag-pull-bypasses-mirrors: a tag pull with digest-only mirrors goes to the source', () => {
    const findings = staticFor(digestOnly, 'quay.io/acme/app:1.0');
    expect(findings.map((f) => f.id)).toEqual(['tag-pull-bypasses-mirrors']);
    expect(findings[0]).toMatchObject({
      key: 'tag-pull-bypasses-mirrors|quay.io/acme|quay.io/acme/app:1.0',
      file: MAIN,
      line: 5,
      image: 'quay.io/acme/app:1.0',
    });
    expect(findings[0]!.message).toContain('mirror.corp:5000/acme');
    expect(staticFor(digestOnly, `quay.io/acme/app@${DIGEST}`)).toEqual([]);
  });

  it('pull-from-mirror = "digest-only" counts too, and a blocked source makes the pull fail', () => {
    const conf = `
[[registry]]
prefix = "quay.io/acme"
location = "quay.io/acme"
blocked = true
[[registry.mirror]]
location = "mirror.corp:5000/acme"
pull-from-mirror = "digest-only"
`;
    const ids = staticFor(conf, 'quay.io/acme/app:1.0').map((f) => [f.id, f.severity]);
    expect(ids).toEqual([
      ['tag-pull-bypasses-mirrors', 'warning'],
      ['source-blocked-no-working-mirror', 'error'],
    ]);
  });

  it('a tag-only or all mirror is tried: no finding', () => {
    const conf = `
[[registry]]
prefix = "quay.io/acme"
location = "quay.io/acme"
[[registry.mirror]]
location = "mirror.corp:5000/acme"
pull-from-mirror = "tag-only"
`;
    expect(staticFor(conf, 'quay.io/acme/app:1.0')).toEqual([]);
  });

  it('mirror-shadowed: a more specific entry without mirrors wins over one with mirrors', () => {
    const conf = `
[[registry]]
prefix = "docker.io"
location = "docker.io"
[[registry.mirror]]
location = "mirror.corp:5000/dockerhub"

[[registry]]
prefix = "docker.io/library"
location = "docker.io/library"
insecure = true
`;
    const findings = staticFor(conf, 'docker.io/library/nginx:1.27');
    expect(findings.map((f) => f.id)).toEqual(['mirror-shadowed']);
    expect(findings[0]).toMatchObject({ key: 'mirror-shadowed|docker.io/library|docker.io', line: 8 });
    expect(findings[0]!.message).toContain('mirror.corp:5000/dockerhub');
    // The broader entry itself is not shadowed.
    expect(staticFor(conf, 'docker.io/acme/app:1')).toEqual([]);
  });
});

function source(over: Partial<ProbedSource>): ProbedSource {
  return {
    reference: 'mirror.corp:5000/acme/app:1.0',
    image: 'quay.io/acme/app:1.0',
    mirror: true,
    host: 'mirror.corp:5000',
    insecure: false,
    outcome: 'found',
    reason: '',
    digest: null,
    credentials: null,
    configuredAt: `${MAIN}:4`,
    reachedByCrio: true,
    stale: null,
    ...over,
  };
}

function probe(sources: ProbedSource[], pulled: boolean, extra: Partial<ProbedImage> = {}): ProbedImage {
  return {
    image: 'quay.io/acme/app:1.0',
    sources,
    result: {
      outcome: pulled ? 'pulled' : 'failed',
      source: null,
      digest: null,
      reason: 'the last source failed',
      signature: null,
    },
    error: null,
    ...extra,
  };
}

const ctx = { authKeys: ['mirror.corp', 'quay.io'], authFile: '/var/lib/kubelet/config.json' };
const primary = (over: Partial<ProbedSource> = {}) =>
  source({
    reference: 'quay.io/acme/app:1.0',
    mirror: false,
    host: 'quay.io',
    configuredAt: `${MAIN}:2`,
    ...over,
  });

describe('probe findings', () => {
  it.each([
    ['unreachable', 'dial tcp: connection refused', 'mirror-unreachable'],
    ['timeout', 'no answer within 10000 ms', 'mirror-unreachable'],
    ['tls-untrusted', 'x509: certificate signed by unknown authority', 'mirror-tls-untrusted'],
    ['manifest-unknown', 'manifest unknown', 'mirror-manifest-missing'],
    ['error', 'http: server gave HTTP response to HTTPS client', 'mirror-http-not-insecure'],
    ['error', `manifest digest sha256:aa does not match the requested ${DIGEST}`, 'mirror-digest-mismatch'],
  ])(
    'a mirror answering %s (%s) → %s; a warning while the source still serves the image',
    (outcome, reason, id) => {
      const { findings, explaining } = diagnoseProbe(
        probe([source({ outcome, reason }), primary()], true),
        ctx,
      );
      expect(findings.map((f) => [f.id, f.severity])).toEqual([[id, 'warning']]);
      expect(findings[0]).toMatchObject({ host: 'mirror.corp:5000', file: MAIN, line: 4 });
      expect(explaining).toEqual([]);
    },
  );

  it('auth: missing, key without the port, rejected', () => {
    const unauthorized = source({ outcome: 'unauthorized', reason: 'unauthorized: authentication required' });
    expect(
      diagnoseProbe(probe([unauthorized, primary()], true), { ...ctx, authKeys: ['quay.io'] }).findings[0]!
        .id,
    ).toBe('mirror-auth-missing');
    const mismatch = diagnoseProbe(probe([unauthorized, primary()], true), ctx).findings[0]!;
    expect(mismatch.id).toBe('mirror-auth-key-mismatch');
    expect(mismatch.message).toContain('"mirror.corp"');
    const rejected = source({
      outcome: 'denied',
      reason: 'denied',
      credentials: { file: ctx.authFile, key: 'mirror.corp:5000' },
    });
    expect(diagnoseProbe(probe([rejected, primary()], true), ctx).findings[0]!.id).toBe(
      'mirror-auth-rejected',
    );
  });

  it('a failed pull: mirror findings keep their one severity and explain it; a blocked source says so', () => {
    const sources = [
      source({ outcome: 'manifest-unknown', reason: 'manifest unknown' }),
      primary({ outcome: 'blocked', reason: `registry quay.io/acme is blocked in ${MAIN}:2` }),
    ];
    const { findings, explaining } = diagnoseProbe(probe(sources, false), ctx);
    expect(findings.map((f) => [f.id, f.severity])).toEqual([
      ['mirror-manifest-missing', 'warning'],
      ['source-blocked-no-working-mirror', 'error'],
    ]);
    expect(findings[1]!.key).toBe('source-blocked-no-working-mirror|quay.io/acme|quay.io/acme/app:1.0');
    expect(explaining).toEqual(findings.map((f) => f.key));
  });

  it('a failed pull nothing else explains is image-pull-fails; sources CRI-O does not reach are ignored', () => {
    const sources = [
      primary({ outcome: 'manifest-unknown', reason: 'manifest unknown' }),
      source({ outcome: 'unreachable', reachedByCrio: false }),
    ];
    const { findings, explaining } = diagnoseProbe(probe(sources, false), ctx);
    expect(findings.map((f) => f.id)).toEqual(['image-pull-fails']);
    expect(explaining).toEqual([findingKey('image-pull-fails', null, 'quay.io/acme/app:1.0')]);
  });

  it('a stale mirror tag and signature findings', () => {
    const stale = source({
      stale: {
        stale: true,
        reason: 'stale mirror: mirror.corp:5000/acme/app:1.0 serves sha256:a but the source has sha256:b',
      },
    });
    const signature = {
      findings: [
        {
          id: 'mirror-signature-missing',
          severity: 'error',
          message: 'no signature',
          file: '/etc/containers/registries.d/x.yaml',
          line: 3,
          scope: 'mirror.corp:5000/acme',
          fix: 'publish it',
        },
      ],
    };
    const { findings } = diagnoseProbe(
      probe([stale], false, {
        result: { outcome: 'failed', source: null, digest: null, reason: 'signature', signature },
      }),
      ctx,
    );
    expect(findings.map((f) => f.id)).toEqual([
      'mirror-stale-tag',
      'mirror-signature-missing',
      'image-pull-fails',
    ]);
    expect(findings[0]!.message).toMatch(/^stale mirror: .*\.$/);
    expect(findings[1]!.image).toBe('quay.io/acme/app:1.0');
  });
});

describe('digest not preserved', () => {
  it('a mirror without the digest that serves the tag under another digest', () => {
    const wanted = DIGEST;
    const byDigest = probe(
      [
        source({
          reference: `mirror.corp:5000/acme/app@${wanted}`,
          outcome: 'manifest-unknown',
          reason: 'manifest unknown',
        }),
        primary({ reference: `quay.io/acme/app@${wanted}` }),
      ],
      true,
    );
    const byTag = (digest: string) => probe([source({ outcome: 'found', digest })], true);
    const [f] = digestMismatchFindings(byDigest, byTag(`sha256:${'d'.repeat(64)}`), wanted);
    expect(f).toMatchObject({
      id: 'mirror-digest-mismatch',
      severity: 'warning',
      key: `mirror-digest-mismatch|mirror.corp:5000|mirror.corp:5000/acme/app@${wanted}`,
    });
    expect(f!.message).toContain(`serves mirror.corp:5000/acme/app:1.0 as sha256:${'d'.repeat(64)}`);
    // The tag has the wanted digest: the mirror is just missing the manifest, nothing more to say.
    expect(digestMismatchFindings(byDigest, byTag(wanted), wanted)).toEqual([]);
  });
});

describe('keys and merging', () => {
  it('keys are id|scope|subject; merging keeps one per key with the highest severity', () => {
    const a = keyed({
      id: 'mirror-unreachable',
      message: 'm',
      location: `${MAIN}:3`,
      scope: 'h:1',
      subject: 'h:1',
    });
    const b = { ...a, severity: 'error' as const };
    expect(a.key).toBe('mirror-unreachable|h:1|h:1');
    expect(mergeFindings([a, b])).toEqual([b]);
    expect(splitLocation('/a/b.conf:12')).toEqual({ file: '/a/b.conf', line: 12 });
    expect(splitLocation('/a/b.conf')).toEqual({ file: '/a/b.conf', line: null });
  });

  it('every id of the issue is in the catalogue', () => {
    for (const id of [
      'mirror-unreachable',
      'mirror-manifest-missing',
      'mirror-digest-mismatch',
      'mirror-auth-missing',
      'mirror-auth-key-mismatch',
      'mirror-tls-untrusted',
      'mirror-http-not-insecure',
      'mirror-stale-tag',
      'tag-pull-bypasses-mirrors',
      'mirror-shadowed',
      'source-blocked-no-working-mirror',
    ])
      expect(CATALOGUE).toHaveProperty(id);
  });
});

describe('auth key mismatch', () => {
  it('names the key that is for the same machine but never looked up', () => {
    expect(mismatchedAuthKey('mirror.corp:5000/acme/app', ['quay.io', 'mirror.corp'])).toBe('mirror.corp');
    expect(mismatchedAuthKey('mirror.corp:5000/acme/app', ['mirror.corp:5000/team-b', 'mirror.corp'])).toBe(
      'mirror.corp:5000/team-b',
    );
    expect(mismatchedAuthKey('mirror.corp/acme/app', ['https://mirror.corp:443/v1/'])).toBe(
      'https://mirror.corp:443/v1/',
    );
    expect(mismatchedAuthKey('mirror.corp:5000/acme/app', ['quay.io', 'other.corp:5000'])).toBeNull();
  });
});
