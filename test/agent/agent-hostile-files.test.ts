// The real agent process under hostile files on its node root: FIFOs that appear while it runs (the
// config watcher must keep applying later edits and SIGTERM must still stop it), and certs.d entries
// that cannot be read (the trace answers 200 with the reason, and the image stays in the findings).
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeRoot } from '../support/cli.js';
import { AgentProcess } from '../support/agent-process.js';

const POLICY = JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] });
const IMAGE = 'quay.io/team/app:v1';
// Port 1 on loopback: nothing listens; certs.d is read before any connection is tried.
const registries = (port: number) =>
  `[[registry]]\nprefix = "quay.io/team"\nlocation = "127.0.0.1:${port}/team"\n`;

const running: AgentProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop('SIGKILL')));
});

function start(root: string): AgentProcess {
  const agent = AgentProcess.start([
    '--root',
    root,
    '--node',
    'hostile-node',
    '--image',
    IMAGE,
    '--listen',
    '127.0.0.1:0',
    '--config-poll',
    '1',
    '--scan-interval',
    '3600',
    '--timeout',
    '2000',
  ]);
  running.push(agent);
  return agent;
}

function replaceFile(root: string, nodePath: string, text: string): void {
  const real = path.join(root, nodePath);
  writeFileSync(`${real}.tmp`, text);
  renameSync(`${real}.tmp`, real);
}

describe('agent with hostile files on its root', () => {
  it('FIFOs appearing in the watched directories neither freeze the watcher nor stop SIGTERM', async () => {
    const root = makeRoot({
      '/etc/containers/registries.conf': registries(1),
      '/etc/containers/policy.json': POLICY,
    });
    const agent = start(root);
    await agent.waitFor((l) => l.event === 'scan');
    // A FIFO as a drop-in, a registries.d file and a certs.d file: nobody ever writes to them.
    for (const nodePath of [
      '/etc/containers/registries.conf.d/50-fifo.conf',
      '/etc/containers/registries.d/fifo.yaml',
      '/etc/containers/certs.d/127.0.0.1:1/ca.crt',
    ]) {
      mkdirSync(path.dirname(path.join(root, nodePath)), { recursive: true });
      execFileSync('mkfifo', [path.join(root, nodePath)]);
    }
    const changed = await agent.waitFor((l) => l.event === 'config-changed');
    expect(String(changed.msg)).toContain('is a FIFO, not a regular file');
    const from = agent.lines.length;
    // A later, ordinary edit still applies: the watcher is alive.
    replaceFile(root, '/etc/containers/registries.conf', registries(2));
    const later = await agent.waitFor(
      (l) =>
        l.event === 'config-changed' && (l.files as string[]).includes('/etc/containers/registries.conf'),
      20_000,
      from,
    );
    expect(later.generation).toBeGreaterThan(changed.generation as number);
    const started = Date.now();
    const exit = await agent.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a directory named certs.d/HOST/x.crt: /v1/trace answers 200 with the reason, the image stays in the findings', async () => {
    const root = makeRoot({
      '/etc/containers/registries.conf': registries(1),
      '/etc/containers/policy.json': POLICY,
    });
    mkdirSync(path.join(root, 'etc/containers/certs.d/127.0.0.1:1/x.crt'), { recursive: true });
    const agent = start(root);
    await agent.waitFor((l) => l.event === 'scan');
    const base = await agent.httpBase();
    const reason = '/etc/containers/certs.d/127.0.0.1:1/x.crt: is a directory, not a file';

    const trace = await fetch(`${base}/v1/trace?image=${encodeURIComponent(IMAGE)}`);
    expect(trace.status).toBe(200);
    const doc = (await trace.json()) as { sources: { outcome: string; reason: string }[] };
    expect(doc.sources[0]).toMatchObject({ outcome: 'error', reason });

    const findings = (await (await fetch(`${base}/v1/findings`)).json()) as {
      findings: { id: string; image: string | null; message: string }[];
    };
    expect(findings.findings).toContainEqual(
      expect.objectContaining({
        id: 'image-pull-fails',
        image: IMAGE,
        message: expect.stringContaining(reason),
      }),
    );
    const scan = agent.lines.find((l) => l.event === 'scan')!;
    expect(scan.images).toBe(1);
    expect(agent.lines.filter((l) => l.event === 'check-failed')).toEqual([]);
  });
});
