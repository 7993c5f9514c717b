import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAuthFile } from '../../src/core/credentials/auth-file.js';
import {
  authKeyLookupOrder,
  describeLookup,
  lookupCredentials,
  normalizeAuthFileKey,
  validateKey,
  type AuthFileSlot,
} from '../../src/core/credentials/lookup.js';
import { MirrorscopeError } from '../../src/core/errors.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const slot = (path: string, doc: unknown, legacy = false): AuthFileSlot => ({
  path,
  file: parseAuthFile({ path, text: JSON.stringify(doc, null, 2) }, { legacy }),
});

describe('auth key lookup order (containers/image authKeyLookupOrder)', () => {
  it('walks the repository path down to the host', () => {
    expect(authKeyLookupOrder('quay.io/a/b/img', 'quay.io', false)).toEqual([
      'quay.io/a/b/img',
      'quay.io/a/b',
      'quay.io/a',
      'quay.io',
    ]);
  });
  it('uses only the host for legacy files', () => {
    expect(authKeyLookupOrder('quay.io/a/img', 'quay.io', true)).toEqual(['quay.io']);
  });
});

describe('lookupCredentials', () => {
  const file = slot('/var/lib/kubelet/config.json', {
    auths: {
      'quay.io': { auth: b64('hostuser:hostpass') },
      'quay.io/team': { auth: b64('teamuser:teampass') },
      'registry.example.com/hidden': {},
      'registry.example.com': { auth: b64('never:used') },
      'https://index.docker.io/v1/': { auth: b64('hub:hubpass') },
      'http://localhost:5003/v1/': { auth: b64('local:pass') },
    },
  });

  it('prefers the most specific repository key', () => {
    const r = lookupCredentials('quay.io/team/app', [], [file]);
    expect(r.match).toEqual({ file: '/var/lib/kubelet/config.json', key: 'quay.io/team' });
    expect(r.credentials.reveal()).toMatchObject({ username: 'teamuser', password: 'teampass' });
  });

  it('falls back to the host key', () => {
    expect(lookupCredentials('quay.io/other/app', [], [file]).match?.key).toBe('quay.io');
  });

  it('an existing but empty key hides the broader ones (first existing key wins)', () => {
    const r = lookupCredentials('registry.example.com/hidden/app', [], [file]);
    expect(r.match).toBeNull();
    expect(r.events).toContainEqual(
      expect.objectContaining({ kind: 'key-empty', key: 'registry.example.com/hidden' }),
    );
    expect(describeLookup(r)).toContain('hides any broader key');
  });

  it('matches docker.io through the normalised https://index.docker.io/v1/ key', () => {
    const r = lookupCredentials('docker.io/library/busybox', [], [file]);
    expect(r.match?.key).toBe('https://index.docker.io/v1/');
    expect(r.credentials.reveal().username).toBe('hub');
  });

  it('matches a host:port through a URL-shaped key', () => {
    expect(lookupCredentials('localhost:5003/ns/img', [], [file]).match?.key).toBe(
      'http://localhost:5003/v1/',
    );
  });

  it('says so when nothing matches, and when the file does not exist', () => {
    const none = lookupCredentials('nexus.example.com/repo/img', [], [file]);
    expect(none.match).toBeNull();
    expect(describeLookup(none)).toBe('No credentials for nexus.example.com/repo/img found');
    const missing = lookupCredentials('quay.io/a/b', [], [{ path: '/nope.json', file: null }]);
    expect(missing.match).toBeNull();
    expect(missing.events).toContainEqual({ kind: 'file-missing', file: '/nope.json' });
  });

  it('a credHelpers entry for the host takes the file over', () => {
    const withHelper = slot('/a.json', {
      auths: { 'quay.io': { auth: b64('u:p') } },
      credHelpers: { 'quay.io': 'ecr-login' },
    });
    const r = lookupCredentials('quay.io/a/b', [], [withHelper]);
    expect(r.match).toBeNull();
    expect(r.events[0]).toEqual({
      kind: 'cred-helper',
      file: '/a.json',
      helper: 'ecr-login',
      registry: 'quay.io',
    });
  });

  it('follows registries.conf credential-helpers order; the reserved containers-auth.json means the files', () => {
    const r = lookupCredentials('quay.io/a/b', ['secretservice', 'containers-auth.json'], [file]);
    expect(r.events[0]).toMatchObject({ kind: 'cred-helper', helper: 'secretservice', file: null });
    expect(r.match?.key).toBe('quay.io');
    const helpersOnly = lookupCredentials('quay.io/a/b', ['secretservice'], [file]);
    expect(helpersOnly.match).toBeNull();
  });

  it('searches legacy files by host only', () => {
    const legacy = slot(
      '/root/.dockercfg',
      { 'quay.io': { auth: b64('l:p') }, 'quay.io/team': { auth: b64('x:y') } },
      true,
    );
    expect(lookupCredentials('quay.io/team/app', [], [legacy]).match?.key).toBe('quay.io');
  });

  it('rejects keys containing a scheme, a digest or a tag', () => {
    expect(validateKey('https://quay.io/a')).toBe('key https://quay.io/a contains http[s]:// prefix');
    expect(validateKey('quay.io/a@sha256:00')).toContain("'@'");
    expect(validateKey('quay.io/a:tag')).toContain("':' character after host[:port]");
    expect(validateKey('localhost:5000/a')).toBeNull();
    expect(lookupCredentials('quay.io/a:tag', [], [file]).error).toContain("':'");
  });

  it('normalises auth file keys like containers/image', () => {
    expect(normalizeAuthFileKey('https://index.docker.io/v1/', false)).toBe('index.docker.io');
    expect(normalizeAuthFileKey('registry-1.docker.io', false)).toBe('index.docker.io');
    expect(normalizeAuthFileKey('quay.io/ns', false)).toBe('quay.io/ns');
    expect(normalizeAuthFileKey('quay.io/ns', true)).toBe('quay.io');
  });
});

