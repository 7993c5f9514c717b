// The cause model: every finding id has one cause kind; findings group along the causal chain; causes
// are ordered by impact.
import { describe, expect, it } from 'vitest';
import { causesOf } from '../../src/core/causes/build-causes.js';
import { causeKindOf, FINDING_CAUSE_KINDS } from '../../src/core/causes/finding-kinds.js';
import { CAUSE_KINDS } from '../../src/core/causes/kinds.js';
import type { CauseFinding, ImageFailure } from '../../src/core/causes/types.js';
import { keyed } from '../../src/core/diagnose/finding-key.js';
import { CATALOGUE } from '../../src/core/findings/catalogue.js';

const NODES = ['w1', 'w2', 'w3'];

describe('cause kinds', () => {
  it('every finding id of the catalogue maps to exactly one cause kind, and nothing else is mapped', () => {
    const ids = Object.keys(CATALOGUE).sort();
    const unmapped = ids.filter((id) => !Object.hasOwn(FINDING_CAUSE_KINDS, id));
    expect(unmapped, 'add these finding ids to src/core/causes/finding-kinds.ts').toEqual([]);
    const unknown = Object.keys(FINDING_CAUSE_KINDS).filter((id) => !Object.hasOwn(CATALOGUE, id));
    expect(unknown, 'mapped ids that are not in the finding catalogue').toEqual([]);
    for (const kind of Object.values(FINDING_CAUSE_KINDS))
      expect(Object.hasOwn(CAUSE_KINDS, kind)).toBe(true);
  });

  it('has at least the kinds issue 14 names', () => {
    for (const kind of [
      'dns-failure',
      'connection-refused',
      'timeout',
      'tls-ca-missing',
      'tls-certificate-invalid',
      'credentials-missing',
      'credentials-rejected',
      'auth-key-host-mismatch',
      'mirror-lacks-image',
      'stale-mirror',
      'tag-pull-skips-digest-only-mirrors',
      'source-blocked-no-mirror',
      'signature-storage-local-only',
      'signature-missing',
      'signature-invalid',
      'config-invalid',
      'config-typo',
      'config-drift',
      'rollout-lag',
      'short-name-ambiguous',
      'runtime-version-skew',
    ])
      expect(Object.keys(CAUSE_KINDS)).toContain(kind);
  });

  it('a partial mirror (manifest served, blob missing) is its own kind, apart from a mirror lacking the image', () => {
    expect(causeKindOf({ id: 'mirror-blob-missing', message: '' })).toBe('mirror-lacks-blob');
    expect(causeKindOf({ id: 'pull-blob-missing', message: '' })).toBe('mirror-lacks-blob');
    expect(causeKindOf({ id: 'mirror-manifest-missing', message: '' })).toBe('mirror-lacks-image');
  });

  it('a network finding names its kind from the error: DNS, refused, timeout', () => {
    const at = (message: string) => causeKindOf({ id: 'mirror-unreachable', message });
    expect(at('Mirror m.corp:5000 is unreachable: getaddrinfo ENOTFOUND m.corp.')).toBe('dns-failure');
    expect(at('Mirror m.corp:5000 is unreachable: connect ECONNREFUSED 127.0.0.1:5000.')).toBe(
      'connection-refused',
    );
    expect(
      at('Mirror m.corp:5000 is unreachable: no complete answer from m.corp:5000 within 10000 ms.'),
    ).toBe('timeout');
    expect(at('Mirror m.corp:5000 is unreachable: read ECONNRESET.')).toBe('host-unreachable');
    // A TLS finding never becomes a network kind, whatever its text says.
    expect(
      causeKindOf({
        id: 'mirror-tls-untrusted',
        message: 'x509: certificate has expired (CERT_HAS_EXPIRED)',
      }),
    ).toBe('tls-certificate-invalid');
    expect(causeKindOf({ id: 'some-newer-id', message: 'x' })).toBe('unclassified');
  });
});

/** The findings agents on `nodes` send when mirror.corp.example does not resolve. */
function dnsOutage(images: readonly string[]): { findings: CauseFinding[]; failures: ImageFailure[] } {
  const findings: CauseFinding[] = [];
  const failures: ImageFailure[] = [];
  for (const port of ['5000', '8443']) {
    const host = `mirror.corp.example:${port}`;
    const f = keyed({
      id: 'mirror-unreachable',
      message: `Mirror ${host} is unreachable: pinging container registry ${host}: getaddrinfo ENOTFOUND mirror.corp.example (configured at /etc/containers/registries.conf:7).`,
      location: '/etc/containers/registries.conf:7',
      scope: host,
      subject: host,
      host,
    });
    findings.push({ ...f, nodes: NODES });
  }
  for (const image of images) {
    const fails = keyed({
      id: 'image-pull-fails',
      message: `${image} cannot be pulled: source quay.io is blocked.`,
      location: null,
      scope: null,
      subject: image,
      image,
    });
    findings.push({ ...fails, nodes: NODES });
    for (const node of NODES)
      failures.push({
        image,
        node,
        keys: [findings[0]!.key, findings[1]!.key, fails.key],
      });
  }
  // The collector's aggregate of the host probes.
  findings.push({
    key: 'mirror-unreachable-from-nodes:mirror.corp.example:5000',
    id: 'mirror-unreachable-from-nodes',
    severity: 'error',
    message: '3 of the 3 nodes that probed mirror.corp.example:5000 cannot reach it.',
    fix: CATALOGUE['mirror-unreachable-from-nodes'].fix,
    host: 'mirror.corp.example:5000',
    nodes: NODES,
  });
  return { findings, failures };
}

