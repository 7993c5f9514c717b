import { describe, expect, it } from 'vitest';
import { makeRoot, runCli } from '../support/cli.js';

const DIGEST = `sha256:${'e'.repeat(64)}`;

const root = makeRoot({
  '/etc/containers/registries.conf': `unqualified-search-registries = ["registry.access.redhat.com", "docker.io"]
[[registry]]
location = "quay.io/acme"
blocked = true
[[registry.mirror]]
location = "mirror.corp.example:5000/acme"
pull-from-mirror = "digest-only"
`,
  '/etc/containers/registries.conf.d/50-typo.conf': `[[registry]]
location = "registry.lab.example"
insecure = ture
`.replace('ture', 'true'),
  '/etc/crio/crio.conf.d/00-default': '[crio.image]\nshort_name_mode = "disabled"\n',
});

describe('mirrorscope resolve', () => {
  it('prints the JSON contract: one result per image, sources in pull order', async () => {
    const { code, stdout } = await runCli([
      'resolve',
      '--root',
      root,
      '--json',
      `quay.io/acme/app@${DIGEST}`,
      'nginx',
      'Bad/Name',
    ]);
    expect(code).toBe(1);
    const doc = JSON.parse(stdout) as {
      results: {
        input: string;
        candidates: {
          image: string;
          sources: { reference: string; mirror: boolean; insecure: boolean; blocked: boolean }[];
        }[];
        error: { code: string } | null;
      }[];
    };
    expect(doc.results.map((r) => r.input)).toEqual([`quay.io/acme/app@${DIGEST}`, 'nginx', 'Bad/Name']);
    const [digest, short, bad] = doc.results;
    expect(digest!.error).toBeNull();
    expect(digest!.candidates[0]!.sources).toEqual([
      expect.objectContaining({
        reference: `mirror.corp.example:5000/acme/app@${DIGEST}`,
        mirror: true,
        insecure: false,
        blocked: false,
      }),
      expect.objectContaining({ reference: `quay.io/acme/app@${DIGEST}`, mirror: false, blocked: true }),
    ]);
    expect(short!.candidates.map((c) => c.image)).toEqual([
      'registry.access.redhat.com/nginx:latest',
      'docker.io/library/nginx:latest',
    ]);
    expect(bad!.error).toMatchObject({ code: 'invalid-reference' });
  });

  it('exits 0 when every image resolves to a source that is not blocked', async () => {
    const { code, stdout } = await runCli(['resolve', '--root', root, 'registry.lab.example/tools/x:1']);
    expect(code).toBe(0);
    expect(stdout).toContain('primary registry.lab.example/tools/x:1');
    expect(stdout).toContain('insecure (/etc/containers/registries.conf.d/50-typo.conf:3)');
  });

  it('explains why a tag pull skips digest-only mirrors, with the lines', async () => {
    const { code, stdout } = await runCli(['resolve', '--root', root, 'quay.io/acme/app:1']);
    expect(code).toBe(1);
    expect(stdout).toContain(
      'mirror "mirror.corp.example:5000/acme" (/etc/containers/registries.conf:5) is not used: the reference has no digest and the mirror sets pull-from-mirror = "digest-only" (/etc/containers/registries.conf:7)',
    );
    expect(stdout).toContain('BLOCKED by [[registry]] "quay.io/acme" (/etc/containers/registries.conf:4)');
  });

  it('applies CRI-O short_name_mode, or registries.conf for podman', async () => {
    const crio = await runCli(['resolve', '--root', root, 'nginx']);
    expect(crio.stdout).toContain('CRI-O short_name_mode is disabled (/etc/crio/crio.conf.d/00-default:2)');
    const enforcing = makeRoot({
      '/etc/containers/registries.conf': 'unqualified-search-registries = ["a.example", "b.example"]\n',
    });
    const failed = await runCli(['resolve', '--root', enforcing, '--json', 'nginx']);
    expect(JSON.parse(failed.stdout).results[0].error).toMatchObject({
      code: 'short-name-error',
      message: 'short name mode is enforcing, but image name nginx returns ambiguous list',
    });
    const podman = await runCli(['resolve', '--root', enforcing, '--runtime', 'podman', '--json', 'nginx']);
    expect(JSON.parse(podman.stdout).results[0].candidates).toHaveLength(2);
  });

  it('reports a broken configuration on every result, naming file and line', async () => {
    const broken = makeRoot({
      '/etc/containers/registries.conf':
        '[[registry]]\nlocation = "a.example"\n[[registry.mirror]]\ninsecure = true\n',
    });
    const json = await runCli(['resolve', '--root', broken, '--json', 'a.example/x', 'b.example/y']);
    expect(json.code).toBe(2);
    const results = JSON.parse(json.stdout).results as {
      error: { code: string; file: string; line: number };
    }[];
    expect(results).toHaveLength(2);
    for (const r of results)
      expect(r.error).toMatchObject({
        code: 'config-invalid',
        file: '/etc/containers/registries.conf',
        line: 3,
      });
    const human = await runCli(['resolve', '--root', broken, 'a.example/x']);
    expect(human.code).toBe(2);
    expect(human.stderr).toContain(
      '/etc/containers/registries.conf:3: invalid condition: mirror location is unset',
    );
  });

  it('refuses unknown flags with usage and exit 2', async () => {
    const { code, stderr } = await runCli(['resolve', '--frobnicate', 'x']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown flag --frobnicate');
    expect(stderr).toContain('usage: mirrorscope resolve');
  });
});

describe('mirrorscope start', () => {
  it('explains the lab workers: rewritten sources, skipped digest-only mirrors, the hand-edited drop-in', async () => {
    const { code, stdout } = await runCli(['start', '--no-live']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^mirrorscope — node worker-0 \(healthy worker\), root \S+worker-0$/m);
    expect(stdout).toContain('mirror  mirror.corp.example:5000/ocp/release@sha256:');
    expect(stdout).toContain(
      'unknown key "registry[0].mirror[0].mirror-by-digest-onyl" is ignored by containers/image',
    );
    expect(stdout).toContain('replaces the whole entry from /etc/containers/registries.conf');
    expect(stdout).not.toContain('Report page');
  });

  it('then runs a collector and the agents in one process: root causes first, then the report page', async () => {
    const { code, stdout } = await runCli([
      'start',
      '--exit-after-report',
      '--listen',
      '127.0.0.1:0',
      '--timeout',
      '1000',
    ]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^Root causes, most impact first/);
    expect(stdout).toMatch(/Report page: http:\/\/127\.0\.0\.1:\d+\//);
    expect(stdout).toContain('signature-storage-local-only');
    expect(stdout).toContain('source-blocked-no-working-mirror');
    expect(stdout).not.toMatch(
      /lab-mirror-password|lab-quay-token|lab-nexus-password|lab-redhat-token|"level":/,
    );
  });
});
