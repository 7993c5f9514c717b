// Cluster intent vs node reality, evaluated on its own: MachineConfigs in the API's JSON (Ignition data
// URLs plain, base64 and gzip), pools and nodes as the collector hands them over.
import { describe, expect, it } from 'vitest';
import { clusterObjectsFromApi } from '../../src/core/mco/parse-objects.js';
import { REGISTRIES_CONF_PATH, renderRegistries } from '../../src/core/mco/render.js';
import { mcoProfile } from '../../src/core/mco/versions.js';
import { MCO_TEMPLATE_REGISTRIES_CONF } from '../../src/core/mco/template.js';
import { evaluateIntent } from '../../src/core/rollout/evaluate.js';
import { readMachineConfig } from '../../src/core/rollout/machine-config.js';
import type {
  IntentEvaluation,
  MachineConfigLookup,
  NodeMcoState,
  PoolState,
} from '../../src/core/rollout/types.js';
import {
  diskDigests,
  generatedConfig,
  generatedRegistriesConf,
  renderedConfig,
  renderObjects,
  sha256,
  standardSources,
  templateConfig,
} from '../support/mco-cluster.js';
import type { Obj } from '../support/fake-kube-api.js';
import {
  imageConfig,
  imageContentSourcePolicy,
  imageDigestMirrorSet,
  machineConfig,
  type MachineConfigObject,
} from '../support/openshift-objects.js';

const IDMS = imageDigestMirrorSet('team-mirrors', [
  { source: 'quay.example/team', mirrors: ['mirror.lab.example:5000/team'] },
]);
const GENERATED = generatedRegistriesConf([IDMS]);

function objectsOf(list: readonly Obj[]) {
  return clusterObjectsFromApi(
    list.map((object) => ({
      object,
      kind: String(object['kind']),
      apiVersion: String(object['apiVersion']),
      label: `${String(object['kind']).toLowerCase()}/${object.metadata.name}`,
    })),
  );
}

function lookup(
  configs: readonly MachineConfigObject[],
  missing: readonly string[] = [],
): MachineConfigLookup {
  const map = new Map<string, ReturnType<typeof readMachineConfig> | 'not-found'>();
  for (const c of configs) map.set(c.metadata.name, readMachineConfig(c));
  for (const name of missing) map.set(name, 'not-found');
  return map;
}

function pool(name: string, target: string, extra: Partial<PoolState> = {}): PoolState {
  return {
    name,
    builtIn: name === 'worker' || name === 'master',
    paused: false,
    target,
    targetSources: standardSources(name === 'infra' ? 'worker' : name),
    current: target,
    machineCount: 3,
    updatedMachineCount: 3,
    degradedMachineCount: 0,
    ...extra,
  };
}

function node(name: string, current: string, extra: Partial<NodeMcoState> = {}): NodeMcoState {
  return {
    name,
    pool: 'worker',
    currentConfig: current,
    desiredConfig: current,
    state: 'Done',
    reason: null,
    files: null,
    ...extra,
  };
}

/** Every base config the evaluation may ask for, absent unless given. */
const ABSENT = ['00-worker', '01-worker-kubelet', '99-worker-ssh'];

function evaluate(parts: {
  objects?: readonly Obj[];
  configs: readonly MachineConfigObject[];
  pools: readonly PoolState[];
  nodes: readonly NodeMcoState[];
  changedAgoMs?: number;
  missing?: readonly string[];
  clusterVersion?: string | null;
}): IntentEvaluation {
  const configs = lookup(parts.configs, parts.missing ?? ABSENT);
  const now = 1_800_000_000_000;
  return evaluateIntent({
    objects: objectsOf(parts.objects ?? [IDMS]),
    pools: parts.pools,
    nodes: parts.nodes,
    machineConfigs: configs,
    clusterVersion: parts.clusterVersion === undefined ? '4.18.2' : parts.clusterVersion,
    objectsChangedAtMs: now - (parts.changedAgoMs ?? 600_000),
    nowMs: now,
  });
}

const HEALTHY = [
  templateConfig('worker'),
  generatedConfig('worker', GENERATED),
  renderedConfig('rendered-worker-new', GENERATED),
  renderedConfig('rendered-worker-old', MCO_TEMPLATE_REGISTRIES_CONF),
];

