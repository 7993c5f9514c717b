// mirror-credentials-only-in-pod-secret, from the parts: which sources get the kubelet's credentials
// (CRI-O server/image_pull.go sets DockerAuthConfig from the CRI auth when it has a username, the
// same at v1.25.0 315a0cb5, v1.29.0 d59bbdc2, v1.34.0 d91a4497, v1.35.0 92c18a2e and v1.36.0
// d1e7bdc8; containers/image docker_image_src.go newImageSourceAttempt, vendored alike in all of
// them, drops it when Domain(physical) != Domain(logical)), what the node's auth file holds, and
// what the pod's secrets hold.
import { describe, expect, it } from 'vitest';
import { parseAuthFile } from '../../src/core/credentials/auth-file.js';
import { lookupCredentials, type AuthFileSlot } from '../../src/core/credentials/lookup.js';
import {
  sourceCredentials,
  type SourceCredentialStatus,
} from '../../src/core/credentials/source-credentials.js';
import {
  podSecretFindings,
  type PodSecretInput,
  type SecretKeys,
} from '../../src/core/diagnose/pod-secret-credentials.js';
import { assembleRegistriesConfig } from '../../src/core/registries/assemble.js';
import { Resolver } from '../../src/core/resolve/resolver.js';

const CONF = `
[[registry]]
prefix = "quay.example/team"
location = "quay.example/team"
[[registry.mirror]]
location = "mirror.lab:5000/team"
[[registry.mirror]]
location = "quay.example/cache/team"
`;
const AUTH = '/var/lib/kubelet/config.json';
const IMAGE = 'quay.example/team/app:1.0';

function resolver() {
  return new Resolver(
    assembleRegistriesConfig({ main: { path: '/etc/containers/registries.conf', text: CONF }, dropIns: [] }),
  );
}

function statuses(authDoc: unknown, visible = true): SourceCredentialStatus[] {
  const slot: AuthFileSlot = {
    path: AUTH,
    file: parseAuthFile({ path: AUTH, text: JSON.stringify(authDoc) }),
  };
  return sourceCredentials(
    resolver().resolve(IMAGE),
    (name) => lookupCredentials(name, [], [slot]),
    visible
      ? { ok: true, reason: '', searched: AUTH }
      : { ok: false, reason: 'the agent cannot see /var/lib/kubelet', searched: AUTH },
  );
}

const auth = (u: string) => ({ auth: Buffer.from(`${u}:pw`).toString('base64') });

describe('which sources get the kubelet credentials, and the node auth file', () => {
  it('sends the kubelet credentials only to sources on the requested domain', () => {
    const s = statuses({ auths: { 'quay.example': auth('node') } });
    expect(s.map((x) => [x.reference, x.kubeletCredentials, x.nodeAuth])).toEqual([
      ['mirror.lab:5000/team/app', false, 'none'],
      // A mirror on the requested registry's domain gets the kubelet's credentials.
      ['quay.example/cache/team/app', true, 'found'],
      ['quay.example/team/app', true, 'found'],
    ]);
  });

  it('cannot tell when the agent cannot see the auth file', () => {
    const s = statuses({ auths: {} }, false);
    expect(s.every((x) => x.nodeAuth === 'unknown')).toBe(true);
  });
});

function input(
  sources: SourceCredentialStatus[],
  secrets: Record<string, SecretKeys>,
  extra: Partial<PodSecretInput> = {},
): PodSecretInput {
  return {
    pods: [
      {
        namespace: 'shop',
        name: 'app-1',
        node: 'node-a',
        images: [IMAGE],
        pullSecrets: ['regcred', 'other'],
      },
      { namespace: 'shop', name: 'app-2', node: 'node-b', images: [IMAGE], pullSecrets: ['regcred'] },
    ],
    images: () => [{ image: IMAGE, pullable: false, source: null, sources }],
    secret: (ns, name) => secrets[`${ns}/${name}`],
    openshift: true,
    ...extra,
  };
}

