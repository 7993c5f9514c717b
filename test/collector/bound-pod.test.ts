// The node a bound token proves, read with the production client-node calls against the fake API:
// the TokenReview's node-name when the API server gives it, else the bound pod's spec.nodeName
// (fetched by name, checked by uid, cached), and "unbound" for a token that names no pod.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PodBoundNodes } from '../../src/kube/bound-pod.js';
import { loadKubeClients } from '../../src/kube/kube-clients.js';
import type { ReviewedUser } from '../../src/kube/token-review.js';
import { FakeKubeApi, podObject } from '../support/fake-kube-api.js';

const SA = 'system:serviceaccount:mirrorscope:mirrorscope-agent';
let api: FakeKubeApi;
let nodes: PodBoundNodes;

function user(extra: Record<string, string[]>, username = SA): ReviewedUser {
  return { username, groups: [], audiences: ['mirrorscope'], extra };
}

const pod = (name: string, uid = `uid-pods-${name}`) => ({
  'authentication.kubernetes.io/pod-name': [name],
  'authentication.kubernetes.io/pod-uid': [uid],
});

beforeAll(async () => {
  api = await new FakeKubeApi().start();
  api.upsert('pods', podObject('mirrorscope', 'agent-x', 'worker-7', { containers: ['quay.example/a:1'] }));
  api.upsert('pods', { ...podObject('mirrorscope', 'pending', '', { containers: ['quay.example/a:1'] }) });
  nodes = new PodBoundNodes(loadKubeClients(api.writeKubeconfig()).core);
});

afterAll(() => api?.stop());

describe('the node a bound service-account token proves', () => {
  it('is the node-name the TokenReview gives, without reading the pod', async () => {
    expect(
      await nodes.nodeOf(user({ 'authentication.kubernetes.io/node-name': ['worker-1'], ...pod('agent-x') })),
    ).toEqual({ kind: 'node', node: 'worker-1' });
    expect(api.count('GET', '/api/v1/namespaces/mirrorscope/pods/agent-x')).toBe(0);
  });

  it("else the bound pod's spec.nodeName, read once and then cached", async () => {
    expect(await nodes.nodeOf(user(pod('agent-x')))).toEqual({ kind: 'node', node: 'worker-7' });
    expect(await nodes.nodeOf(user(pod('agent-x')))).toEqual({ kind: 'node', node: 'worker-7' });
    expect(api.count('GET', '/api/v1/namespaces/mirrorscope/pods/agent-x')).toBe(1);
  });

  it('refuses a pod that is gone, was replaced (other uid) or is not scheduled', async () => {
    expect(await nodes.nodeOf(user(pod('agent-gone')))).toEqual({
      kind: 'refused',
      reason: "the token's pod mirrorscope/agent-gone does not exist",
    });
    expect(await nodes.nodeOf(user(pod('agent-x', 'uid-earlier')))).toMatchObject({ kind: 'refused' });
    expect(await nodes.nodeOf(user(pod('pending')))).toMatchObject({
      kind: 'refused',
      reason: expect.stringContaining('not scheduled') as string,
    });
  });

  it('is none for a token bound to no pod, or of a user that is no service account', async () => {
    expect(await nodes.nodeOf(user({}))).toEqual({ kind: 'unbound' });
    expect(await nodes.nodeOf(user(pod('agent-x'), 'alice'))).toEqual({ kind: 'unbound' });
  });

  it('lets an API failure through (the caller answers 503), and does not cache it', async () => {
    api.failNext('/api/v1/namespaces/mirrorscope/pods/', 500);
    await expect(nodes.nodeOf(user(pod('pending', 'uid-other')))).rejects.toThrow();
  });
});