describe('a healthy, finished rollout', () => {
  it('raises nothing and shows every node applying the object', () => {
    const result = evaluate({
      configs: HEALTHY,
      pools: [pool('worker', 'rendered-worker-new')],
      nodes: ['w1', 'w2', 'w3'].map((n) => node(n, 'rendered-worker-new', { files: diskDigests(GENERATED) })),
    });
    expect(result.findings).toEqual([]);
    expect(result.wanted).toEqual([]);
    expect(result.rollout.pools[0]).toMatchObject({
      name: 'worker',
      generated: 'matches',
      overriddenBy: [],
      nodes: 3,
      nodesDone: 3,
      lagging: [],
      drifted: [],
    });
    expect(result.rollout.objects).toEqual([
      {
        kind: 'ImageDigestMirrorSet',
        name: 'team-mirrors',
        entries: 1,
        nodesApplying: 3,
        nodes: 3,
        pools: [{ pool: 'worker', nodesApplying: 3, nodes: 3, inTarget: true }],
      },
    ]);
  });

  it('asks for the MachineConfigs it has not seen, and only those', () => {
    const result = evaluate({
      configs: [],
      missing: [],
      pools: [pool('worker', 'rendered-worker-new')],
      nodes: [node('w1', 'rendered-worker-old', { desiredConfig: 'rendered-worker-new' })],
    });
    expect(result.wanted).toEqual([
      '01-worker-container-runtime',
      '99-worker-generated-registries',
      'rendered-worker-new',
      'rendered-worker-old',
    ]);
    expect(result.findings).toEqual([]);
    expect(result.rollout.pools[0]!.generated).toBe('unknown');
  });
});

describe('mirror-config-not-rolled-out', () => {
  it('names the lagging nodes with their MCO annotations and how many are done', () => {
    const result = evaluate({
      configs: HEALTHY,
      pools: [pool('worker', 'rendered-worker-new', { current: 'rendered-worker-old' })],
      nodes: [
        node('w1', 'rendered-worker-new'),
        node('w2', 'rendered-worker-old', { desiredConfig: 'rendered-worker-new', state: 'Working' }),
        node('w3', 'rendered-worker-old', {
          desiredConfig: 'rendered-worker-new',
          state: 'Degraded',
          reason: 'failed to drain node: w3 after 1 hour',
        }),
      ],
    });
    const lag = result.findings.filter((f) => f.id === 'mirror-config-not-rolled-out');
    expect(lag).toHaveLength(1);
    expect(lag[0]!.nodes).toEqual(['w2', 'w3']);
    expect(lag[0]!.message).toContain('1 of the 3 nodes of pool worker run its target rendered-worker-new');
    expect(lag[0]!.message).toContain(
      'w3 (currentConfig rendered-worker-old, desiredConfig rendered-worker-new, state Degraded: failed to drain node: w3 after 1 hour)',
    );
    expect(lag[0]!.message).toContain('/etc/containers/registries.conf');
    expect(lag[0]!.fix).toContain('Fix what stops w3');
    expect(result.rollout.pools[0]).toMatchObject({ nodesDone: 1, nodes: 3 });
    expect(result.rollout.objects[0]).toMatchObject({ nodesApplying: 1, nodes: 3 });
  });

  it('ignores nodes behind on a config whose registry files are the same', () => {
    const kubeletOnly = renderedConfig('rendered-worker-kubelet', GENERATED);
    const result = evaluate({
      configs: [...HEALTHY, kubeletOnly],
      pools: [pool('worker', 'rendered-worker-new')],
      nodes: [
        node('w1', 'rendered-worker-kubelet', { desiredConfig: 'rendered-worker-new', state: 'Working' }),
      ],
    });
    expect(result.findings).toEqual([]);
    expect(result.rollout.pools[0]!.nodesDone).toBe(1);
  });

  it('counts a node whose current config no longer exists as lagging', () => {
    const result = evaluate({
      configs: HEALTHY,
      missing: [...ABSENT, 'rendered-worker-pruned'],
      pools: [pool('worker', 'rendered-worker-new')],
      nodes: [node('w1', 'rendered-worker-pruned')],
    });
    expect(result.findings.map((f) => f.id)).toEqual(['mirror-config-not-rolled-out']);
  });
});

