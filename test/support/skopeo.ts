// Runs skopeo (containers/image 5.23 in Debian's 1.9.3) against a rendered configuration, with no
// network and the test tree bind-mounted over /etc/containers, and reads back the order in which it
// tried the pull sources from its debug log.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SkopeoAttempt {
  readonly reference: string;
  /** skopeo fell back to plain HTTP for this source (the endpoint is insecure). */
  readonly insecure: boolean;
  /** The attempt failed with "registry … is blocked". */
  readonly blocked: boolean;
}

export interface ConfigTree {
  readonly registriesConf: string;
  /** file name → text, under registries.conf.d/ */
  readonly dropIns?: Readonly<Record<string, string>>;
}

const POLICY = '{"default":[{"type":"insecureAcceptAnything"}]}\n';

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The sources skopeo tries for `ref`, in order. */
export function skopeoAttempts(tree: ConfigTree, ref: string): SkopeoAttempt[] {
  const dir = mkdtempSync(join(tmpdir(), 'mirrorscope-mco-'));
  try {
    const etc = join(dir, 'etc');
    const home = join(dir, 'home');
    mkdirSync(join(etc, 'registries.conf.d'), { recursive: true });
    mkdirSync(home);
    writeFileSync(join(etc, 'registries.conf'), tree.registriesConf);
    writeFileSync(join(etc, 'policy.json'), POLICY);
    for (const [name, text] of Object.entries(tree.dropIns ?? {}))
      writeFileSync(join(etc, 'registries.conf.d', name), text);
    const script = `mount --bind ${shellQuote(etc)} /etc/containers && HOME=${shellQuote(home)} exec skopeo --debug inspect --raw ${shellQuote(`docker://${ref}`)}`;
    let log: string;
    try {
      execFileSync('unshare', ['-m', '-n', 'sh', '-c', script], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 30_000,
      });
      throw new Error(`skopeo unexpectedly reached ${ref} without a network`);
    } catch (err) {
      const e = err as { stderr?: string; status?: number | null };
      if (typeof e.stderr !== 'string' || e.status === null) throw err;
      log = e.stderr;
    }
    const attempts = parseAttempts(log);
    if (attempts.length === 0)
      throw new Error(`skopeo tried no source for ${ref}:\n${log.trim().split('\n').slice(-3).join('\n')}`);
    return attempts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function message(line: string): string | undefined {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(line);
  return m ? (JSON.parse(`"${m[1]}"`) as string) : undefined;
}

export function parseAttempts(log: string): SkopeoAttempt[] {
  const attempts: { reference: string; insecure: boolean; blocked: boolean }[] = [];
  for (const line of log.split('\n')) {
    const msg = message(line);
    if (msg === undefined) continue;
    const trying = /^Trying to access "(.*)"$/.exec(msg);
    if (trying) {
      attempts.push({ reference: trying[1]!, insecure: false, blocked: false });
      continue;
    }
    const current = attempts[attempts.length - 1];
    if (current === undefined) continue;
    if (/^(GET|Ping) http:\/\//.test(msg)) current.insecure = true;
    if (/^Accessing ".*" failed: registry .* is blocked in /.test(msg)) current.blocked = true;
  }
  return attempts;
}
