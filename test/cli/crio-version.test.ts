// The CRI-O version as an input: the same node roots resolved and checked as each CRI-O would, through
// the built CLI. The rules come from CRI-O's code at its tags:
//   - v1.25.0 … v1.33.x, internal/storage/image.go CandidatesForPotentiallyShortImageName: a copy of the
//     SystemContext with `ShortNameMode = types.ShortNameModeDisabled` on every pull ("Always resolve
//     unqualified names to all candidates"); crio.conf has no short_name_mode key.
//   - v1.34.0 (commit a8b550ad04), pkg/config/config.go SetSystemContext: ShortNameModeEnforcing unless
//     [crio.image] short_name_mode = "disabled"; internal/storage/image.go turns containers/common's
//     "short-name resolution enforced but cannot prompt without a TTY" into
//     "short name mode is enforcing, but image name %s returns ambiguous list".
//   - OpenShift 4.21+ pins short_name_mode = "disabled" in /etc/crio/crio.conf.d/00-default
//     (machine-config-operator 23650384f on main, e6c28adef on release-4.21).
//   - signature_policy_dir from v1.28.0; namespaced_auth_dir from v1.34.3; insecure_registries (with a
//     built-in 127.0.0.0/8) deprecated in v1.34.0 and without effect from v1.35.0 (commit 93f9201606).
//     containers/image per CRI-O release: the go.mod at every patch tag.
import { describe, expect, it } from 'vitest';
import { makeRoot, runCli } from '../support/cli.js';

const REGISTRIES = `unqualified-search-registries = ["registry.access.redhat.com", "docker.io"]
short-name-mode = "enforcing"

[aliases]
"fedora" = "registry.fedoraproject.org/fedora"
`;
const OPENSHIFT_PIN = '[crio.image]\nshort_name_mode = "disabled"\n';

/** The RHCOS default registries.conf, no crio.conf. */
const plain = makeRoot({ '/etc/containers/registries.conf': REGISTRIES });
/** The same with OpenShift 4.21's drop-in. */
const pinned = makeRoot({
  '/etc/containers/registries.conf': REGISTRIES,
  '/etc/crio/crio.conf.d/00-default': OPENSHIFT_PIN,
});
/** An explicit enforcing mode, and a value only CRI-O ≥ 1.34 would reject. */
const enforcing = makeRoot({
  '/etc/containers/registries.conf': REGISTRIES,
  '/etc/crio/crio.conf.d/10-enforce.conf': '[crio.image]\nshort_name_mode = "enforcing"\n',
});
const permissive = makeRoot({
  '/etc/containers/registries.conf': REGISTRIES,
  '/etc/crio/crio.conf.d/10-permissive.conf': '[crio.image]\nshort_name_mode = "permissive"\n',
});

interface Resolved {
  results: {
    input: string;
    candidates: { image: string }[];
    error: { code: string; message: string } | null;
  }[];
  notes: { code: string; behaviours?: { behaviour: string }[] }[];
  runtime: { name: string; version: string | null; containersImage: string | null };
}

async function resolve(root: string, version: string | null, ...images: string[]) {
  const args = ['resolve', '--root', root, '--json', ...(version ? ['--crio-version', version] : [])];
  const run = await runCli([...args, ...images]);
  return { code: run.code, doc: JSON.parse(run.stdout) as Resolved, stderr: run.stderr };
}

const BOTH = ['registry.access.redhat.com/nginx:latest', 'docker.io/library/nginx:latest'];
const AMBIGUOUS = 'short name mode is enforcing, but image name nginx returns ambiguous list';