describe('pool-paused', () => {
  it('replaces not-rolled-out when the pool is paused, with the command that unpauses it', () => {
    const result = evaluate({
      configs: HEALTHY,
      pools: [pool('worker', 'rendered-worker-new', { paused: true })],
      nodes: [node('w1', 'rendered-worker-old'), node('w2', 'rendered-worker-old')],
    });
    expect(result.findings.map((f) => f.id)).toEqual(['pool-paused']);
    expect(result.findings[0]!.nodes).toEqual(['w1', 'w2']);
    expect(result.findings[0]!.fix).toContain(
      `oc patch mcp worker --type merge -p '{"spec":{"paused":false}}'`,
    );
    expect(result.rollout.pools[0]!.paused).toBe(true);
  });
});

describe('mirror-config-not-generated', () => {
  const stale = [
    templateConfig('worker'),
    generatedConfig('worker', null),
    renderedConfig('rendered-worker-old', MCO_TEMPLATE_REGISTRIES_CONF),
  ];

  it('is raised when the generated config lacks what the objects render to, past the grace period', () => {
    const result = evaluate({
      configs: stale,
      pools: [pool('worker', 'rendered-worker-old')],
      nodes: [node('w1', 'rendered-worker-old')],
    });
    const f = result.findings.find((x) => x.id === 'mirror-config-not-generated');
    expect(f?.message).toContain(
      'MachineConfig 99-worker-generated-registries does not carry what the mirror objects render to for pool worker: /etc/containers/registries.conf: the file is missing',
    );
    expect(f?.fix).toContain('deploy/machine-config-controller');
    expect(result.rollout.pools[0]!.generated).toBe('differs');
    expect(result.rollout.objects[0]).toMatchObject({ nodesApplying: 0, nodes: 1 });
    expect(result.rollout.objects[0]!.pools[0]!.inTarget).toBe(false);
  });

  it('is only pending within two minutes of the objects changing', () => {
    const result = evaluate({
      configs: stale,
      pools: [pool('worker', 'rendered-worker-old')],
      nodes: [node('w1', 'rendered-worker-old')],
      changedAgoMs: 30_000,
    });
    expect(result.findings.map((f) => f.id)).toEqual([]);
    expect(result.rollout.pools[0]!.generated).toBe('pending');
  });

  it('names the first semantic difference, not formatting', () => {
    const other = imageDigestMirrorSet('team-mirrors', [
      { source: 'quay.example/team', mirrors: ['old-mirror.lab.example/team'] },
    ]);
    const reformatted = `# written by hand\n${GENERATED.replace(/\n\n/g, '\n')}`;
    const same = evaluate({
      configs: [
        templateConfig('worker'),
        generatedConfig('worker', reformatted),
        renderedConfig('rendered-worker-x', reformatted),
      ],
      pools: [pool('worker', 'rendered-worker-x')],
      nodes: [],
    });
    expect(same.rollout.pools[0]!.generated).toBe('matches');
    const oldConf = generatedRegistriesConf([other]);
    const differs = evaluate({
      configs: [
        templateConfig('worker'),
        generatedConfig('worker', oldConf),
        renderedConfig('rendered-worker-x', oldConf),
      ],
      pools: [pool('worker', 'rendered-worker-x')],
      nodes: [],
    });
    const f = differs.findings.find((x) => x.id === 'mirror-config-not-generated');
    expect(f?.message).toContain('registry quay.example/team');
    expect(f?.message).toContain('mirror.lab.example:5000/team (digest-only) vs ');
    expect(f?.message).toContain('old-mirror.lab.example/team (digest-only)');
  });
});

