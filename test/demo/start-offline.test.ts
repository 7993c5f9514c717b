// `npm start -- --exit-after-report` on the embedded lab, in a network namespace with only loopback
// up: nothing outside 127.0.0.1 exists there, so any DNS lookup or outside connection would show as
// a failure. The first screen must list the root causes of the three example nodes — each failure
// class once — and the busy default port must be named.
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI } from '../support/cli.js';
import { EXAMPLE_ROOT } from '../../src/cli/example-root.js';

function inNamespace(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'unshare',
      ['-n', 'sh', '-c', `ip link set lo up && ${script}`],
      { env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000, maxBuffer: 8 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

const node = JSON.stringify(process.execPath);
const cli = JSON.stringify(CLI);
/** A process holding 127.0.0.1:PORT in the namespace; its pid in $held. */
const holder = (port: number) =>
  `${node} -e "require('net').createServer().listen(${port},'127.0.0.1')" >/dev/null 2>&1 & held=$!;`;

describe('npm start on the embedded lab, offline', () => {
  it('prints the root causes, each failure class once, then the page; exit 1 (error causes)', async () => {
    // Something already holds 127.0.0.1:8080 in the namespace: start must say which port it took.
    const r = await inNamespace(
      `${holder(8080)} sleep 0.5; ${node} ${cli} start --exit-after-report; code=$?; kill $held; exit $code`,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const out = r.stdout;
    const causes = [...out.matchAll(/^\s*\d+\. (?:error|warning|info)\s+(\S+)\s/gm)].map((m) => m[1]);
    // The seven failure classes the three example nodes show.
    for (const kind of [
      'tag-pull-bypasses-mirrors',
      'mirror-manifest-missing',
      'mirror-stale-tag',
      'signature-storage-local-only',
      'mirror-auth-key-mismatch',
      'mirror-tls-untrusted',
      'node-config-drift',
    ])
      expect(causes, `${kind} in\n${out}`).toContain(kind);
    // Impact order: every error cause before every warning.
    const severities = [...out.matchAll(/^\s*\d+\. (error|warning|info)\s/gm)].map((m) => m[1]);
    expect(severities.lastIndexOf('error')).toBeLessThan(severities.indexOf('warning'));
    // Each cause comes with a command that runs against the lab.
    const commands = [...out.matchAll(/next: (.*)$/gm)].map((m) => m[1]!);
    expect(commands.length).toBe(causes.length);
    for (const c of commands) expect(c).toMatch(/^npx mirrorscope (trace|check) --root \S+/);
    // The signed release verifies (GPG lookaside) and the art-dev image too (sigstore): no cause names them.
    expect(out).not.toMatch(/ocp-v4\.0-art-dev.*(rejected|not accepted)/);
    expect(out).not.toContain('not part of the embedded lab');
    expect(out).not.toMatch(/ENOTFOUND|EAI_AGAIN|getaddrinfo/);
    // The causes come first, then the page address, which says why 8080 was not used.
    const page = out.indexOf('Report page: http://127.0.0.1:');
    expect(page).toBeGreaterThan(out.lastIndexOf('next:'));
    expect(out).toMatch(/127\.0\.0\.1:8080 is in use \(EADDRINUSE\): serving on 127\.0\.0\.1:\d+ instead/);
  });

  it('an address named with --listen that is busy is an error, not another port', async () => {
    const r = await inNamespace(
      `${holder(18080)} sleep 0.5; ${node} ${cli} start --exit-after-report --listen 127.0.0.1:18080; code=$?; kill $held; exit $code`,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'mirrorscope start: --listen 127.0.0.1:18080: the address is in use (EADDRINUSE)\n',
    );
  });

  it('--root DIR keeps working: that one root, its causes, then the page', async () => {
    const r = await inNamespace(
      `${node} ${cli} start --root ${JSON.stringify(EXAMPLE_ROOT)} --node example-0 --exit-after-report --listen 127.0.0.1:0 --timeout 1000`,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Root causes, most impact first/);
    expect(r.stdout).toContain(`next: npx mirrorscope`);
    expect(r.stdout).toMatch(/Report page: http:\/\/127\.0\.0\.1:\d+\//);
  });

  it('--root without etc/containers is refused before anything starts', async () => {
    const r = await inNamespace(`${node} ${cli} start --root /nonexistent --exit-after-report`);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--allow-empty-root');
    expect(r.stdout).toBe('');
  });
});
