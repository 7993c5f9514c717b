// The collector's what-if plan (pure) and the bounds of a trace-request's configuration override.
import { describe, expect, it } from 'vitest';
import { parseClusterObjects } from '../../src/core/mco/parse-objects.js';
import { CURRENT_MCO } from '../../src/core/mco/versions.js';
import { clusterChanges, tracedKey } from '../../src/core/what-if/cluster-changes.js';
import { planClusterWhatIf } from '../../src/core/what-if/cluster-plan.js';
import { applyProposal, NO_OBJECTS } from '../../src/core/what-if/proposal.js';
import {
  MAX_CONFIG_OVERRIDE_BYTES,
  parseCollectorMessage,
  ProtocolError,
} from '../../src/protocol/messages.js';
import { parseWhatIfBody, WhatIfError } from '../../src/collector/what-if.js';
import { OverrideTracer } from '../../src/agent/override-trace.js';
import { loadHostConfig } from '../../src/agent/host-config.js';
import { makeRoot } from '../support/cli.js';

const objects = (yaml: string) => parseClusterObjects([{ path: 'o.yaml', text: yaml }]);
const idms = (name: string, source: string, mirror: string) =>
  `apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: ${name}}\nspec:\n  imageDigestMirrors:\n  - source: ${source}\n    mirrors: [${mirror}]\n`;
const itms = (name: string, source: string, mirror: string) =>
  `apiVersion: config.openshift.io/v1\nkind: ImageTagMirrorSet\nmetadata: {name: ${name}}\nspec:\n  imageTagMirrors:\n  - source: ${source}\n    mirrors: [${mirror}]\n`;

describe('cluster what-if plan', () => {
  const current = applyProposal(
    NO_OBJECTS,
    [objects(idms('base', 'quay.io/acme', 'mirror.example/acme'))],
    [],
  );
  const nodes = [
    { name: 'w1', pool: 'worker', images: ['quay.io/acme/app:1', 'quay.io/other/x:1'], configHash: 'h1' },
    { name: 'w2', pool: 'worker', images: ['quay.io/acme/app:1'], configHash: 'h1' },
    { name: 'w3', pool: 'worker', images: ['quay.io/acme/app:1'], configHash: 'h-other-certs' },
    { name: 'w4', pool: 'worker', images: ['quay.io/acme/app:1'], configHash: null },
  ];

  it('traces only the images whose sources change, sends only the files that change, groups by what nodes keep', () => {
    const proposed = applyProposal(
      current,
      [objects(itms('tags', 'quay.io/acme', 'mirror.example/acme'))],
      [],
    );
    const plan = planClusterWhatIf({ current, proposed, pools: [], nodes, profile: CURRENT_MCO });
    expect(plan.errors).toEqual([]);
    expect(plan.groups.map((g) => g.nodes)).toEqual(expect.arrayContaining([['w1', 'w2'], ['w3'], ['w4']]));
    const g = plan.groups.find((x) => x.nodes.includes('w1'))!;
    expect(g.changed).toEqual(['quay.io/acme/app:1']);
    expect(g.same).toEqual(['quay.io/other/x:1']);
    expect([...g.files.keys()]).toEqual(['/etc/containers/registries.conf']);
    expect(g.files.get('/etc/containers/registries.conf')).toContain('pull-from-mirror = "tag-only"');
  });

  it('a proposal the MCO rejects yields its error and no groups', () => {
    const bad = applyProposal(
      current,
      [
        objects(
          `${idms('never', 'quay.io/acme', 'mirror.example/acme').replace('mirrors:', 'mirrorSourcePolicy: NeverContactSource\n    mirrors:')}---\n${itms('t', 'quay.io/acme', 'm2.example/acme')}`,
        ),
      ],
      [],
    );
    const plan = planClusterWhatIf({ current, proposed: bad, pools: [], nodes, profile: CURRENT_MCO });
    expect(plan.errors[0]!.message).toContain('conflicting mirrorSourcePolicy');
    expect(plan.groups).toEqual([]);
  });

  it('folds the answers into one entry per image and verdict, with pods, nodes and pools', () => {
    const APP = `quay.io/acme/app@sha256:${'1'.repeat(64)}`;
    const digestNodes = [
      { name: 'w1', pool: 'worker', images: [APP, 'quay.io/other/x:1'], configHash: 'h1' },
      { name: 'w2', pool: 'worker', images: [APP], configHash: 'h1' },
    ];
    const proposed = applyProposal(current, [], [{ kind: 'ImageDigestMirrorSet', name: 'base' }]);
    const plan = planClusterWhatIf({
      current,
      proposed,
      pools: [],
      nodes: digestNodes,
      profile: CURRENT_MCO,
    });
    const ok = {
      outcome: 'pulled' as const,
      source: 'mirror.example/acme/app:1',
      digest: 'sha256:1',
      reason: 'ok',
    };
    const gone = { outcome: 'failed' as const, source: null, digest: null, reason: 'unreachable' };
    const changes = clusterChanges(
      plan.groups.map((group) => ({
        group,
        traced: new Map(group.changed.map((i) => [i, { before: ok, after: gone }])),
        untracedReason: '',
      })),
      new Map([
        [
          'w1',
          {
            pool: 'worker',
            pods: new Map([
              [APP, ['a/p1']],
              ['quay.io/other/x:1', ['a/p1']],
            ]),
            status: () => ok,
          },
        ],
        ['w2', { pool: 'worker', pods: new Map([[APP, ['b/p2']]]), status: () => null }],
      ]),
    );
    const app = changes.find((c) => c.image === APP)!;
    // Deleting the only IDMS gives the nodes the template back, whose pulls of digests go to quay.io.
    expect(app).toMatchObject({
      class: 'breaks',
      pods: 2,
      podNames: ['a/p1', 'b/p2'],
      nodes: ['w1', 'w2'],
      pools: ['worker'],
      namespaces: ['a', 'b'],
    });
  });
});

