import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, REPO } from '../support/cli.js';

describe('a reader that closes the pipe early (mirrorscope resolve … | head -1)', () => {
  it('ends with the SIGPIPE status and no stack trace', async () => {
    const images = Array.from({ length: 3000 }, (_, i) => `quay.io/acme/app${i}:1`);
    const child = spawn(
      process.execPath,
      [CLI, 'resolve', '--root', path.join(REPO, 'examples/node-root'), ...images],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(141);
  });
});