describe('policy.json from image.config blockedRegistries', () => {
  const image = imageConfig({ blockedRegistries: ['untrusted.example'] });
  const rendered = renderObjects([IDMS, image]);
  const withPolicy = (policy: string) =>
    machineConfig(
      '99-worker-generated-registries',
      [
        { path: REGISTRIES_CONF_PATH, text: rendered.registriesConf!, encoding: 'base64' },
        { path: '/etc/containers/policy.json', text: policy, encoding: 'base64' },
      ],
      { role: 'worker' },
    );
  const run = (policy: string) =>
    evaluate({
      objects: [IDMS, image],
      configs: [
        templateConfig('worker'),
        withPolicy(policy),
        renderedConfig('rendered-worker-x', rendered.registriesConf!),
      ],
      pools: [pool('worker', 'rendered-worker-x')],
      nodes: [],
    }).rollout.pools[0]!;

  it('matches the MCO-written policy, also with requirements it does not render (ClusterImagePolicy)', () => {
    expect(rendered.policyJsonText).toContain('untrusted.example');
    expect(run(rendered.policyJsonText!).generated).toBe('matches');
    const doc = JSON.parse(rendered.policyJsonText!) as {
      transports: Record<string, Record<string, unknown>>;
    };
    doc.transports['docker']!['quay.example/signed'] = [{ type: 'sigstoreSigned', keyData: 'LS0t' }];
    expect(run(JSON.stringify(doc)).generated).toBe('matches');
  });

  it('differs when the blocked scope is missing from the generated policy', () => {
    const result = evaluate({
      objects: [IDMS, image],
      configs: [
        templateConfig('worker'),
        withPolicy('{"default":[{"type":"insecureAcceptAnything"}],"transports":{}}'),
        renderedConfig('rendered-worker-x', rendered.registriesConf!),
      ],
      pools: [pool('worker', 'rendered-worker-x')],
      nodes: [],
    });
    expect(result.findings.find((f) => f.id === 'mirror-config-not-generated')?.message).toContain(
      '/etc/containers/policy.json: docker scope untrusted.example (reject) vs no such scope',
    );
  });
});

describe("the pool's template", () => {
  it('is read from 01-<pool>-container-runtime, not assumed', () => {
    const templateText = `unqualified-search-registries = ["registry.example"]\nshort-name-mode = "enforcing"\n`;
    const template = machineConfig(
      '01-worker-container-runtime',
      [{ path: REGISTRIES_CONF_PATH, text: templateText, encoding: 'base64' }],
      { role: 'worker' },
    );
    const conf = renderRegistries(objectsOf([IDMS]), {
      template: { path: 't', text: templateText },
    }).registriesConf!;
    expect(conf).toContain('registry.example');
    const run = (configs: MachineConfigObject[]) =>
      evaluate({
        configs: [...configs, generatedConfig('worker', conf), renderedConfig('rendered-worker-t', conf)],
        pools: [pool('worker', 'rendered-worker-t')],
        nodes: [],
      });
    expect(run([template]).rollout.pools[0]!.generated).toBe('matches');
    // With the MCO's stock template the same generated file would look wrong.
    const stock = run([templateConfig('worker')]);
    expect(stock.findings.find((f) => f.id === 'mirror-config-not-generated')?.message).toContain(
      'unqualified-search-registries',
    );
  });
});

describe('the MCO rendering of the cluster version', () => {
  const icsp = imageContentSourcePolicy('legacy', [
    { source: 'quay.example/ocp', mirrors: ['mirror.lab.example:5000/ocp'] },
  ]);
  const legacyConf = renderRegistries(objectsOf([icsp]), { profile: mcoProfile('4.12') }).registriesConf!;
  const run = (clusterVersion: string | null) =>
    evaluate({
      objects: [icsp],
      configs: [
        templateConfig('worker'),
        generatedConfig('worker', legacyConf),
        renderedConfig('rendered-worker-l', legacyConf),
      ],
      pools: [pool('worker', 'rendered-worker-l')],
      nodes: [node('w1', 'rendered-worker-l')],
      clusterVersion,
    });

  it('compares a 4.12 cluster with the 4.12 rendering (registry-level mirror-by-digest-only)', () => {
    expect(legacyConf).toContain('mirror-by-digest-only = true');
    const result = run('4.12.40');
    expect(result.rollout.pools[0]!.generated).toBe('matches');
    expect(result.rollout.objects[0]).toMatchObject({ nodesApplying: 1, nodes: 1 });
    expect(result.findings.map((f) => f.id)).toEqual(['icsp-deprecated']);
  });

  it('would call the same file not generated on a 4.16 cluster, and notes an unmodelled 4.14', () => {
    expect(run('4.16.9').rollout.pools[0]!.generated).toBe('differs');
    expect(run('4.14.2').rollout.renderWarnings[0]).toContain('OpenShift 4.14.2');
  });
});