const TEN_IMAGES = Array.from({ length: 10 }, (_, i) => `quay.io/acme/app${i}:1.${i}`);

describe('grouping along the causal chain', () => {
  it('one DNS failure on a mirror host used by ten images on three nodes is one cause', () => {
    const { findings, failures } = dnsOutage(TEN_IMAGES);
    const causes = causesOf({ findings, failures });
    expect(causes).toHaveLength(1);
    const [cause] = causes;
    expect(cause).toMatchObject({
      id: 'dns-failure:mirror.corp.example',
      kind: 'dns-failure',
      severity: 'error',
      title: 'mirror.corp.example does not resolve (DNS)',
      affects: {
        nodes: NODES,
        images: [...TEN_IMAGES].sort(),
        mirrors: ['mirror.corp.example:5000', 'mirror.corp.example:8443'],
      },
    });
    expect(cause!.findings).toHaveLength(findings.length);
    expect(cause!.fix.commands[0]).toBe(`mirrorscope trace --node w1 ${[...TEN_IMAGES].sort()[0]}`);
    expect(cause!.fix.commands).toContain('getent hosts mirror.corp.example');
    expect(cause!.evidence[0]).toMatch(/^Mirror mirror\.corp\.example:\d+ is unreachable: .*ENOTFOUND/);
  });

  it('a failed pull whose error names a host that does not resolve joins that DNS cause without links', () => {
    const pull = (image: string): CauseFinding => ({
      key: `image-pull-fails|||${image}`,
      id: 'image-pull-fails',
      severity: 'error',
      message: `${image} cannot be pulled: pinging container registry quay.io: Get "https://quay.io/v2/": dial tcp: lookup quay.io: no such host.`,
      fix: '',
      image,
    });
    const causes = causesOf({ findings: TEN_IMAGES.map(pull), node: 'w2' });
    expect(causes.map((c) => [c.id, c.findings.length, c.affects.nodes])).toEqual([
      ['dns-failure:quay.io', 10, ['w2']],
    ]);
  });

  it('a missing CA on three nodes is one cause with three nodes', () => {
    const findings = NODES.map((node) => ({
      ...keyed({
        id: 'mirror-tls-untrusted',
        message: `Mirror mirror.corp.example:5000 presents a certificate this node does not trust: x509: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE); no CA in certs.d for mirror.corp.example:5000.`,
        location: null,
        scope: 'mirror.corp.example:5000',
        subject: 'mirror.corp.example:5000',
        host: 'mirror.corp.example:5000',
      }),
      node,
    }));
    const causes = causesOf({ findings });
    expect(causes).toHaveLength(1);
    expect(causes[0]).toMatchObject({
      kind: 'tls-ca-missing',
      title: 'The CA of mirror.corp.example:5000 is missing on the node',
      affects: { nodes: NODES, mirrors: ['mirror.corp.example:5000'] },
    });
    expect(causes[0]!.fix.commands).toContain(
      'openssl s_client -connect mirror.corp.example:5000 -servername mirror.corp.example -showcerts </dev/null',
    );
  });

  it('two different problems stay two causes, and a consequence joins the first failing source', () => {
    const lacks = keyed({
      id: 'mirror-manifest-missing',
      message:
        'Mirror m.corp:5000 does not have m.corp:5000/acme/app:1 (manifest unknown), so CRI-O moves on.',
      location: null,
      scope: 'm.corp:5000',
      subject: 'm.corp:5000/acme/app:1',
      image: 'quay.io/acme/app:1',
      host: 'm.corp:5000',
    });
    const blocked = keyed({
      id: 'source-blocked-no-working-mirror',
      message:
        'quay.io/acme/app:1 cannot be pulled: the source registry quay.io is blocked and none of its mirrors serves it.',
      location: null,
      scope: 'quay.io',
      subject: 'quay.io/acme/app:1',
      image: 'quay.io/acme/app:1',
    });
    const typo = keyed({
      id: 'config-unknown-key',
      message: 'unknown key "mirror-by-digest-onyl"; did you mean "mirror-by-digest-only"?',
      location: '/etc/containers/registries.conf.d/50-acme.conf:4',
      scope: null,
      subject: '/etc/containers/registries.conf.d/50-acme.conf:4',
    });
    const causes = causesOf({
      findings: [typo, blocked, lacks],
      failures: [{ image: 'quay.io/acme/app:1', node: null, keys: [lacks.key, blocked.key] }],
      node: 'w1',
    });
    expect(causes.map((c) => [c.kind, c.findings])).toEqual([
      ['mirror-lacks-image', [lacks.key, blocked.key]],
      ['config-typo', [typo.key]],
    ]);
    expect(causes[1]!.title).toBe(
      'A setting in /etc/containers/registries.conf.d/50-acme.conf:4 is not applied',
    );
  });
});