// version, root, what nginx gives, containers/image shown
const ROWS: [string, string, string, 'both' | 'ambiguous', string][] = [
  ['1.25', 'plain', plain, 'both', '5.22–5.25'],
  ['1.25', 'OpenShift pin', pinned, 'both', '5.22–5.25'],
  ['1.29', 'plain', plain, 'both', '5.29'],
  ['1.29', 'OpenShift pin', pinned, 'both', '5.29'],
  ['1.33', 'plain', plain, 'both', '5.35'],
  ['1.33', 'OpenShift pin', pinned, 'both', '5.35'],
  ['1.33', 'short_name_mode = "enforcing"', enforcing, 'both', '5.35'],
  ['1.34', 'plain', plain, 'ambiguous', '5.36'],
  ['1.34', 'OpenShift pin', pinned, 'both', '5.36'],
  ['1.34', 'short_name_mode = "enforcing"', enforcing, 'ambiguous', '5.36'],
  ['1.35', 'plain', plain, 'ambiguous', '5.38'],
  ['1.35', 'OpenShift pin', pinned, 'both', '5.38'],
].map(([v, label, root, want, lib]) => [v!, label!, root!, want as 'both' | 'ambiguous', lib!]);
/** For the test titles: version, root, answer first. */
const TABLE = ROWS.map(([v, label, root, want, lib]) => [v, label, want, root, lib] as const);

describe('the same node root under each CRI-O version', () => {
  it.each(TABLE)('CRI-O %s, %s: nginx → %s', async (version, _label, want, root, lib) => {
    const { code, doc } = await resolve(root, version, 'nginx', 'fedora:40');
    expect(doc.runtime).toEqual({ name: 'crio', version, containersImage: lib });
    // A known version leaves nothing to guess.
    expect(doc.notes.filter((n) => n.code === 'crio-version-dependent')).toEqual([]);
    const [nginx, fedora] = doc.results;
    if (want === 'both') {
      expect(code).toBe(0);
      expect(nginx!.candidates.map((c) => c.image)).toEqual(BOTH);
    } else {
      expect(code).toBe(1);
      expect(nginx!.candidates).toEqual([]);
      expect(nginx!.error).toMatchObject({ code: 'short-name-error', message: AMBIGUOUS });
    }
    // Aliases apply whatever the mode.
    expect(fedora!.candidates.map((c) => c.image)).toEqual(['registry.fedoraproject.org/fedora:40']);
  });

  it('accepts the kubelet form and says why: forced for ≤ 1.33, crio.conf from 1.34', async () => {
    const old = await runCli([
      'resolve',
      '--root',
      pinned,
      '--crio-version',
      'cri-o://1.29.4-2.rhaos4.16.git1234.el9',
      'nginx',
    ]);
    expect(old.stdout).toContain('CRI-O 1.29.4 forces short-name mode disabled on every pull');
    expect(old.stdout).toContain('CRI-O ignores short-name-mode at /etc/containers/registries.conf:2');
    const refused = await runCli(['resolve', '--root', plain, '--crio-version', '1.34.2', 'nginx']);
    expect(refused.stdout).toContain(`error: ${AMBIGUOUS}`);
    expect(refused.stdout).toContain('CRI-O short_name_mode is enforcing (CRI-O default)');
    expect(refused.stdout).toContain(
      'unqualified-search-registries (/etc/containers/registries.conf:1) offers 2 registries: registry.access.redhat.com, docker.io',
    );
    const current = await runCli(['resolve', '--root', pinned, '--crio-version', '1.34.2', 'nginx']);
    expect(current.stdout).toContain(
      'CRI-O short_name_mode is disabled (/etc/crio/crio.conf.d/00-default:2)',
    );
  });

  it('ignores a short_name_mode value only CRI-O ≥ 1.34 reads (and rejects)', async () => {
    expect((await resolve(permissive, '1.33', 'nginx')).code).toBe(0);
    const newer = await runCli(['resolve', '--root', permissive, '--crio-version', '1.34', 'nginx']);
    expect(newer.code).toBe(2);
  });

  it('without a version: the newest rules, and a note naming each behaviour the answer rests on', async () => {
    const { code, doc } = await resolve(plain, null, 'nginx');
    expect(code).toBe(1);
    expect(doc.results[0]!.error?.message).toBe(AMBIGUOUS);
    expect(doc.runtime).toEqual({ name: 'crio', version: null, containersImage: null });
    const note = doc.notes.find((n) => n.code === 'crio-version-dependent');
    expect(note?.behaviours?.map((b) => b.behaviour)).toEqual(['short-names']);
    const text = await runCli(['resolve', '--root', plain, 'nginx']);
    expect(text.stdout).toContain('older: CRI-O ≤ 1.33 (OpenShift ≤ 4.20) forces short-name mode disabled');
    // A fully qualified name does not depend on the version: said once, without a list.
    const qualified = await resolve(plain, null, 'quay.io/acme/app:1');
    expect(qualified.doc.notes).toEqual([
      expect.objectContaining({
        code: 'crio-version-dependent',
        message: expect.stringContaining('nothing in this answer depends on it') as unknown,
        behaviours: [],
      }),
    ]);
    // A trace rests on the credentials and the policy too.
    const trace = await runCli(['trace', '--root', plain, '--json', '--timeout', '500', 'nginx']);
    const traced = JSON.parse(trace.stdout) as Resolved;
    expect(traced.notes[0]!.behaviours!.map((b) => b.behaviour)).toEqual([
      'short-names',
      'namespaced-auth',
      'policy-features',
    ]);
  });

  it('says so when the version is newer than the table, and refuses what is not a CRI-O version', async () => {
    const { doc } = await resolve(pinned, '1.40.1', 'nginx');
    expect(doc.notes[0]).toMatchObject({ code: 'crio-version-dependent', version: '1.40.1' });
    for (const bad of ['containerd://1.7.2', '1', 'one.two', 'cri-o://']) {
      const run = await runCli(['resolve', '--root', plain, '--crio-version', bad, 'nginx']);
      expect(run.code, bad).toBe(2);
    }
    const podman = await runCli([
      'resolve',
      '--root',
      plain,
      '--runtime',
      'podman',
      '--crio-version',
      '1.29',
      'x',
    ]);
    expect(podman.code).toBe(2);
    expect(podman.stderr).toContain('--crio-version applies to --runtime crio only');
  });
});

