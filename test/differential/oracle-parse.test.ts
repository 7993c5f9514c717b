// The oracle's log reading, on canned skopeo/podman debug output (no tools needed), so a change in
// the parser cannot silently turn every differential comparison into "nothing was tried".
import { describe, expect, it } from 'vitest';
import { parseLogLine, parsePodmanLog, parseSkopeoLog, skopeoCause, unquoteGo } from '../support/oracle.js';

const line = (level: string, msg: string): string =>
  `time="2026-11-23T12:40:09Z" level=${level} msg=${JSON.stringify(msg)}`;

describe('logrus lines', () => {
  it('unquotes Go strings, including escapes JSON does not have', () => {
    expect(unquoteGo('a \\"b\\"\\n\\x41\\u00e9\\\\')).toBe('a "b"\nAé\\');
    expect(parseLogLine(line('debug', 'Trying to access "q.io/a:1"'))).toEqual({
      level: 'debug',
      msg: 'Trying to access "q.io/a:1"',
    });
    expect(parseLogLine('Error: something')).toBeNull();
  });
});

describe('skopeo runs', () => {
  const ping = (host: string, scheme = 'https'): string => line('debug', `GET ${scheme}://${host}/v2/`);
  it('reads the attempts in order with their blocked and insecure outcome', () => {
    const run = parseSkopeoLog('example.com/foo/img:1', 1, [
      line('debug', 'Loading registries configuration "/etc/containers/registries.conf"'),
      line('debug', 'Trying to access "m1.example.net/x/img:1"'),
      ping('m1.example.net'),
      ping('m1.example.net', 'http'),
      line(
        'debug',
        'Accessing "m1.example.net/x/img:1" failed: pinging container registry m1.example.net: dial tcp: lookup',
      ),
      line('debug', 'Trying to access "blk.example.com/img:1"'),
      line(
        'debug',
        'Accessing "blk.example.com/img:1" failed: registry blk.example.com is blocked in /etc/containers/registries.conf or /home/.config/containers/registries.conf.d',
      ),
      line('debug', 'Trying to access "internal.example.com/bar/img:1"'),
      ping('internal.example.com'),
      line(
        'debug',
        'Accessing "internal.example.com/bar/img:1" failed: pinging container registry internal.example.com: …',
      ),
      line(
        'fatal',
        'Error parsing image name "docker://example.com/foo/img:1": (Mirrors also failed: …): internal.example.com/bar/img:1: pinging …',
      ),
    ]);
    expect(run.loaded).toEqual(['/etc/containers/registries.conf']);
    expect(run.attempts.map((a) => [a.reference, a.blockedBy, a.insecure])).toEqual([
      ['m1.example.net/x/img:1', null, true],
      ['blk.example.com/img:1', 'blk.example.com', null],
      ['internal.example.com/bar/img:1', null, false],
    ]);
    expect(run.failure).toBe('unreachable');
  });

  it('classifies failures before any attempt', () => {
    const fatal = (input: string, cause: string): ReturnType<typeof parseSkopeoLog> =>
      parseSkopeoLog(input, 1, [line('fatal', `Error parsing image name "docker://${input}": ${cause}`)]);
    const config = fatal(
      'q.io/a',
      'loading registries configuration: loading registries configuration "/etc/containers/registries.conf": invalid condition: mirror location is unset',
    );
    expect(config.failure).toBe('config');
    expect(skopeoCause(config)).toMatch(/^loading registries configuration: /);
    expect(fatal('q.io/a', 'rewriting reference: invalid reference format').failure).toBe('rewrite');
    expect(fatal('q.io/A', 'invalid reference format: repository name must be lowercase').failure).toBe(
      'reference',
    );
  });
});

describe('podman runs', () => {
  it('groups attempts by candidate and keeps the description and the final error', () => {
    const run = parsePodmanLog('app:1', 125, [
      line('debug', 'Trying "localhost/app:1" ...'),
      line('debug', 'Attempting to pull candidate quay.io/app:1 for app:1'),
      line('debug', 'Resolving "app" using unqualified-search registries (/etc/containers/registries.conf)'),
      'Resolving "app" using unqualified-search registries (/etc/containers/registries.conf)',
      line('debug', 'Trying to access "quay.io/app:1"'),
      line('debug', 'Accessing "quay.io/app:1" failed: pinging container registry quay.io: …'),
      line(
        'debug',
        'Error pulling candidate quay.io/app:1: initializing source docker://quay.io/app:1: pinging …',
      ),
      line('debug', 'Attempting to pull candidate docker.io/library/app:1 for app:1'),
      line('debug', 'Trying to access "mirror.example.net/library/app:1"'),
      line('debug', 'Accessing "mirror.example.net/library/app:1" failed: …'),
      line('debug', 'Trying to access "docker.io/library/app:1"'),
      line('debug', 'Accessing "docker.io/library/app:1" failed: …'),
      'Error: 2 errors occurred while pulling:',
      ' * initializing source docker://quay.io/app:1: pinging …',
      ' * initializing source docker://app:1: pinging …',
    ]);
    expect(run.description).toBe(
      'Resolving "app" using unqualified-search registries (/etc/containers/registries.conf)',
    );
    expect(run.candidates.map((c) => [c.image, c.attempts.map((a) => a.reference)])).toEqual([
      ['quay.io/app:1', ['quay.io/app:1']],
      ['docker.io/library/app:1', ['mirror.example.net/library/app:1', 'docker.io/library/app:1']],
    ]);
    expect(run.candidates[0]!.error).toMatch(/^initializing source docker:\/\/quay.io\/app:1/);
    expect(run.error).toMatch(/^2 errors occurred while pulling:\n \* initializing/);
  });
});