describe('per-namespace signature policies', () => {
  const imagePolicy = `apiVersion: config.openshift.io/v1
kind: ImagePolicy
metadata: {name: signed, namespace: team-a}
spec:
  scopes: ["quay.io/acme"]
  policy:
    rootOfTrust:
      policyType: PublicKey
      publicKey: {keyData: dGVzdC1rZXktZGF0YQ==}
`;

  it('an ImagePolicy makes the plan trace per namespace, and each namespace gets its own verdict', () => {
    const APP = `quay.io/acme/app@sha256:${'2'.repeat(64)}`;
    const planNodes = [{ name: 'w1', pool: 'worker', images: [APP], configHash: 'h' }];
    const proposed = applyProposal(NO_OBJECTS, [objects(imagePolicy)], []);
    const plan = planClusterWhatIf({
      current: NO_OBJECTS,
      proposed,
      pools: [],
      nodes: planNodes,
      profile: CURRENT_MCO,
    });
    const group = plan.groups[0]!;
    expect(group.namespaced).toBe(true);
    expect(group.changed).toEqual([APP]);
    expect([...group.files.keys()]).toContain('/etc/crio/policies/team-a.json');
    const ok = { outcome: 'pulled' as const, source: APP, digest: 'sha256:2', reason: 'ok' };
    const refused = {
      outcome: 'failed' as const,
      source: null,
      digest: null,
      reason: 'A signature was required, but no signature exists',
    };
    const changes = clusterChanges(
      [
        {
          group,
          traced: new Map([
            [tracedKey(APP, 'team-a'), { before: ok, after: refused }],
            [tracedKey(APP, 'team-b'), { before: ok, after: ok }],
          ]),
          untracedReason: '',
        },
      ],
      new Map([
        ['w1', { pool: 'worker', pods: new Map([[APP, ['team-a/p', 'team-b/q']]]), status: () => null }],
      ]),
    );
    expect(changes.map((c) => [c.class, c.podNames])).toEqual(
      expect.arrayContaining([
        ['breaks', ['team-a/p']],
        ['unchanged', ['team-b/q']],
      ]),
    );
  });
});

describe('the configuration override of a trace-request', () => {
  const request = (files: Record<string, string | null>) =>
    JSON.stringify({
      v: 1,
      type: 'trace-request',
      requestId: 'r',
      image: 'x',
      all: false,
      timeoutMs: 1000,
      config: { files },
    });

  it('accepts the files the MCO renders, refuses any other path and an oversized set', () => {
    const ok = parseCollectorMessage(
      request({ '/etc/containers/registries.conf': 'x', '/etc/crio/policies/ns.json': null }),
    );
    expect(ok.type === 'trace-request' && ok.config?.files).toEqual({
      '/etc/containers/registries.conf': 'x',
      '/etc/crio/policies/ns.json': null,
    });
    for (const path of [
      '/var/lib/kubelet/config.json',
      '/etc/containers/certs.d/x/ca.crt',
      '/etc/crio/policies/../../shadow.json',
    ])
      expect(() => parseCollectorMessage(request({ [path]: 'x' }))).toThrow(ProtocolError);
    expect(() =>
      parseCollectorMessage(
        request({ '/etc/containers/registries.conf': 'x'.repeat(MAX_CONFIG_OVERRIDE_BYTES + 1) }),
      ),
    ).toThrow(/more than/);
  });

  it('runs one at a time on the agent, and never touches the node files', async () => {
    const root = makeRoot({
      '/etc/containers/registries.conf': '',
      '/etc/containers/policy.json': '{"default":[{"type":"insecureAcceptAnything"}]}',
    });
    const config = await loadHostConfig(root, { timeoutMs: 1000 });
    const tracer = new OverrideTracer();
    const files = {
      files: {
        '/etc/containers/registries.conf': '[[registry]]\nlocation = "example.invalid"\nblocked = true\n',
      },
    };
    const [first, second] = await Promise.all([
      tracer.answer(config, 'example.invalid/x@sha256:' + 'a'.repeat(64), files, { timeoutMs: 1000 }),
      tracer.answer(config, 'example.invalid/x:1', files, { timeoutMs: 1000 }),
    ]);
    expect(second.error?.code).toBe('busy');
    expect(first.error).toBeNull();
    const trace = first.trace as { configOverride: string[]; result: { outcome: string; reason: string } };
    expect(trace.configOverride).toEqual(['/etc/containers/registries.conf']);
    expect(trace.result).toMatchObject({ outcome: 'failed' });
    expect(trace.result.reason).toContain('is blocked');
  });
});

describe('POST body', () => {
  it('is checked field by field', () => {
    expect(() => parseWhatIfBody('nope')).toThrow(WhatIfError);
    expect(() => parseWhatIfBody('{"layers":[]}')).toThrow(/1 to/);
    expect(() => parseWhatIfBody('{"layers":[[{"path":1,"text":""}]]}')).toThrow(/path/);
    expect(parseWhatIfBody('{"layers":[[{"path":"a.yaml","text":"x"}]],"delete":["idms/a"]}')).toEqual({
      layers: [[{ path: 'a.yaml', text: 'x' }]],
      deletes: ['idms/a'],
    });
  });
});