describe('error precedence', () => {
  const broken = makeRoot({
    '/etc/containers/registries.conf': '[[registry]]\nprefix = "x.example.com"\n',
  });

  it('CRI-O reports an invalid image name before a broken registries.conf; podman the configuration', async () => {
    const crio = await resolve(broken, '1.29', 'Bad/Name', 'quay.io/ok:1');
    expect(crio.code).toBe(2);
    expect(crio.doc.results.map((r) => r.error?.code)).toEqual(['invalid-reference', 'config-invalid']);
    const podman = await runCli(['resolve', '--root', broken, '--json', '--runtime', 'podman', 'Bad/Name']);
    expect((JSON.parse(podman.stdout) as Resolved).results[0]!.error?.code).toBe('config-invalid');
    const trace = await runCli(['trace', '--root', broken, '--json', 'Bad/Name']);
    expect(trace.code).toBe(2);
    expect((JSON.parse(trace.stdout) as { error: { code: string } }).error.code).toBe('invalid-reference');
  });
});

describe('crio.conf insecure_registries (internal/storage/image.go isSecureIndex; removed in 1.35.0, 93f9201606)', () => {
  const root = makeRoot({
    '/etc/containers/registries.conf': `[[registry]]
location = "quay.io/team"
[[registry.mirror]]
location = "mirror.corp.example:5000/team"
`,
    '/etc/crio/crio.conf': '[crio.image]\ninsecure_registries = ["quay.io", "10.0.0.0/8"]\n',
  });
  const IMAGES = [
    'quay.io/team/app:1',
    'registry.example.com/app:1',
    '10.1.2.3:5000/x:1',
    '127.0.0.1:5000/x:1',
    'localhost:5000/x:1',
  ];
  async function insecureFlags(version: string | null): Promise<boolean[][]> {
    const { doc } = await resolve(root, version, ...IMAGES);
    return doc.results.map((r) =>
      (r.candidates[0] as unknown as { sources: { insecure: boolean }[] }).sources.map((s) => s.insecure),
    );
  }

  it('up to CRI-O 1.34 skips TLS for every source of a matching pull, mirrors included, and always for 127.0.0.0/8', async () => {
    const expected = [[true, true], [false], [true], [true], [true]];
    expect(await insecureFlags('1.29')).toEqual(expected);
    expect(await insecureFlags('1.34.2')).toEqual(expected);
    const text = await runCli(['resolve', '--root', root, '--crio-version', '1.33', 'localhost:5000/x:1']);
    expect(text.stdout).toContain(
      'CRI-O adds "127.0.0.0/8" to insecure_registries itself (up to CRI-O 1.34)',
    );
  });

  it('from CRI-O 1.35 (and for an unknown version: the newest rules) has no effect', async () => {
    const none = [[false, false], [false], [false], [false], [false]];
    expect(await insecureFlags('1.35.0')).toEqual(none);
    expect(await insecureFlags(null)).toEqual(none);
    const { doc } = await resolve(root, null, 'quay.io/team/app:1');
    expect(doc.notes[0]!.behaviours!.map((b) => b.behaviour)).toEqual(['insecure-registries']);
  });

  it('is an info finding up to CRI-O 1.33, deprecated (warning) in 1.34, ignored (warning) from 1.35', async () => {
    const ids = async (version: string) => {
      const run = await runCli(['check', '--root', root, '--json', '--crio-version', version]);
      return (JSON.parse(run.stdout) as { findings: { id: string; line: number }[] }).findings
        .filter((f) => f.id.startsWith('crio-insecure'))
        .map((f) => `${f.id}:${f.line}`);
    };
    expect(await ids('1.33')).toEqual(['crio-insecure-registries:2', 'crio-insecure-registries:2']);
    expect(await ids('1.34')).toEqual([
      'crio-insecure-registries-deprecated:2',
      'crio-insecure-registries-deprecated:2',
    ]);
    expect(await ids('1.35')).toEqual([
      'crio-insecure-registries-ignored:2',
      'crio-insecure-registries-ignored:2',
    ]);
  });
});

