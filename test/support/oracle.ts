// The real containers/image as a test oracle: Debian's skopeo 1.9.3 and podman 4.3.1 (c/image 5.23)
// run against a generated node root with no network, and what they did is read back from their debug
// log. Each run lives in its own mount and network namespace (`unshare -m -n`): the root's
// `etc/containers` is bind-mounted on /etc/containers, its `var/cache` on /var/cache (the machine alias
// file) and fresh tmpfs on /run and /dev/shm, so nothing of the host's configuration, credentials or
// podman state leaks in and nothing leaks out. Without a network every source fails fast at the ping,
// which makes the tools walk through all their sources and log each one.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** One pull source the tool tried: `Trying to access "…"`, then maybe `Accessing "…" failed: …`. */
export interface Attempt {
  readonly reference: string;
  /** The failure logged for this source; null when it was not reported (it succeeded or was cut short). */
  readonly error: string | null;
  /** `registry X is blocked in …`: the prefix X of the blocking `[[registry]]`, else null. */
  readonly blockedBy: string | null;
  /**
   * Whether plain HTTP was tried after HTTPS failed, which c/image does only for an insecure source.
   * null when no ping happened (a blocked source fails before it).
   */
  readonly insecure: boolean | null;
}

export interface LogEntry {
  readonly level: string;
  readonly msg: string;
}

/** Why a skopeo run failed, from its fatal message and attempts. */
export type FailureKind = 'config' | 'reference' | 'rewrite' | 'blocked' | 'unreachable';

export interface SkopeoRun {
  readonly input: string;
  readonly exitCode: number;
  /** null when skopeo succeeded (never, without a network). */
  readonly failure: FailureKind | null;
  /** Files c/image loaded, from `Loading registries configuration "…"`. */
  readonly loaded: readonly string[];
  readonly attempts: readonly Attempt[];
  /** The `level=fatal` message, null when skopeo succeeded. */
  readonly fatal: string | null;
  readonly log: readonly string[];
}

export interface PodmanCandidate {
  /** From `Attempting to pull candidate X for INPUT`. */
  readonly image: string;
  readonly attempts: readonly Attempt[];
  /** From `Error pulling candidate X: …`. */
  readonly error: string | null;
}

export interface PodmanRun {
  readonly input: string;
  readonly exitCode: number;
  /** containers/common's short-name description, e.g. `Resolved "x" as an alias (/etc/…)`; null when none. */
  readonly description: string | null;
  readonly candidates: readonly PodmanCandidate[];
  /** The final `Error: …` text (all its lines), null when podman succeeded. */
  readonly error: string | null;
  readonly log: readonly string[];
}

/** A node root: paths relative to the root (e.g. `etc/containers/registries.conf`) → text. */
export type RootFiles = Readonly<Record<string, string>>;

const POLICY_ACCEPT_ALL = '{"default":[{"type":"insecureAcceptAnything"}]}\n';
const BEGIN = '@@oracle-begin';
const END = '@@oracle-end';

/** Why the oracle cannot run here, or null when it can. */
export function oracleUnavailableReason(): string | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0)
    return 'needs root (unshare -m -n, mount --bind)';
  for (const tool of ['/usr/bin/skopeo', '/usr/bin/podman', '/usr/bin/unshare']) {
    if (!existsSync(tool)) return `${tool} is not installed`;
  }
  return null;
}

/** Writes a node root; a directory entry is a path ending in `/` with empty text. */
export async function writeRoot(rootDir: string, files: RootFiles): Promise<void> {
  await mkdir(path.join(rootDir, 'etc/containers'), { recursive: true });
  await mkdir(path.join(rootDir, 'var/cache'), { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    const target = path.join(rootDir, rel);
    if (rel.endsWith('/')) {
      await mkdir(target, { recursive: true });
      continue;
    }
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, text);
  }
}

/** Go's strconv-quoted string (as logrus writes `msg="…"`) → its value. */
export function unquoteGo(quoted: string): string {
  return quoted.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, e: string) => {
    switch (e[0]) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'x':
      case 'u':
      case 'U':
        return String.fromCodePoint(parseInt(e.slice(1), 16));
      default:
        return e;
    }
  });
}

