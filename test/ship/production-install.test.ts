// The Dockerfile's steps, as far as a machine without a container engine can run them: build in a
// clean directory, install production dependencies only in another, then run the agent from there.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO } from '../support/cli.js';

const dockerfile = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8');

/** The node flags between the node binary and cli.js in the agent DaemonSet's container command. */
function agentNodeFlags(): string[] {
  const manifest = parse(readFileSync(path.join(REPO, 'daemonset/base/agent-daemonset.yaml'), 'utf8')) as {
    spec: { template: { spec: { containers: { command: string[] }[] } } };
  };
  const command = manifest.spec.template.spec.containers[0]!.command;
  return command.slice(
    1,
    command.findIndex((c) => c.endsWith('cli.js')),
  );
}
const dirs: string[] = [];
const tempDir = (name: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), `mirrorscope-${name}-`));
  dirs.push(dir);
  return dir;
};
const sh = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the container image recipe', () => {
  it('is multi-stage, production-only, distroless Node 24, exec-form, without HEALTHCHECK', () => {
    expect(dockerfile).toMatch(/^FROM \S+node:24\S* AS build$/m);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev/m);
    expect(dockerfile).toMatch(/^FROM gcr\.io\/distroless\/nodejs24-debian12:nonroot$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/nodejs\/bin\/node", "\/app\/dist\/cli\.js"\]$/m);
    expect(dockerfile).not.toMatch(/^HEALTHCHECK/m);
  });

  it('builds in a clean directory and runs the agent with production dependencies only', () => {
    const build = tempDir('build');
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src'])
      cpSync(path.join(REPO, f), path.join(build, f), { recursive: true });
    sh('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], build);
    sh('npm', ['run', 'build'], build);

    const app = tempDir('app');
    for (const f of ['package.json', 'package-lock.json', 'examples'])
      cpSync(path.join(REPO, f), path.join(app, f), { recursive: true });
    cpSync(path.join(build, 'dist'), path.join(app, 'dist'), { recursive: true });
    sh('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--ignore-scripts'], app);
    expect(() => sh('node', ['-e', "require.resolve('vitest')"], app)).toThrow();
    // ws masks and unmasks frames natively through bufferutil where it has a prebuilt binary (the
    // image's linux-x64), with no install script run; elsewhere ws falls back to JavaScript.
    if (process.platform === 'linux' && process.arch === 'x64')
      expect(
        sh(
          'node',
          ['-p', "require('node-gyp-build').resolve(require('path').dirname(require.resolve('bufferutil')))"],
          app,
        ),
      ).toMatch(/prebuilds\/linux-x64\/bufferutil\.node/);

    expect(sh('node', ['dist/cli.js', 'agent', '--help'], app)).toContain('usage: mirrorscope agent');
    // The must-gather stage's /usr/bin/gather and the kubectl plugin run from the same install.
    expect(dockerfile).toMatch(
      /^RUN chmod 755 \/app\/dist\/cli\/gather-entry\.js && ln -s \/app\/dist\/cli\/gather-entry\.js \/usr\/bin\/gather$/m,
    );
    expect(sh('node', ['dist/cli/gather-entry.js', '--help'], app)).toContain('usage: gather');
    expect(sh('node', ['dist/cli/kubectl-mirrorscope.js', '--help'], app)).toContain(
      'usage: kubectl mirrorscope',
    );
    let out: string;
    try {
      // With the node flags the DaemonSet runs the agent with (no JIT, no WebAssembly).
      out = sh(
        'node',
        [
          ...agentNodeFlags(),
          'dist/cli.js',
          'agent',
          '--once',
          '--root',
          'examples/node-root',
          '--node',
          'ship-test',
          '--image',
          'quay.io/openshift-release-dev/ocp-release:4.16.3-x86_64',
        ],
        app,
      );
    } catch (err) {
      // --once exits 1 when it finds errors; the example node has some on purpose.
      out = (err as { stdout: string }).stdout;
    }
    const doc = JSON.parse(out) as { causes: { kind: string }[]; findings: { id: string }[] };
    expect(doc.findings.map((f) => f.id)).toContain('config-key-in-mirror-table');
    expect(doc.causes.map((c) => c.kind)).toContain('config-typo');
    // Two npm installs and a build: about 50 s alone on two cores, more beside the other suites.
  }, 300_000);
});