describe('policy.json features per containers/image version', () => {
  const KEY = '/etc/pki/sigstore.pub';
  const policy = (requirement: string) =>
    `{\n  "default": [{"type": "insecureAcceptAnything"}],\n  "transports": {"docker": {"quay.io/signed": [\n    ${requirement}\n  ]}}\n}\n`;
  const FULCIO = `{"type": "sigstoreSigned", "fulcio": {"caPath": "/etc/pki/fulcio.pem", "oidcIssuer": "https://issuer", "subjectEmail": "a@b"}, "rekorPublicKeyPath": "/etc/pki/rekor.pub"}`;
  const KEYS = `{"type": "sigstoreSigned", "keyPaths": ["${KEY}", "${KEY}"]}`;
  const PKI = `{"type": "sigstoreSigned", "pki": {"caRootsPath": "/etc/pki/roots.pem", "subjectEmail": "a@b"}}`;

  async function unsupported(requirement: string, version: string | null) {
    const root = makeRoot({ '/etc/containers/policy.json': policy(requirement), [KEY]: 'key' });
    const run = await runCli([
      'check',
      '--root',
      root,
      '--json',
      ...(version ? ['--crio-version', version] : []),
    ]);
    return (
      JSON.parse(run.stdout) as {
        findings: { id: string; severity: string; message: string; file: string; line: number }[];
      }
    ).findings.filter((f) => f.id === 'policy-unsupported-by-runtime');
  }

  it.each([
    ['fulcio', '1.25.0', true, FULCIO],
    ['fulcio', '1.25.4', true, FULCIO],
    ['fulcio', '1.25.5', false, FULCIO],
    ['fulcio', '1.26.1', true, FULCIO],
    ['fulcio', '1.26.2', false, FULCIO],
    ['fulcio', '1.27', false, FULCIO],
    ['several keys', '1.31', true, KEYS],
    ['several keys', '1.32', false, KEYS],
    ['pki', '1.32.4', true, PKI],
    ['pki', '1.33', false, PKI],
    ['pki', null, false, PKI],
  ] as const)('%s on CRI-O %s: unsupported = %s', async (_name, version, expected, requirement) => {
    const found = await unsupported(requirement, version);
    if (!expected) {
      expect(found).toEqual([]);
      return;
    }
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', file: '/etc/containers/policy.json', line: 4 });
    expect(found[0]!.message).toMatch(/^every pull on this node fails: containers\/image 5\.\d+/);
  });

  it('says, without a finding, when only the patch release decides', async () => {
    const root = makeRoot({ '/etc/containers/policy.json': policy(FULCIO) });
    const run = await runCli(['check', '--root', root, '--json', '--crio-version', '1.26']);
    const doc = JSON.parse(run.stdout) as {
      findings: { id: string }[];
      notes: { code: string; message: string; behaviours: { older: string }[] }[];
    };
    expect(doc.findings.map((f) => f.id)).not.toContain('policy-unsupported-by-runtime');
    expect(doc.notes).toHaveLength(1);
    expect(doc.notes[0]!.message).toContain('depends on its patch release (containers/image 5.23–5.24)');
    expect(doc.notes[0]!.behaviours[0]!.older).toContain('CRI-O 1.25 before 1.25.5, 1.26 before 1.26.2');
  });
});