const LOGRUS_LINE = /^time="[^"]*" level=(\w+) msg="((?:[^"\\]|\\.)*)"/;

export function parseLogLine(line: string): LogEntry | null {
  const m = LOGRUS_LINE.exec(line);
  return m === null ? null : { level: m[1]!, msg: unquoteGo(m[2]!) };
}

const TRYING = /^Trying to access "(.*)"$/;
const FAILED = /^Accessing "(.*?)" failed: ([\s\S]*)$/;
const BLOCKED = /^registry (\S+) is blocked in /;

interface AttemptBuilder {
  reference: string;
  error: string | null;
  sawPing: boolean;
  sawHttp: boolean;
}

function finishAttempt(a: AttemptBuilder): Attempt {
  const blocked = a.error === null ? null : BLOCKED.exec(a.error);
  return {
    reference: a.reference,
    error: a.error,
    blockedBy: blocked === null ? null : blocked[1]!,
    insecure: a.sawPing ? a.sawHttp : null,
  };
}

/** Follows the per-source lines of c/image's `newImageSource` loop. */
class AttemptTracker {
  readonly attempts: Attempt[] = [];
  private current: AttemptBuilder | null = null;

  /** Returns true when the entry belonged to the attempt loop. */
  feed(entry: LogEntry): boolean {
    const trying = TRYING.exec(entry.msg);
    if (trying !== null) {
      this.flush();
      this.current = { reference: trying[1]!, error: null, sawPing: false, sawHttp: false };
      return true;
    }
    const failed = FAILED.exec(entry.msg);
    if (failed !== null && this.current !== null) {
      this.current.error = failed[2]!;
      this.flush();
      return true;
    }
    if (this.current !== null && entry.msg.startsWith('GET ') && entry.msg.includes('/v2/')) {
      this.current.sawPing = true;
      if (entry.msg.startsWith('GET http://')) this.current.sawHttp = true;
    }
    return false;
  }

  flush(): void {
    if (this.current !== null) this.attempts.push(finishAttempt(this.current));
    this.current = null;
  }
}

export function parseSkopeoLog(input: string, exitCode: number, lines: readonly string[]): SkopeoRun {
  const tracker = new AttemptTracker();
  const loaded: string[] = [];
  let fatal: string | null = null;
  for (const line of lines) {
    const entry = parseLogLine(line);
    if (entry === null) continue;
    if (entry.level === 'fatal') fatal = entry.msg;
    const load = /^Loading registries configuration "(.*)"$/.exec(entry.msg);
    if (load !== null) loaded.push(load[1]!);
    tracker.feed(entry);
  }
  tracker.flush();
  const attempts = tracker.attempts;
  return { input, exitCode, failure: classify(input, fatal, attempts), loaded, attempts, fatal, log: lines };
}

function classify(input: string, fatal: string | null, attempts: readonly Attempt[]): FailureKind | null {
  if (fatal === null) return null;
  const cause = causeOf(input, fatal);
  if (cause.startsWith('loading registries configuration')) return 'config';
  if (cause.startsWith('rewriting reference') || cause.startsWith('invalid prefix')) return 'rewrite';
  if (attempts.length === 0) return 'reference';
  return attempts.at(-1)!.blockedBy !== null ? 'blocked' : 'unreachable';
}

function causeOf(input: string, fatal: string): string {
  const wrapper = `Error parsing image name ${JSON.stringify(`docker://${input}`)}: `;
  return fatal.startsWith(wrapper) ? fatal.slice(wrapper.length) : fatal;
}

const CANDIDATE = /^Attempting to pull candidate (\S+) for /;
const CANDIDATE_ERROR = /^Error pulling candidate (\S+): ([\s\S]*)$/;
const DESCRIPTION =
  /^(Resolved ".*" as an alias \(.*\)|Resolving ".*" using unqualified-search registries \(.*\))$/;

export function parsePodmanLog(input: string, exitCode: number, lines: readonly string[]): PodmanRun {
  const candidates: { image: string; tracker: AttemptTracker; error: string | null }[] = [];
  let description: string | null = null;
  let errorLines: string[] | null = null;
  for (const line of lines) {
    if (errorLines !== null) {
      errorLines.push(line);
      continue;
    }
    if (line.startsWith('Error: ')) {
      errorLines = [line.slice('Error: '.length)];
      continue;
    }
    const entry = parseLogLine(line);
    if (entry === null) continue;
    const started = CANDIDATE.exec(entry.msg);
    if (started !== null) {
      candidates.push({ image: started[1]!, tracker: new AttemptTracker(), error: null });
      continue;
    }
    const current = candidates.at(-1);
    const failed = CANDIDATE_ERROR.exec(entry.msg);
    if (failed !== null && current !== undefined) {
      current.error = failed[2]!;
      continue;
    }
    if (DESCRIPTION.test(entry.msg)) description = entry.msg;
    current?.tracker.feed(entry);
  }
  return {
    input,
    exitCode,
    description,
    candidates: candidates.map((c) => {
      c.tracker.flush();
      return { image: c.image, attempts: c.tracker.attempts, error: c.error };
    }),
    error: errorLines === null ? null : errorLines.join('\n').trimEnd(),
    log: lines,
  };
}

interface BatchOutput {
  readonly input: string;
  readonly exitCode: number;
  readonly lines: string[];
}

function splitBatch(stdout: string): BatchOutput[] {
  const runs: BatchOutput[] = [];
  let current: { input: string; lines: string[] } | null = null;
  for (const line of stdout.split('\n')) {
    if (line.startsWith(`${BEGIN} `)) {
      current = { input: line.slice(BEGIN.length + 1), lines: [] };
    } else if (line.startsWith(`${END} `) && current !== null) {
      runs.push({ input: current.input, exitCode: Number(line.slice(END.length + 1)), lines: current.lines });
      current = null;
    } else if (current !== null) {
      current.lines.push(line);
    }
  }
  return runs;
}

// Runs `"$@"`-quoted tool invocations, one per input, inside one namespace. The inputs travel as
// positional arguments, so no reference is ever interpreted by the shell.
const SCRIPT = `
set -u
root=$1; shift; tool=$1; shift; work=$1; shift
mount --bind "$root/etc/containers" /etc/containers || exit 97
mount --bind "$root/var/cache" /var/cache || exit 97
mount -t tmpfs tmpfs /run || exit 97
mount -t tmpfs tmpfs /dev/shm || exit 97
for ref in "$@"; do
  echo "${BEGIN} $ref"
  if [ "$tool" = skopeo ]; then
    skopeo --debug inspect --raw "docker://$ref" </dev/null >/dev/null 2>"$work/log"; rc=$?
  else
    podman --root "$work/storage" --runroot "$work/runroot" --tmpdir "$work/tmp" --storage-driver vfs \\
      --log-level debug pull "$ref" </dev/null >/dev/null 2>"$work/log"; rc=$?
  fi
  cat "$work/log"
  echo "${END} $rc"
done
`;

async function runBatch(
  tool: 'skopeo' | 'podman',
  rootDir: string,
  inputs: readonly string[],
): Promise<BatchOutput[]> {
  if (inputs.length === 0) return [];
  for (const input of inputs) {
    if (input.includes('\n')) throw new Error(`oracle inputs are single lines: ${JSON.stringify(input)}`);
  }
  const policy = path.join(rootDir, 'etc/containers/policy.json');
  if (!existsSync(policy)) await writeRoot(rootDir, { 'etc/containers/policy.json': POLICY_ACCEPT_ALL });
  await mkdir(path.join(rootDir, 'var/cache'), { recursive: true });
  const work = await mkdtemp(path.join(os.tmpdir(), `oracle-${tool}-`));
  const home = path.join(work, 'home');
  await mkdir(home);
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        'unshare',
        ['-m', '-n', 'sh', '-c', SCRIPT, 'oracle', rootDir, tool, work, ...inputs],
        // A clean environment: no CONTAINERS_REGISTRIES_CONF, XDG_* or DOCKER_CONFIG from the caller.
        {
          env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: home, LANG: 'C' },
          maxBuffer: 256 * 1024 * 1024,
        },
        (err, out, stderr) => {
          if (err !== null && (err.code === 97 || !out.includes(END))) {
            reject(new Error(`${tool} oracle failed to start: ${err.message}\n${stderr}`));
          } else {
            resolve(out);
          }
        },
      );
    });
    const runs = splitBatch(stdout);
    if (runs.length !== inputs.length) {
      throw new Error(`${tool} oracle: expected ${inputs.length} runs, got ${runs.length}`);
    }
    return runs;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** `skopeo --debug inspect --raw docker://REF` for each reference, against the node root. */
export async function skopeoInspect(rootDir: string, refs: readonly string[]): Promise<SkopeoRun[]> {
  const runs = await runBatch('skopeo', rootDir, refs);
  return runs.map((r) => parseSkopeoLog(r.input, r.exitCode, r.lines));
}

/**
 * `podman --log-level debug pull NAME` for each name, against the node root, stdin not a terminal.
 * Avoid sources on localhost or IP literals: podman retries connection errors (not DNS errors) three
 * times with a one-second pause.
 */
export async function podmanPull(rootDir: string, names: readonly string[]): Promise<PodmanRun[]> {
  const runs = await runBatch('podman', rootDir, names);
  return runs.map((r) => parsePodmanLog(r.input, r.exitCode, r.lines));
}

/** The cause inside skopeo's `Error parsing image name "docker://REF": CAUSE`. */
export function skopeoCause(run: SkopeoRun): string | null {
  return run.fatal === null ? null : causeOf(run.input, run.fatal);
}