describe('mirror-credentials-only-in-pod-secret', () => {
  const nodeHasNone = statuses({ auths: { 'quay.example': auth('node') } });

  it('is raised when the pod secret has the mirror and the node auth file does not', () => {
    const found = podSecretFindings(
      input(nodeHasNone, { 'shop/regcred': { state: 'keys', keys: ['mirror.lab:5000', 'quay.example'] } }),
    );
    expect(found).toHaveLength(1);
    const f = found[0]!;
    expect(f).toMatchObject({
      id: 'mirror-credentials-only-in-pod-secret',
      host: 'mirror.lab:5000',
      image: IMAGE,
      scope: 'mirror.lab:5000/team/app',
      nodes: ['node-a', 'node-b'],
    });
    expect(f.message).toContain('shop/app-1, shop/app-2');
    expect(f.message).toContain('shop/regcred ("mirror.lab:5000")');
    expect(f.message).toContain('only for sources on quay.example');
    expect(f.fix).toContain('oc set data secret/pull-secret -n openshift-config');
    expect(f.message).toContain('it is asked without credentials (the agents have not probed it)');
    const probed = podSecretFindings({
      ...input(nodeHasNone, { 'shop/regcred': { state: 'keys', keys: ['mirror.lab:5000'] } }),
      hostOutcome: (_node, host) => (host === 'mirror.lab:5000' ? 'unauthorized' : 'found'),
    });
    expect(probed[0]!.message).toMatch(/: it answers unauthorized \(the agents' probes\)\.$/);
    const elsewhere = podSecretFindings({
      ...input(nodeHasNone, { 'shop/regcred': { state: 'keys', keys: ['mirror.lab:5000'] } }),
      openshift: false,
    });
    expect(elsewhere[0]!.fix).toContain('/var/lib/kubelet/config.json');
    expect(elsewhere[0]!.fix).not.toContain('oc set data');
  });

  it('is not raised when the node auth file has the mirror too', () => {
    const both = statuses({ auths: { 'quay.example': auth('node'), 'mirror.lab:5000': auth('node') } });
    expect(
      podSecretFindings(input(both, { 'shop/regcred': { state: 'keys', keys: ['mirror.lab:5000'] } })),
    ).toEqual([]);
  });

  it('is not raised for a source that gets the kubelet credentials, nor past the source that serves', () => {
    const keys: SecretKeys = { state: 'keys', keys: ['quay.example/cache', 'mirror.lab:5000'] };
    const noneAnywhere = statuses({ auths: {} });
    const raised = podSecretFindings(input(noneAnywhere, { 'shop/regcred': keys }));
    expect(raised.map((f) => f.host)).toEqual(['mirror.lab:5000']);
    // The node pulls from the first mirror anonymously: nothing to say.
    const served = podSecretFindings(
      input(
        noneAnywhere,
        { 'shop/regcred': keys },
        {
          images: () => [
            { image: IMAGE, pullable: true, source: 'mirror.lab:5000/team/app:1.0', sources: noneAnywhere },
          ],
        },
      ),
    );
    expect(served).toEqual([]);
  });

  it('says "cannot tell" for a secret it may not read, and nothing when the node file is unknown', () => {
    const forbidden = podSecretFindings(
      input(nodeHasNone, {
        'shop/regcred': { state: 'unreadable', reason: 'reading it is forbidden' },
        'shop/other': { state: 'absent' },
      }),
    );
    expect(forbidden.map((f) => f.id)).toEqual(['pod-pull-secret-unreadable']);
    expect(forbidden[0]!.message).toMatch(
      /^Cannot tell whether pull secret shop\/regcred .*mirror\.lab:5000.*forbidden/,
    );
    const unknown = statuses({ auths: {} }, false);
    expect(
      podSecretFindings(input(unknown, { 'shop/regcred': { state: 'keys', keys: ['mirror.lab:5000'] } })),
    ).toEqual([]);
  });
});