describe('mirror-config-render-failed and the other render findings', () => {
  it('reports the MCO error text once, and no generated-config finding on top', () => {
    const conflicting = [
      imageDigestMirrorSet('never', [
        {
          source: 'quay.example/team',
          mirrors: ['mirror.lab.example:5000/team'],
          mirrorSourcePolicy: 'NeverContactSource',
        },
      ]),
      imageContentSourcePolicy('legacy', [
        { source: 'quay.example/team', mirrors: ['mirror.lab.example:5000/team'] },
      ]),
    ];
    const result = evaluate({
      objects: conflicting,
      configs: HEALTHY,
      pools: [pool('worker', 'rendered-worker-new'), pool('master', 'rendered-master-a')],
      nodes: [],
      missing: [
        ...ABSENT,
        '01-master-container-runtime',
        '99-master-generated-registries',
        'rendered-master-a',
      ],
    });
    const failed = result.findings.filter((f) => f.id === 'mirror-config-render-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.message).toContain(
      'conflicting mirrorSourcePolicy is set for the same source "quay.example/team" in imagedigestmirrorsets, imagetagmirrorsets, or imagecontentsourcepolicies',
    );
    expect(result.findings.filter((f) => f.id === 'icsp-deprecated')).toHaveLength(1);
    expect(result.findings.some((f) => f.id === 'mirror-config-not-generated')).toBe(false);
    expect(result.rollout.renderErrors).toHaveLength(1);
    expect(result.rollout.pools.map((p) => p.generated)).toEqual(['render-failed', 'render-failed']);
  });
});

