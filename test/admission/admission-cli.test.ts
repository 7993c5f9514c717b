// `mirrorscope admission` through the built CLI, offline: exit status, the JSON shape of the issue,
// input errors naming file and line, and the example files in examples/admission.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, runCli } from '../support/cli.js';

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(path.join(tmpdir(), 'mirrorscope-admission-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(d, name)), { recursive: true });
    writeFileSync(path.join(d, name), text);
  }
  return d;
}

const allowList = `apiVersion: v1
kind: List
items:
- apiVersion: constraints.gatekeeper.sh/v1beta1
  kind: K8sAllowedRepos
  metadata: {name: require-harbor-repo}
  spec:
    match: {kinds: [{apiGroups: [""], kinds: ["Pod"]}], excludedNamespaces: ["kube-*"]}
    parameters: {repos: ["harbor.example.com/"]}
`;

describe('mirrorscope admission (built CLI)', () => {
  it('prints the JSON shape of issue 17 and exits 1 when an image is denied', async () => {
    const d = dir({ 'gk.yaml': allowList });
    const r = await runCli([
      'admission',
      '--policies',
      d,
      '--namespace',
      'shop',
      '--json',
      'nginx:1.25',
      'harbor.example.com/lib/nginx:1.25',
    ]);
    expect(r.code, r.stderr).toBe(1);
    const json = JSON.parse(r.stdout) as { results: Record<string, unknown>[] };
    expect(json.results).toEqual([
      {
        image: 'nginx:1.25',
        namespace: 'shop',
        decisions: [
          {
            controller: 'gatekeeper',
            policy: { kind: 'K8sAllowedRepos', name: 'require-harbor-repo', namespace: null },
            allowed: false,
            message:
              '[require-harbor-repo] container <nginx> has an invalid image repo <nginx:1.25>, allowed repos are ["harbor.example.com/"]',
            checks: expect.arrayContaining([{ kind: 'repos', outcome: 'fail', detail: expect.any(String) }]),
          },
        ],
        allowed: false,
        pull: null,
        notes: [],
      },
      expect.objectContaining({ image: 'harbor.example.com/lib/nginx:1.25', allowed: true }),
    ]);
  });

  it('-f: every container of a workload, with its own name, labels and namespace', async () => {
    const d = dir({
      'gk.yaml': allowList,
      'deploy.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers: [{name: init, image: busybox}]
      containers: [{name: web, image: harbor.example.com/lib/nginx:1}]
`,
    });
    const r = await runCli([
      'admission',
      '--policies',
      path.join(d, 'gk.yaml'),
      '-f',
      path.join(d, 'deploy.yaml'),
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(1);
    const json = JSON.parse(r.stdout) as {
      results: { workload: unknown; namespace: string; allowed: boolean; decisions: { message: string }[] }[];
    };
    expect(json.results.map((x) => [x.workload, x.namespace, x.allowed])).toEqual([
      [{ name: 'Deployment/web', container: 'init' }, 'shop', false],
      [{ name: 'Deployment/web', container: 'web' }, 'shop', true],
    ]);
    expect(json.results[0]!.decisions[0]!.message).toBe(
      '[require-harbor-repo] initContainer <init> has an invalid image repo <busybox>, allowed repos are ["harbor.example.com/"]',
    );
    const notWorkload = await runCli(['admission', '-f', path.join(d, 'gk.yaml')]);
    expect(notWorkload.code).toBe(2);
    expect(notWorkload.stderr).toContain('is not a workload');
  });

  it('exits 0 when nothing is denied (an excluded namespace)', async () => {
    const d = dir({ 'gk.yaml': allowList });
    const r = await runCli([
      'admission',
      '--policies',
      path.join(d, 'gk.yaml'),
      '--namespace',
      'kube-system',
      'nginx',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('nginx in namespace kube-system: allowed');
  });

  it('with --portieris and no policy, Portieris denies every image in its own words', async () => {
    const r = await runCli(['admission', '--portieris', 'busybox']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Deny "busybox", no image policies or cluster polices');
  });

  it('bad input exits 2 naming the file and line; missing files are errors', async () => {
    const d = dir({
      'bad.yaml':
        'apiVersion: portieris.cloud.ibm.com/v1\nkind: ImagePolicy\nmetadata: {name: p}\nspec:\n  repositories:\n  - name: 5\n',
    });
    const bad = await runCli(['admission', '--policies', path.join(d, 'bad.yaml'), 'nginx']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      `${path.join(d, 'bad.yaml')}:6: ImagePolicy "p" spec.repositories[0].name must be a string, got number`,
    );
    const missing = await runCli(['admission', '--policies', path.join(d, 'nope.yaml'), 'nginx']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.yaml: cannot read (ENOENT)');
    const usage = await runCli(['admission']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('name at least one IMAGE');
    const label = await runCli(['admission', '--label', 'novalue', 'nginx']);
    expect(label.code).toBe(2);
  });

  it('the secret of a key Secret never reaches an error text', async () => {
    const d = dir({
      's.yaml': 'apiVersion: v1\nkind: Secret\nmetadata: {name: k}\ndata: {key: "c2VjcmV0LXZhbHVl!!"}\n',
    });
    const r = await runCli(['admission', '--policies', d, 'nginx']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('s.yaml:4: Secret "k" data.key is not valid base64');
    expect(r.stderr).not.toContain('c2VjcmV0');
  });

  it('the examples: the allow-list refuses the source name that CRI-O pulls through the mirror', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const r = await runCli([
      'admission', '--policies', path.join(REPO, 'examples/admission'), '--namespace', 'payments', '--offline',
      '--root', path.join(REPO, 'examples/node-root'), '--json', `quay.io/acme/payments-api@${digest}`,
    ]); // prettier-ignore
    expect(r.code, r.stderr).toBe(1);
    const [result] = (
      JSON.parse(r.stdout) as { results: { notes: string[]; pull: { sources: { mirror: boolean }[] } }[] }
    ).results;
    expect(result!.pull.sources.filter((s) => s.mirror)).toHaveLength(2);
    expect(result!.notes).toContain(
      `naming the mirror mirror.corp.example:5000/acme/payments-api@${digest} in the pod spec would pass require-corp-mirror: mirroring into the allowed registry only helps when the pod spec names the mirror`,
    );
  });
});