describe('auth file parsing', () => {
  it('decodes user:password (password NULs trimmed), ignores top-level username/password', () => {
    const f = parseAuthFile({
      path: '/a.json',
      text: JSON.stringify({ auths: { h: { auth: b64('u:p:q\u0000'), username: 'x', password: 'y' } } }),
    });
    expect(f.auths[0]!.credentials.reveal()).toEqual({ username: 'u', password: 'p:q', identityToken: '' });
  });

  it('an auth value without ":" decodes to empty credentials with the reason', () => {
    const f = parseAuthFile({
      path: '/a.json',
      text: JSON.stringify({ auths: { h: { auth: b64('nocolon') } } }),
    });
    expect(f.auths[0]!.credentials.isEmpty).toBe(true);
    expect(f.auths[0]!.problem).toContain('no ":"');
  });

  it('keeps identity tokens only beside a valid user:password, as c/image decodeDockerAuth (v5.23.1, v5.36.1)', () => {
    const f = parseAuthFile({
      path: '/a.json',
      text: JSON.stringify({
        auths: {
          both: { auth: b64('<token>:'), identitytoken: 'tok' },
          alone: { identitytoken: 'tok' },
          nocolon: { auth: b64('x'), identitytoken: 'tok' },
        },
      }),
    });
    expect(f.auths[0]!.credentials.reveal()).toEqual({
      username: '<token>',
      password: '',
      identityToken: 'tok',
    });
    for (const e of f.auths.slice(1)) {
      expect(e.credentials.isEmpty).toBe(true);
      expect(e.problem).toMatch(/"identitytoken" is ignored/);
    }
  });

  it('an auth value that is not base64 fails the lookup that reaches it, as c/image does', () => {
    const file = parseAuthFile({
      path: '/a.json',
      text: JSON.stringify({ auths: { 'h/ns': { auth: 'not*base64' }, h: { auth: b64('u:p') } } }),
    });
    const bad = lookupCredentials('h/ns/img', [], [{ path: '/a.json', file }]);
    expect(bad.error).toMatch(
      /^getting username and password: illegal base64 data: the "auth" field of key "h\/ns"/,
    );
    expect(bad.error).not.toContain('not*base64');
    expect(lookupCredentials('h/other', [], [{ path: '/a.json', file }]).match?.key).toBe('h');
  });

  it('broken JSON is an error naming file and line, with the upstream text', () => {
    let error: unknown;
    try {
      parseAuthFile({
        path: '/var/lib/kubelet/config.json',
        text: '{\n  "auths": {\n    "h": { "auth": "x" },\n  }\n}',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MirrorscopeError);
    const e = error as MirrorscopeError;
    expect(e.code).toBe('config-invalid');
    expect(e.location).toEqual({ file: '/var/lib/kubelet/config.json', line: 4 });
    expect(e.upstream).toMatch(/^reading JSON file "\/var\/lib\/kubelet\/config.json"/);
  });

  it('a malformed pull secret gives position only: no character of the token in message or upstream', () => {
    const token = b64('robot:S3CR3T-t0ken-value');
    for (const text of [
      `{"auths": {"quay.io": {"auth": ${token}}}}`,
      `{"auths": {"quay.io": {"auth": "${token}" x}}}`,
      `{"auths": {"quay.io": {"auth": "${token}`,
      `{"auths": {"quay.io": {"identitytoken": "${token}\\q"}}}`,
      `"${token}"x`,
    ]) {
      let error: MirrorscopeError | undefined;
      try {
        parseAuthFile({ path: '/var/lib/kubelet/config.json', text });
      } catch (err) {
        error = err as MirrorscopeError;
      }
      expect(error?.location?.line).toBe(1);
      const shown = `${error!.message}\n${error!.upstream}\n${JSON.stringify(error)}`;
      expect(shown).toMatch(/column \d+/);
      for (let i = 0; i + 4 <= token.length; i++) expect(shown).not.toContain(token.slice(i, i + 4));
    }
  });

  it('a wrongly typed section is an error naming its line', () => {
    expect(() => parseAuthFile({ path: '/a.json', text: '{\n"auths": []\n}' })).toThrow(
      /\/a\.json:2: "auths" must be an object/,
    );
    expect(() => parseAuthFile({ path: '/a.json', text: '{"auths": {"h": {"auth": 5}}}' })).toThrow(
      /auths\["h"\]\.auth must be a string/,
    );
  });

  it('never shows a secret: JSON, inspect and String() are redacted', () => {
    const f = parseAuthFile({
      path: '/a.json',
      text: JSON.stringify({ auths: { h: { auth: b64('user:topsecret') } } }),
    });
    const lookup = lookupCredentials('h/x', [], [{ path: '/a.json', file: f }]);
    for (const text of [
      JSON.stringify(lookup),
      inspect(lookup, { depth: 10 }),
      String(lookup.credentials),
      JSON.stringify(f),
      describeLookup(lookup),
    ]) {
      expect(text).not.toContain('topsecret');
      expect(text).not.toContain(b64('user:topsecret'));
    }
  });
});