describe('mirror-config-drift', () => {
  it('names the MachineConfig that overrides the generated registries.conf in the target', () => {
    const override = machineConfig(
      '99-worker-zz-registries',
      [{ path: REGISTRIES_CONF_PATH, text: MCO_TEMPLATE_REGISTRIES_CONF }],
      { role: 'worker' },
    );
    const sources = standardSources('worker', ['99-worker-zz-registries']);
    const result = evaluate({
      configs: [
        templateConfig('worker'),
        generatedConfig('worker', GENERATED),
        override,
        renderedConfig('rendered-worker-over', MCO_TEMPLATE_REGISTRIES_CONF),
      ],
      pools: [pool('worker', 'rendered-worker-over', { targetSources: sources })],
      nodes: [node('w1', 'rendered-worker-over'), node('w2', 'rendered-worker-over')],
    });
    const drift = result.findings.filter((f) => f.id === 'mirror-config-drift');
    expect(drift).toHaveLength(1);
    expect(drift[0]!.message).toContain(
      'MachineConfig 99-worker-zz-registries replaces /etc/containers/registries.conf of 99-worker-generated-registries',
    );
    expect(drift[0]!.nodes).toEqual(['w1', 'w2']);
    expect(drift[0]!.fix).toContain('oc delete mc 99-worker-zz-registries');
    expect(result.rollout.pools[0]!.overriddenBy).toEqual(['99-worker-zz-registries']);
    expect(result.rollout.objects[0]!.nodesApplying).toBe(0);
  });

  it('waits two minutes before calling a target no source explains stale', () => {
    const stale = (changedAgoMs: number) =>
      evaluate({
        configs: [
          templateConfig('worker'),
          generatedConfig('worker', GENERATED),
          renderedConfig('rendered-worker-old', MCO_TEMPLATE_REGISTRIES_CONF),
        ],
        pools: [pool('worker', 'rendered-worker-old')],
        nodes: [node('w1', 'rendered-worker-old')],
        changedAgoMs,
      }).findings.filter((f) => f.id === 'mirror-config-drift');
    expect(stale(30_000)).toEqual([]);
    expect(stale(600_000)[0]?.message).toContain('no source config explains it');
  });

  it("in a custom pool, the pool's own MachineConfig wins over worker ones whatever its name", () => {
    const infraOverride = machineConfig(
      '00-infra-registries',
      [{ path: REGISTRIES_CONF_PATH, text: MCO_TEMPLATE_REGISTRIES_CONF }],
      { role: 'infra' },
    );
    const early = machineConfig(
      '50-worker-registries',
      [{ path: REGISTRIES_CONF_PATH, text: MCO_TEMPLATE_REGISTRIES_CONF }],
      {
        role: 'worker',
      },
    );
    const result = evaluate({
      configs: [
        templateConfig('worker'),
        generatedConfig('worker', GENERATED),
        infraOverride,
        early,
        renderedConfig('rendered-infra-a', MCO_TEMPLATE_REGISTRIES_CONF),
      ],
      pools: [
        pool('infra', 'rendered-infra-a', {
          builtIn: false,
          targetSources: [...standardSources('worker'), '50-worker-registries', '00-infra-registries'],
        }),
      ],
      nodes: [node('i1', 'rendered-infra-a', { pool: 'infra' })],
    });
    expect(result.rollout.pools[0]!.overriddenBy).toEqual(['00-infra-registries']);
    expect(result.rollout.pools[0]!.generatedConfig).toBe('99-worker-generated-registries');
  });

  it('flags a hand-edited file on one node, not a node mid-update that already has its desired files', () => {
    const edited = `${GENERATED}\n[[registry]]\nlocation = "hand.example"\ninsecure = true\n`;
    const result = evaluate({
      configs: HEALTHY,
      pools: [pool('worker', 'rendered-worker-new')],
      nodes: [
        node('w1', 'rendered-worker-new', { files: diskDigests(GENERATED) }),
        node('w2', 'rendered-worker-new', { files: diskDigests(edited) }),
        node('w3', 'rendered-worker-old', {
          desiredConfig: 'rendered-worker-new',
          state: 'Working',
          files: diskDigests(GENERATED),
        }),
        node('w4', 'rendered-worker-new', {
          files: diskDigests(GENERATED).filter((f) => f.path !== REGISTRIES_CONF_PATH),
        }),
      ],
    });
    const drift = result.findings.filter((f) => f.id === 'mirror-config-drift');
    expect(drift.map((f) => f.nodes)).toEqual([['w2'], ['w4']]);
    expect(drift[0]!.message).toContain(
      'On node w2, /etc/containers/registries.conf is not what its current MachineConfig rendered-worker-new wrote',
    );
    expect(drift[1]!.message).toContain('/etc/containers/registries.conf (missing)');
    expect(result.rollout.pools[0]!.drifted).toEqual(['w2', 'w4']);
  });
});

describe('MachineConfigs that cannot be decoded', () => {
  it('become machine-config-unreadable and are left out, never a crash', () => {
    const broken = machineConfig('rendered-worker-broken', []);
    (broken.spec as { config: { storage: { files: unknown[] } } }).config.storage.files.push(
      { path: REGISTRIES_CONF_PATH, contents: { source: 'data:,%zz' } },
      { path: '/etc/containers/policy.json', contents: { source: 'data:;base64,AAAA', compression: 'gzip' } },
      { path: '/etc/containers/registries.d/x.yaml', contents: { source: 'https://example.invalid/x' } },
    );
    const result = evaluate({
      configs: [...HEALTHY, broken],
      pools: [pool('worker', 'rendered-worker-new')],
      nodes: [node('w1', 'rendered-worker-broken')],
    });
    const f = result.findings.find((x) => x.id === 'machine-config-unreadable');
    expect(f?.message).toContain('invalid percent-escape');
    expect(f?.message).toContain('gzip:');
    expect(f?.message).toContain('not a data URL');
  });

  it('drops the pull secret and every other file it does not compare', () => {
    const view = readMachineConfig(renderedConfig('rendered-worker-new', GENERATED));
    expect([...view.files.keys()].sort()).toEqual(['/etc/containers/policy.json', REGISTRIES_CONF_PATH]);
    expect(view.files.get(REGISTRIES_CONF_PATH)!.sha256).toBe(sha256(GENERATED));
  });
});
