// Runs a command in a pod through the API server (pods/exec, client-node's WebSocket client) and
// collects what it prints: how must-gather reads what an agent serves only on its loopback.
import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  /** null: the command ran and succeeded; otherwise why not (exit code, refusal). */
  readonly failure: string | null;
}

/** At most this much output is kept per stream (an effective config is a few KiB). */
const MAX_OUTPUT = 8 * 1024 * 1024;

function sink(chunks: Buffer[]): Writable {
  let size = 0;
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size <= MAX_OUTPUT) chunks.push(chunk);
      done();
    },
  });
}

export async function execInPod(
  config: k8s.KubeConfig,
  pod: { namespace: string; name: string; container: string },
  command: readonly string[],
  timeoutMs = 30_000,
): Promise<ExecResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let status: k8s.V1Status | null = null;
  let socket;
  try {
    socket = await new k8s.Exec(config).exec(
      pod.namespace,
      pod.name,
      pod.container,
      [...command],
      sink(out),
      sink(err),
      null,
      false,
      (s) => (status = s),
    );
  } catch (e) {
    const message = (e as { message?: string }).message ?? String(e);
    return { stdout: '', stderr: '', failure: `exec refused: ${message}` };
  }
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      socket.close();
      resolve();
    }, timeoutMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const done = status as k8s.V1Status | null;
  const failure =
    done === null
      ? `no exit status within ${timeoutMs} ms`
      : done.status === 'Success'
        ? null
        : (done.message ?? 'the command failed');
  return {
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
    failure,
  };
}
