// Runs the built collector (`node dist/cli.js collector …`) as a child process on loopback and
// reads its listening address from its log.
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './cli.js';

export interface CollectorProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly log: string[];
  stop(): Promise<void>;
}

/** The flags that point the collector at a (fake) API server: its kubeconfig, namespace and agent auth. */
export function kubeFlags(
  api: { writeKubeconfig(): string },
  namespace: string,
  auth: 'kube' | 'none' = 'kube',
): string[] {
  return ['--auth', auth, '--kubeconfig', api.writeKubeconfig(), '--namespace', namespace];
}

export function startCollectorProcess(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CollectorProcess> {
  const child = spawn(process.execPath, [CLI, 'collector', '--listen', '127.0.0.1:0', ...args], {
    env: { ...process.env, NO_COLOR: '1', KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  let stderr = '';
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        log.push(line);
        const m = /collector listening on (https?:\/\/[^\s,]+)/.exec(line);
        if (m !== null) resolve({ url: m[1]!, child, log, stop });
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`collector exited with ${code}: ${stderr}${log.join('\n')}`)),
    );
  });
}
