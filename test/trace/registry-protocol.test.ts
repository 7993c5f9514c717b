import { describe, expect, it } from 'vitest';
import { parseChallenge, parseChallenges, pullScope } from '../../src/core/registry-protocol/challenge.js';
import { parseErrorBody } from '../../src/core/registry-protocol/error-body.js';
import {
  MANIFEST_ACCEPT_HEADER,
  simplifyContentType,
} from '../../src/core/registry-protocol/manifest-types.js';
import { classifyManifestStatus, classifyTransport } from '../../src/core/registry-protocol/outcome.js';

describe('WWW-Authenticate', () => {
  it('parses Basic and Bearer challenges, scheme and keys lower-cased', () => {
    expect(parseChallenge('Basic realm="lab-basic-realm"')).toEqual({
      scheme: 'basic',
      params: { realm: 'lab-basic-realm' },
    });
    expect(
      parseChallenge(
        'Bearer realm="http://127.0.0.1:1/token",Service="reg",scope="repository:lab/hello:pull",error="insufficient_scope"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'http://127.0.0.1:1/token',
        service: 'reg',
        scope: 'repository:lab/hello:pull',
        error: 'insufficient_scope',
      },
    });
  });

  it('accepts unquoted tokens and escaped quotes, stops at the first malformed parameter', () => {
    expect(parseChallenge('Bearer realm=simple, service="a\\"b"')?.params).toEqual({
      realm: 'simple',
      service: 'a"b',
    });
    expect(parseChallenge('Bearer realm="x", broken, service="y"')?.params).toEqual({ realm: 'x' });
    expect(parseChallenge('Bearer realm="unterminated')?.params).toEqual({});
  });

  it('one challenge per header line; a line without a scheme is dropped', () => {
    expect(parseChallenges(['Basic realm="a"', '', 'Bearer realm="b"']).map((c) => c.scheme)).toEqual([
      'basic',
      'bearer',
    ]);
  });

  it('asks tokens for repository:PATH:pull', () => {
    expect(pullScope('lab/hello')).toBe('repository:lab/hello:pull');
  });
});

describe('manifest requests', () => {
  it('sends containers/image Accept list, in its order, as one header', () => {
    expect(MANIFEST_ACCEPT_HEADER).toBe(
      'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.v1+prettyjws, application/vnd.docker.distribution.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json',
    );
    expect(simplifyContentType('application/json; charset=utf-8')).toBe('application/json');
  });

  it('reads registry error bodies defensively', () => {
    expect(
      parseErrorBody(
        '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}',
      ),
    ).toEqual([{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }]);
    expect(parseErrorBody('404 page not found')).toEqual([]);
    expect(parseErrorBody('{"errors": 5}')).toEqual([]);
    expect(parseErrorBody('{"errors":[null, 3, {"code": 7}]}')).toEqual([{ code: '', message: '' }]);
  });
});

describe('outcome classification', () => {
  const base = { challenges: [], errors: [], credentialsFound: false, reference: 'r.example/a:1' };
  it('maps statuses to the stable outcome codes', () => {
    expect(classifyManifestStatus({ ...base, status: 200 }).outcome).toBe('found');
    expect(classifyManifestStatus({ ...base, status: 404 }).outcome).toBe('manifest-unknown');
    expect(classifyManifestStatus({ ...base, status: 401 }).outcome).toBe('unauthorized');
    expect(classifyManifestStatus({ ...base, status: 403 }).outcome).toBe('denied');
    expect(classifyManifestStatus({ ...base, status: 500 }).outcome).toBe('error');
    expect(classifyManifestStatus({ ...base, status: 429 }).reason).toContain('too many requests');
  });

  it('insufficient_scope is "denied", as containers/image reports it', () => {
    const c = classifyManifestStatus({
      ...base,
      status: 401,
      challenges: [{ scheme: 'bearer', params: { error: 'insufficient_scope', scope: 'repository:a:pull' } }],
    });
    expect(c.outcome).toBe('denied');
    expect(c.reason).toContain('requested access to the resource is denied');
  });

  it('says whether credentials were found on 401', () => {
    expect(classifyManifestStatus({ ...base, status: 401 }).reason).toContain('no credentials were found');
    expect(classifyManifestStatus({ ...base, status: 401, credentialsFound: true }).reason).toContain(
      'rejected the credentials',
    );
  });

  it('maps transport failures', () => {
    const ctx = { host: 'h:1', caFiles: [] };
    expect(classifyTransport({ code: 'ECONNREFUSED', message: 'refused' }, ctx).outcome).toBe('unreachable');
    expect(classifyTransport({ code: 'ENOTFOUND', message: 'dns' }, ctx).outcome).toBe('unreachable');
    expect(classifyTransport({ code: 'TIMEOUT', message: 'slow' }, ctx).outcome).toBe('timeout');
    const tls = classifyTransport(
      { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', message: 'unable to verify the first certificate' },
      ctx,
    );
    expect(tls.outcome).toBe('tls-untrusted');
    expect(tls.reason).toContain('no CA in certs.d for h:1');
    expect(
      classifyTransport({ code: 'TOO_MANY_REDIRECTS', message: 'stopped after 10 redirects' }, ctx).outcome,
    ).toBe('error');
  });
});
