// Runs the built agent (`node dist/cli.js agent …`) as a child process connected to a collector,
// keeping its output for failure messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './cli.js';

export interface AgentProcess {
  readonly node: string;
  readonly child: ChildProcess;
  output(): string;
}

/** `extra`: more agent flags (the defaults: no local listener, a 300 s scan interval, 5 s timeouts). */
export function startAgentProcess(
  collectorUrl: string,
  node: string,
  root: string,
  tokenFile: string,
  extra: readonly string[] = [],
): AgentProcess {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'agent',
      '--root',
      root,
      '--node',
      node,
      '--collector',
      collectorUrl.replace('http', 'ws'),
      '--token-file',
      tokenFile,
      '--listen',
      'off',
      '--scan-interval',
      '300',
      '--timeout',
      '5000',
      ...extra,
    ],
    {
      env: { ...process.env, NO_COLOR: '1', KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { node, child, output: () => out };
}

/** SIGTERM, then SIGKILL after 5 s; resolves when every agent has exited. */
export async function stopAgentProcesses(agents: readonly AgentProcess[]): Promise<void> {
  await Promise.all(
    agents.map(
      (a) =>
        new Promise<void>((resolve) => {
          if (a.child.exitCode !== null) return resolve();
          a.child.once('exit', () => resolve());
          a.child.kill('SIGTERM');
          setTimeout(() => a.child.kill('SIGKILL'), 5000).unref();
        }),
    ),
  );
}