describe('per-namespace signature policies', () => {
  const root = makeRoot({
    '/etc/containers/registries.conf': '[[registry]]\nlocation = "quay.io/team"\n',
    '/etc/containers/policy.json': '{"default": [{"type": "insecureAcceptAnything"}]}',
    '/etc/crio/policies/team-a.json': '{"default": [{"type": "reject"}]}',
  });

  it('check --namespace uses <signature_policy_dir>/NS.json from CRI-O 1.28, and says so', async () => {
    const run = async (version: string) => {
      const out = await runCli([
        'check',
        '--root',
        root,
        '--json',
        '--namespace',
        'team-a',
        '--crio-version',
        version,
      ]);
      return JSON.parse(out.stdout) as {
        findings: { id: string; file: string }[];
        notes: { message: string }[];
      };
    };
    const current = await run('1.28');
    expect(current.findings.filter((f) => f.id === 'policy-rejects').map((f) => f.file)).toEqual([
      '/etc/crio/policies/team-a.json',
    ]);
    expect(current.notes[0]!.message).toContain(
      'CRI-O 1.28 uses /etc/crio/policies/team-a.json for pulls in namespace team-a, instead of /etc/containers/policy.json',
    );
    const older = await run('1.27');
    expect(older.findings.filter((f) => f.id === 'policy-rejects')).toEqual([]);
    expect(older.notes[0]!.message).toContain('CRI-O 1.27 has no per-namespace signature policies');
  });

  it('trace --namespace names the policy file, and from 1.34.3 the credentials it cannot see', async () => {
    const trace = async (version: string) => {
      const out = await runCli([
        'trace',
        '--root',
        root,
        '--json',
        '--timeout',
        '500',
        '--namespace',
        'team-a',
        '--crio-version',
        version,
        '127.0.0.1:9/team/app:1',
      ]);
      return JSON.parse(out.stdout) as {
        runtime: { version: string };
        notes: { code: string; message: string }[];
      };
    };
    const a = await trace('1.34.2');
    expect(a.runtime.version).toBe('1.34.2');
    expect(a.notes.map((n) => n.code)).toEqual(['crio-namespaced-policy']);
    const b = await trace('1.34.3');
    expect(b.notes.map((n) => n.code)).toEqual(['crio-namespaced-policy', 'crio-namespaced-auth']);
    expect(b.notes[1]!.message).toContain(
      'never on disk ahead, so this trace could not see those credentials',
    );
    expect(
      (await runCli(['trace', '--root', root, '--namespace', '../etc', 'quay.io/team/app:1'])).code,
    ).toBe(2);
  });
});
