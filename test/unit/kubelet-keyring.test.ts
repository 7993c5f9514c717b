// The kubelet's keyring for a pod's pull secrets, against kubernetes pkg/credentialprovider at
// 09284d926ccb (secrets/secrets.go MakeDockerKeyring) and keyring.go 4f3d0e3b (Add, Lookup,
// urlsMatch): reverse-sorted keys across every secret, every match in order, Docker Hub fallback.
import { describe, expect, it } from 'vitest';
import {
  kubeletCredentialsFor,
  kubeletKey,
  kubeletKeyMatches,
  parsePullSecret,
  type ParsedPullSecret,
} from '../../src/core/credentials/kubelet-keyring.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function secret(name: string, auths: Record<string, unknown>, type = 'kubernetes.io/dockerconfigjson') {
  const field = type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
  const doc = field === '.dockercfg' ? auths : { auths };
  return { name, type, data: { [field]: b64(JSON.stringify(doc)) } };
}

function ok(p: ParsedPullSecret | null) {
  if (p === null || !p.ok) throw new Error(`expected a parsed secret, got ${JSON.stringify(p)}`);
  return p;
}

const user = (e: { credentials: { reveal(): { username: string; password: string } } }) =>
  `${e.credentials.reveal().username}:${e.credentials.reveal().password}`;

describe('kubelet keys', () => {
  it('drops the scheme and a /v1/ or /v2/ path, keeps a repository path', () => {
    expect(kubeletKey('https://index.docker.io/v1/')).toBe('index.docker.io');
    expect(kubeletKey('http://mirror.example:5000/v2/')).toBe('mirror.example:5000');
    expect(kubeletKey('mirror.example:5000/team')).toBe('mirror.example:5000/team');
    expect(kubeletKey('mirror.example/v2/team/app')).toBe('mirror.example/team/app');
  });

  it('matches labels by glob, ports exactly, and paths as plain string prefixes', () => {
    expect(kubeletKeyMatches('*.example.com', 'a.example.com/x')).toBe(true);
    expect(kubeletKeyMatches('*.example.com', 'a.b.example.com/x')).toBe(false);
    expect(kubeletKeyMatches('mirror.example', 'mirror.example:5000/x')).toBe(false);
    expect(kubeletKeyMatches('mirror.example:5000', 'mirror.example:5000/x')).toBe(true);
    // No "/" boundary: host/team also matches host/teamx.
    expect(kubeletKeyMatches('mirror.example/team', 'mirror.example/teamx/app')).toBe(true);
    expect(kubeletKeyMatches('mirror.example/team', 'mirror.example/other/app')).toBe(false);
  });
});

describe('pull secrets as the kubelet reads them', () => {
  it('reads auth over username/password, and dockercfg secrets too', () => {
    const json = ok(
      parsePullSecret(
        secret('shop/a', {
          'mirror.example:5000': { username: 'ignored', password: 'ignored', auth: b64('u1:p1') },
          'quay.example': { username: 'u2', password: 'p2' },
        }),
      ),
    );
    expect(json.entries.map((e) => [e.key, user(e)])).toEqual([
      ['mirror.example:5000', 'u1:p1'],
      ['quay.example', 'u2:p2'],
    ]);
    const cfg = ok(
      parsePullSecret(
        secret('shop/b', { 'https://mirror.example/v1/': { auth: b64('u3:p3') } }, 'kubernetes.io/dockercfg'),
      ),
    );
    expect(cfg.entries.map((e) => [e.key, user(e)])).toEqual([['mirror.example', 'u3:p3']]);
  });

  it('skips other secret types and empty data, as the kubelet does', () => {
    expect(
      parsePullSecret({ name: 'shop/tls', type: 'kubernetes.io/tls', data: { 'tls.crt': 'AA==' } }),
    ).toBeNull();
    expect(parsePullSecret({ name: 'shop/e', type: 'kubernetes.io/dockerconfigjson', data: {} })).toBeNull();
  });

  it('fails a secret it cannot decode without quoting it', () => {
    const planted = 'PLANTED-k3yr1ng-s3cret';
    const bad = {
      name: 'shop/bad',
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': b64(`{"auths":{"x":{"auth":"${planted}`) },
    };
    const parsed = parsePullSecret(bad)!;
    expect(parsed.ok).toBe(false);
    expect(JSON.stringify(parsed)).not.toContain(planted);
    const noColon = parsePullSecret(secret('shop/c', { 'mirror.example': { auth: b64(planted) } }))!;
    expect(noColon).toMatchObject({ ok: false });
    expect(JSON.stringify(noColon)).not.toContain(planted);
    expect(
      JSON.stringify(
        ok(parsePullSecret(secret('shop/d', { 'mirror.example': { auth: b64(`u:${planted}`) } }))),
      ),
    ).not.toContain(planted);
  });
});

describe('the credentials the kubelet sends, in order', () => {
  const a = ok(
    parsePullSecret(
      secret('shop/a', {
        'quay.example': { auth: b64('host:1') },
        'quay.example/team': { auth: b64('team:1') },
      }),
    ),
  );
  const b = ok(
    parsePullSecret(
      secret('shop/b', {
        'quay.example/team/app': { auth: b64('app:1') },
        'quay.example': { auth: b64('host:2') },
      }),
    ),
  );

  it('gives every matching key, most specific (reverse byte order) first, across secrets', () => {
    expect(kubeletCredentialsFor([a, b], 'quay.example/team/app').map(user)).toEqual([
      'app:1',
      'team:1',
      'host:1',
      'host:2',
    ]);
    expect(kubeletCredentialsFor([a, b], 'mirror.example/team/app')).toEqual([]);
  });

  it('falls back to index.docker.io for a Docker Hub image only', () => {
    const hub = ok(
      parsePullSecret(secret('shop/hub', { 'https://index.docker.io/v1/': { auth: b64('hub:1') } })),
    );
    expect(kubeletCredentialsFor([hub], 'docker.io/library/busybox').map(user)).toEqual(['hub:1']);
    expect(kubeletCredentialsFor([hub], 'quay.example/library/busybox')).toEqual([]);
  });
});
