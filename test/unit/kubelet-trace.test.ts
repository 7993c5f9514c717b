// A pod's pull as the kubelet makes it (kuberuntime_image.go pullImage): one PullImage per
// credential, the pod's first, then the node keyring's, until one pulls; and which sources get them
// (CRI-O v1.25.0 315a0cb5 … v1.36.0 d1e7bdc8 server/image_pull.go; containers/image
// docker_image_src.go newImageSourceAttempt: only sources on the requested image's domain).
import { describe, expect, it } from 'vitest';
import { traceAsKubelet } from '../../src/agent/kubelet-trace.js';
import { parseAuthFile } from '../../src/core/credentials/auth-file.js';
import { Credentials } from '../../src/core/credentials/secret.js';
import { sourceLookup, type CriAuth } from '../../src/trace/cri-credentials.js';
import type { TraceContext } from '../../src/trace/context.js';
import type { TraceResult } from '../../src/trace/types.js';

const KUBELET = '/var/lib/kubelet/config.json';
const auth = (u: string, p: string) => ({ auth: Buffer.from(`${u}:${p}`).toString('base64') });

function context(path: string, doc: unknown): TraceContext {
  const slot = { path, file: parseAuthFile({ path, text: JSON.stringify(doc) }) };
  return {
    authFile: { path, why: 'test', external: false },
    authSlot: slot,
    authSlots: [slot],
    credentialHelpers: [],
  } as unknown as TraceContext;
}

function result(outcome: 'pulled' | 'failed'): TraceResult {
  return {
    image: 'quay.example/team/app:1',
    steps: [],
    sources: [],
    result: { outcome, source: null, digest: null, reason: outcome, signature: null },
    error: null,
  };
}

const pod = [{ secret: 'shop/regcred', key: 'quay.example/team', username: 'pod', password: 'pw' }];

describe('the kubelet attempts', () => {
  it('tries the pod credential, then the node keyring, and stops at the first that pulls', async () => {
    const seen: (string | null)[] = [];
    const outcomes = ['failed', 'pulled', 'pulled'] as const;
    const traced = await traceAsKubelet(
      'quay.example/team/app:1',
      pod,
      context(KUBELET, { auths: { 'quay.example': auth('node', 'npw'), 'other.example': auth('x', 'y') } }),
      async (cri) => {
        seen.push(cri === null ? null : cri.credentials.reveal().username);
        return result(outcomes[seen.length - 1]!);
      },
    );
    expect(seen).toEqual(['pod', 'node']);
    expect(traced.kubelet.attempts).toEqual([
      {
        credentials: 'pull secret shop/regcred, key "quay.example/team"',
        outcome: 'failed',
        reason: 'failed',
      },
      {
        credentials: `node keyring ${KUBELET}, key "quay.example"`,
        outcome: 'pulled',
        reason: 'pulled',
      },
    ]);
    expect(JSON.stringify(traced)).not.toContain('npw');
  });

  it('pulls once without credentials when nothing matches, and says whose keyring it did not read', async () => {
    const seen: (CriAuth | null)[] = [];
    const traced = await traceAsKubelet(
      'quay.example/team/app:1',
      [],
      context('/etc/crio/auth.json', { auths: {} }),
      async (cri) => {
        seen.push(cri);
        return result('failed');
      },
    );
    expect(seen).toEqual([null]);
    expect(traced.kubelet.notes.join('\n')).toContain('finds no credentials for quay.example/team/app');
    expect(traced.kubelet.notes.join('\n')).toContain(
      `the kubelet's own keyring (${KUBELET}) is not read here`,
    );
  });
});

describe('which sources get the kubelet credentials', () => {
  const ctx = context(KUBELET, { auths: { 'mirror.example': auth('node', 'npw') } });
  const cri: CriAuth = {
    credentials: new Credentials({ username: 'pod', password: 'pw', identityToken: '' }),
    from: 'pull secret shop/regcred, key "quay.example"',
  };

  it('uses them, and only them, on the requested domain', () => {
    const same = sourceLookup(ctx, 'quay.example/cache/app', 'quay.example', 'quay.example', cri);
    expect(same.lookup.credentials.reveal().username).toBe('pod');
    expect(same.text).toContain('never the auth file');
  });

  it('drops them for another domain, which gets the auth file', () => {
    const other = sourceLookup(ctx, 'mirror.example/app', 'mirror.example', 'quay.example', cri);
    expect(other.lookup.credentials.reveal().username).toBe('node');
    expect(other.text).toContain('drops them for a source on another domain than quay.example');
  });

  it('ignores credentials without a username, as CRI-O does', () => {
    const empty = {
      ...cri,
      credentials: new Credentials({ username: '', password: 'pw', identityToken: '' }),
    };
    const same = sourceLookup(ctx, 'quay.example/app', 'quay.example', 'quay.example', empty);
    expect(same.lookup.match).toBeNull();
    expect(same.text).toBe(`No credentials for quay.example/app found (searched ${KUBELET})`);
  });
});