describe('a cause stays a summary', () => {
  it('clips a long line of evidence and a long fix, saying so; the finding keeps its whole text', () => {
    // 4,095 characters, then an emoji: the clip at 4,096 would split its surrogate pair.
    const message = `${'m'.repeat(4095)}\u{1F600}${'m'.repeat(6000)}`;
    const fix = 'f'.repeat(9000);
    const finding: CauseFinding = {
      ...keyed({
        id: 'mirror-unreachable',
        message,
        location: null,
        scope: 'mirror.corp.example:5000',
        subject: 'mirror.corp.example:5000',
        host: 'mirror.corp.example:5000',
      }),
      fix,
      nodes: NODES,
    };
    const [cause] = causesOf({ findings: [finding] });
    expect(cause!.evidence).toEqual([
      `${'m'.repeat(4095)} … (clipped: the finding has all ${message.length} characters)`,
    ]);
    expect(cause!.fix.text).toBe(`${'f'.repeat(2048)} … (clipped: the finding has all 9000 characters)`);
    expect(finding.message).toBe(message);
    // What fits is quoted whole.
    const [short] = causesOf({
      findings: [{ ...finding, message: 'm'.repeat(4096), fix: 'f'.repeat(2048) }],
    });
    expect(short!.evidence).toEqual(['m'.repeat(4096)]);
    expect(short!.fix.text).toBe('f'.repeat(2048));
  });
});

describe('ordering by impact', () => {
  const finding = (
    id: keyof typeof CATALOGUE,
    host: string,
    nodes: string[],
    image: string,
  ): CauseFinding => ({
    ...keyed({ id, message: `about ${host}`, location: null, scope: host, subject: host, host, image }),
    nodes,
  });

  it('severity first, then pods affected, then nodes', () => {
    const pods = new Map([
      ['a.example/x:1', 1],
      ['b.example/x:1', 9],
    ]);
    const causes = causesOf({
      findings: [
        finding('mirror-stale-tag', 'stale.example', ['w1', 'w2', 'w3'], 'c.example/x:1'),
        finding('mirror-auth-missing', 'a.example', ['w1', 'w2', 'w3'], 'a.example/x:1'),
        finding('mirror-auth-rejected', 'b.example', ['w1'], 'b.example/x:1'),
        {
          ...finding('mirror-manifest-missing', 'c.example', ['w1', 'w2'], 'c.example/x:2'),
          severity: 'error',
        },
      ],
      pods: (image) => pods.get(image) ?? 0,
    });
    expect(causes.map((c) => [c.severity, c.kind, c.affects.pods, c.affects.nodes.length])).toEqual([
      ['error', 'mirror-lacks-image', 0, 2],
      ['warning', 'credentials-rejected', 9, 1],
      ['warning', 'credentials-missing', 3, 3],
      ['warning', 'stale-mirror', 0, 3],
    ]);
  });
});

describe('fixes never contradict each other', () => {
  it('a signature missing from a local file:// store is the local-store cause, and no fix says to publish there', async () => {
    const { findingsForSignatureVerdict } = await import('../../src/core/check/signature-result-findings.js');
    const { keyStatic } = await import('../../src/core/diagnose/finding-key.js');
    const store = 'file:///var/lib/containers/sigstore';
    const origin = { file: '/etc/containers/registries.d/default.yaml', line: 3 };
    const findings = findingsForSignatureVerdict({
      logicalReference: 'quay.io/acme/app:1',
      physicalReference: 'mirror.corp.example:5000/acme/app:1',
      mirror: true,
      verdict: {
        allowed: false,
        required: true,
        outcome: 'missing',
        reason: 'A signature was required, but no signature exists',
        requirement: null,
        missingKeyPath: null,
        signatureCount: 0,
      } as never,
      policyFile: '/etc/containers/policy.json',
      policyLine: 9,
      policyScope: 'quay.io/acme',
      store,
      storeIsLocal: true,
      storeOrigin: origin,
      storeScope: 'default-docker',
    }).map((f) => keyStatic(f));
    expect(findings.map((f) => f.id)).toEqual(['mirror-signature-missing', 'signature-storage-local-only']);
    for (const f of findings) expect(f.fix).not.toMatch(/[Pp]ublish[^.]*file:\/\//);
    const causes = causesOf({ findings });
    expect(causes.map((c) => [c.kind, c.findings.length])).toEqual([['signature-storage-local-only', 2]]);
    expect(causes[0]!.title).toBe(
      `Signatures are read from a local store only (${origin.file}:${origin.line})`,
    );
    expect(causes[0]!.fix.text).not.toContain('file://');
  });
});
