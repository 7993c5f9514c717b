// The collector's side of a trace for a pod, without a process: which secrets it reads, what it
// sends the agent, and that it refuses to send credentials over a link that is neither TLS nor loopback.
import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { podCredentialSource, PodPullSecrets } from '../../src/collector/pod-pull-secrets.js';
import { dockerConfigSecret } from '../support/fake-kube-api.js';

const pod: V1Pod = {
  metadata: { namespace: 'shop', name: 'app' },
  spec: {
    nodeName: 'node-a',
    containers: [],
    imagePullSecrets: [{ name: 'b' }, { name: '' }, { name: 'a' }, { name: 'locked' }],
  },
};

function secrets(): { core: ConstructorParameters<typeof PodPullSecrets>[0]; reads: string[] } {
  const reads: string[] = [];
  const store: Record<string, V1Secret> = {
    a: dockerConfigSecret('shop', 'a', { 'quay.example': { username: 'ua', password: 'pa' } }) as V1Secret,
    b: dockerConfigSecret('shop', 'b', {
      'quay.example/team': { username: 'ub', password: 'pb' },
      'mirror.example': { username: 'um', password: 'pm' },
    }) as V1Secret,
  };
  return {
    reads,
    core: {
      readNamespacedSecret: (({ name, namespace }: { name: string; namespace: string }) => {
        reads.push(`${namespace}/${name}`);
        if (name === 'locked')
          return Promise.reject(Object.assign(new Error('forbidden'), { code: 403, body: '', headers: {} }));
        return Promise.resolve(store[name]!);
      }) as ConstructorParameters<typeof PodPullSecrets>[0]['readNamespacedSecret'],
    },
  };
}

describe('credentials for a trace of a pod', () => {
  it('reads the named secrets and orders matches as the kubelet does', async () => {
    const { core, reads } = secrets();
    const source = podCredentialSource(
      new PodPullSecrets(core, { onChange: () => undefined, log: () => undefined }),
      () => pod,
      true,
    );
    const answer = await source('shop', 'app', 'quay.example/team/app:1');
    expect(reads).toEqual(['shop/b', 'shop/a', 'shop/locked']);
    if (!answer.ok) throw new Error(answer.message);
    expect(answer.credentials.map((c) => [c.secret, c.key, c.username])).toEqual([
      ['shop/b', 'quay.example/team', 'ub'],
      ['shop/a', 'quay.example', 'ua'],
    ]);
    expect(answer.used).toEqual([
      { secret: 'shop/b', key: 'quay.example/team' },
      { secret: 'shop/a', key: 'quay.example' },
    ]);
    expect(answer.notes.join('\n')).toContain(
      'cannot tell what pull secret shop/locked holds: reading it is forbidden',
    );
  });

  it('refuses to send credentials over a plain, non-loopback agent link', async () => {
    const { core, reads } = secrets();
    const source = podCredentialSource(
      new PodPullSecrets(core, { onChange: () => undefined, log: () => undefined }),
      () => pod,
      false,
    );
    const answer = await source('shop', 'app', 'quay.example/team/app:1');
    expect(answer).toMatchObject({ ok: false, status: 400 });
    expect(reads).toEqual([]);
  });
});
