// The fake Kubernetes API's OpenShift resources, proved through @kubernetes/client-node's own calls
// (the ones production uses): CustomObjectsApi list/get (and a 404 ApiException), an informer on
// MachineConfigPools seeing add/update/delete, API discovery with openshift on and off; and the
// builders' encodings decoded back (a gzip MachineConfig file through zlib).
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiException,
  ApisApi,
  CustomObjectsApi,
  KubeConfig,
  makeInformer,
  type KubernetesListObject,
  type KubernetesObject,
  type V1APIResourceList,
} from '@kubernetes/client-node';
import { FakeKubeApi } from '../support/fake-kube-api.js';
import {
  clusterVersion,
  imageConfig,
  imageContentSourcePolicy,
  imageDigestMirrorSet,
  imageTagMirrorSet,
  machineConfig,
  machineConfigPool,
  mcoNode,
  type MachineConfigObject,
  type MachineConfigPoolObject,
} from '../support/openshift-objects.js';
import { eventually } from '../support/eventually.js';

const MCO = { group: 'machineconfiguration.openshift.io', version: 'v1' };
const CONFIG = { group: 'config.openshift.io', version: 'v1' };
const REGISTRIES = `unqualified-search-registries = ["registry.access.redhat.com", "docker.io"]

[[registry]]
  prefix = ""
  location = "quay.io/team/app"
  blocked = true

  [[registry.mirror]]
    location = "mirror.lab.example:5000/team/app"
    pull-from-mirror = "digest-only"
`;

let api: FakeKubeApi;
let plain: FakeKubeApi;
let kc: KubeConfig;
let plainKc: KubeConfig;

function config(fake: FakeKubeApi): KubeConfig {
  const c = new KubeConfig();
  c.loadFromFile(fake.writeKubeconfig());
  return c;
}

/** Reverses the MCO's data URL (and gzip) encoding of an Ignition file. */
function decode(file: { contents: { source: string; compression?: string } }): string {
  const m = /^data:([^,]*),(.*)$/s.exec(file.contents.source);
  if (m === null) throw new Error(`not a data URL: ${file.contents.source}`);
  const [, meta, data] = m as unknown as [string, string, string];
  const bytes = meta.endsWith(';base64')
    ? Buffer.from(data, 'base64')
    : Buffer.from(decodeURIComponent(data));
  return (file.contents.compression === 'gzip' ? gunzipSync(bytes) : bytes).toString();
}

beforeAll(async () => {
  api = await new FakeKubeApi(undefined, { openshift: true }).start();
  plain = await new FakeKubeApi().start();
  kc = config(api);
  plainKc = config(plain);
  api.upsert(
    'machineconfigs',
    machineConfig(
      '99-worker-generated-registries',
      [
        { path: '/etc/containers/registries.conf', text: REGISTRIES, encoding: 'gzip' },
        { path: '/etc/containers/policy.json', text: '{"default":[{"type":"insecureAcceptAnything"}]}' },
        {
          path: '/etc/containers/registries.d/sigstore-registries.yaml',
          text: 'docker: {}\n',
          encoding: 'base64',
        },
      ],
      { role: 'worker' },
    ),
  );
  api.upsert('machineconfigs', machineConfig('00-master', [], { role: 'master' }));
  api.upsert(
    'imagedigestmirrorsets',
    imageDigestMirrorSet('app', [
      {
        source: 'quay.io/team/app',
        mirrors: ['mirror.lab.example:5000/team/app'],
        mirrorSourcePolicy: 'NeverContactSource',
      },
    ]),
  );
  api.upsert(
    'imagetagmirrorsets',
    imageTagMirrorSet('tags', [{ source: 'quay.io/team', mirrors: ['mirror.lab.example:5000/team'] }]),
  );
  api.upsert(
    'imagecontentsourcepolicies',
    imageContentSourcePolicy('legacy', [
      { source: 'registry.redhat.io/ubi8', mirrors: ['mirror.lab.example:5000/ubi8'] },
    ]),
  );
  api.upsert('images', imageConfig({ insecureRegistries: ['mirror.lab.example:5000'] }));
  api.upsert(
    'clusterversions',
    clusterVersion('quay.io/openshift-release-dev/ocp-release@sha256:' + 'a'.repeat(64)),
  );
  api.upsert(
    'nodes',
    mcoNode('worker-0', 'worker', {
      current: 'rendered-worker-1',
      desired: 'rendered-worker-2',
      state: 'Working',
    }),
  );
});

afterAll(async () => {
  await api?.stop();
  await plain?.stop();
});

describe('CustomObjectsApi against the OpenShift resources', () => {
  it('lists cluster custom objects with the list kind, apiVersion and a resourceVersion', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const list = (await custom.listClusterCustomObject({
      ...MCO,
      plural: 'machineconfigs',
    })) as KubernetesListObject<MachineConfigObject>;
    expect(list.kind).toBe('MachineConfigList');
    expect(list.apiVersion).toBe('machineconfiguration.openshift.io/v1');
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThan(1000);
    expect(list.items.map((i) => i.metadata.name).sort()).toEqual([
      '00-master',
      '99-worker-generated-registries',
    ]);
    for (const i of list.items) {
      expect(i.kind).toBe('MachineConfig');
      expect(i.apiVersion).toBe('machineconfiguration.openshift.io/v1');
      expect(i.metadata.resourceVersion).toMatch(/^\d+$/);
    }

    const workers = (await custom.listClusterCustomObject({
      ...MCO,
      plural: 'machineconfigs',
      labelSelector: 'machineconfiguration.openshift.io/role=worker',
    })) as KubernetesListObject<MachineConfigObject>;
    expect(workers.items.map((i) => i.metadata.name)).toEqual(['99-worker-generated-registries']);
    const byName = (await custom.listClusterCustomObject({
      ...MCO,
      plural: 'machineconfigs',
      fieldSelector: 'metadata.name=00-master',
    })) as KubernetesListObject<MachineConfigObject>;
    expect(byName.items.map((i) => i.metadata.name)).toEqual(['00-master']);
    const notIn = (await custom.listClusterCustomObject({
      ...MCO,
      plural: 'machineconfigs',
      labelSelector: 'machineconfiguration.openshift.io/role notin (worker,infra)',
    })) as KubernetesListObject<MachineConfigObject>;
    expect(notIn.items.map((i) => i.metadata.name)).toEqual(['00-master']);

    const idms = (await custom.listClusterCustomObject({ ...CONFIG, plural: 'imagedigestmirrorsets' })) as {
      kind: string;
      items: { kind: string; spec: unknown }[];
    };
    expect(idms.kind).toBe('ImageDigestMirrorSetList');
    expect(idms.items[0]?.spec).toEqual({
      imageDigestMirrors: [
        {
          source: 'quay.io/team/app',
          mirrors: ['mirror.lab.example:5000/team/app'],
          mirrorSourcePolicy: 'NeverContactSource',
        },
      ],
    });
    const icsp = (await custom.listClusterCustomObject({
      group: 'operator.openshift.io',
      version: 'v1alpha1',
      plural: 'imagecontentsourcepolicies',
    })) as { items: { apiVersion: string; spec: { repositoryDigestMirrors: unknown[] } }[] };
    expect(icsp.items[0]?.apiVersion).toBe('operator.openshift.io/v1alpha1');
    expect(icsp.items[0]?.spec.repositoryDigestMirrors).toHaveLength(1);
  });

  it('refuses field selectors a custom resource does not support, as a real server does', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const err = await custom
      .listClusterCustomObject({ ...MCO, plural: 'machineconfigs', fieldSelector: 'spec.fips=true' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<unknown>).code).toBe(400);
  });

  it('gets one object, and a missing one is a 404 ApiException carrying the real Status', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const image = (await custom.getClusterCustomObject({ ...CONFIG, plural: 'images', name: 'cluster' })) as {
      kind: string;
      spec: { registrySources: { insecureRegistries: string[] } };
    };
    expect(image.kind).toBe('Image');
    expect(image.spec.registrySources.insecureRegistries).toEqual(['mirror.lab.example:5000']);
    const cv = (await custom.getClusterCustomObject({
      ...CONFIG,
      plural: 'clusterversions',
      name: 'version',
    })) as {
      status: { desired: { image: string } };
    };
    expect(cv.status.desired.image).toMatch(/^quay\.io\/openshift-release-dev\/ocp-release@sha256:a{64}$/);

    const err = await custom
      .getClusterCustomObject({ ...MCO, plural: 'machineconfigs', name: 'rendered-worker-404' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    const apiErr = err as ApiException<unknown>;
    expect(apiErr.code).toBe(404);
    const body: unknown = typeof apiErr.body === 'string' ? JSON.parse(apiErr.body) : apiErr.body;
    expect(body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'machineconfigs.machineconfiguration.openshift.io "rendered-worker-404" not found',
      details: {
        name: 'rendered-worker-404',
        group: 'machineconfiguration.openshift.io',
        kind: 'machineconfigs',
      },
    });
  });

  it('answers a plain Kubernetes 404 for the OpenShift paths when openshift is off', async () => {
    const custom = plainKc.makeApiClient(CustomObjectsApi);
    for (const call of [
      custom.listClusterCustomObject({ ...MCO, plural: 'machineconfigpools' }),
      custom.getClusterCustomObject({ ...CONFIG, plural: 'images', name: 'cluster' }),
    ]) {
      const err = await call.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiException);
      const apiErr = err as ApiException<unknown>;
      expect(apiErr.code).toBe(404);
      const body: unknown = typeof apiErr.body === 'string' ? JSON.parse(apiErr.body) : apiErr.body;
      expect(body).toMatchObject({
        reason: 'NotFound',
        message: 'the server could not find the requested resource',
      });
    }
  });
});

describe('an informer on MachineConfigPools', () => {
  it('sees add, update and delete through list + watch', async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    api.upsert('machineconfigpools', machineConfigPool('master', { target: 'rendered-master-1' }));
    const informer = makeInformer<MachineConfigPoolObject & KubernetesObject>(
      kc,
      '/apis/machineconfiguration.openshift.io/v1/machineconfigpools',
      () =>
        custom.listClusterCustomObject({ ...MCO, plural: 'machineconfigpools' }) as Promise<
          KubernetesListObject<MachineConfigPoolObject & KubernetesObject>
        >,
    );
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata.name} ${o.spec.configuration.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata.name} ${o.spec.configuration.name}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata.name}`));
    await informer.start();
    try {
      await eventually(() => expect(seen).toContain('add master rendered-master-1'));
      await eventually(() => expect(api.openWatches).toBe(1));

      api.upsert(
        'machineconfigpools',
        machineConfigPool('worker', { target: 'rendered-worker-2', current: 'rendered-worker-1' }),
      );
      api.upsert('machineconfigpools', machineConfigPool('worker', { target: 'rendered-worker-3' }));
      api.remove('machineconfigpools', 'master');
      await eventually(() =>
        expect(seen).toEqual([
          'add master rendered-master-1',
          'add worker rendered-worker-2',
          'update worker rendered-worker-3',
          'delete master',
        ]),
      );
      const worker = informer.get('worker');
      expect(worker?.status.configuration.name).toBe('rendered-worker-3');
      expect(worker?.metadata.generation).toBe(2);
      expect(informer.get('master')).toBeUndefined();
    } finally {
      await informer.stop();
    }
  });
});

describe('discovery', () => {
  it('names the OpenShift groups and resources only when openshift is on', async () => {
    const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
    const names = groups.groups.map((g) => g.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'operator.openshift.io',
        'config.openshift.io',
        'machineconfiguration.openshift.io',
      ]),
    );
    const mco = groups.groups.find((g) => g.name === 'machineconfiguration.openshift.io');
    expect(mco?.preferredVersion?.groupVersion).toBe('machineconfiguration.openshift.io/v1');

    const plainGroups = await plainKc.makeApiClient(ApisApi).getAPIVersions();
    expect(plainGroups.groups.map((g) => g.name).filter((n) => n.endsWith('openshift.io'))).toEqual([]);

    const res = await fetch(`${api.url}/apis/config.openshift.io/v1`, {
      headers: { Authorization: `Bearer ${api.adminToken}` },
    });
    const list = (await res.json()) as V1APIResourceList & { kind: string };
    expect(list.kind).toBe('APIResourceList');
    expect(list.resources.find((r) => r.name === 'imagedigestmirrorsets')).toMatchObject({
      singularName: 'imagedigestmirrorset',
      namespaced: false,
      kind: 'ImageDigestMirrorSet',
      shortNames: ['idms'],
    });
    expect(list.resources.find((r) => r.name === 'images')?.verbs).toEqual(
      expect.arrayContaining(['get', 'list', 'watch']),
    );

    // flipping the switch on a running fake changes discovery at once
    plain.openshift = true;
    try {
      const now = await plainKc.makeApiClient(ApisApi).getAPIVersions();
      expect(now.groups.map((g) => g.name)).toContain('machineconfiguration.openshift.io');
    } finally {
      plain.openshift = false;
    }
  });
});

describe('builders', () => {
  it('encodes MachineConfig files as the MCO does, and they decode back (gzip through zlib)', () => {
    const mc = api.get('machineconfigs', '99-worker-generated-registries') as MachineConfigObject;
    expect(mc.spec.config.ignition.version).toBe('3.4.0');
    const [registries, policy, sigstore] = mc.spec.config.storage.files;
    expect(registries).toMatchObject({ path: '/etc/containers/registries.conf', overwrite: true, mode: 420 });
    expect(registries?.contents.compression).toBe('gzip');
    expect(registries?.contents.source).toMatch(/^data:;base64,H4sI/);
    const b64 = registries!.contents.source.slice('data:;base64,'.length);
    expect(gunzipSync(Buffer.from(b64, 'base64')).toString()).toBe(REGISTRIES);
    expect(policy?.contents.source).toMatch(/^data:,%7B%22default%22/);
    expect(decode(policy!)).toBe('{"default":[{"type":"insecureAcceptAnything"}]}');
    expect(sigstore?.contents.source).toMatch(/^data:text\/plain;charset=utf-8;base64,/);
    expect(decode(sigstore!)).toBe('docker: {}\n');
  });

  it('builds pools whose conditions follow the counts, and nodes with the MCD annotations', () => {
    const done = machineConfigPool('worker', { target: 'rendered-worker-2' });
    expect(done.metadata.labels).toMatchObject({ 'machineconfiguration.openshift.io/mco-built-in': '' });
    expect(done.spec.nodeSelector.matchLabels).toEqual({ 'node-role.kubernetes.io/worker': '' });
    expect(done.spec.machineConfigSelector.matchLabels).toEqual({
      'machineconfiguration.openshift.io/role': 'worker',
    });
    const cond = (p: MachineConfigPoolObject, t: string) =>
      p.status.conditions.find((c) => c.type === t)?.status;
    expect([cond(done, 'Updated'), cond(done, 'Updating'), cond(done, 'Degraded')]).toEqual([
      'True',
      'False',
      'False',
    ]);

    const rolling = machineConfigPool('infra', {
      target: 'rendered-infra-2',
      current: 'rendered-infra-1',
      machineCount: 2,
      updatedMachineCount: 1,
      degradedMachineCount: 1,
      paused: true,
    });
    expect(rolling.metadata.labels?.['machineconfiguration.openshift.io/mco-built-in']).toBeUndefined();
    expect(rolling.spec.paused).toBe(true);
    expect(rolling.status.configuration.name).toBe('rendered-infra-1');
    expect(rolling.status.readyMachineCount).toBe(0);
    expect([cond(rolling, 'Updated'), cond(rolling, 'Updating'), cond(rolling, 'Degraded')]).toEqual([
      'False',
      'True',
      'True',
    ]);

    const node = api.get('nodes', 'worker-0');
    expect(node?.apiVersion).toBe('v1');
    expect(node?.metadata.annotations).toMatchObject({
      'machineconfiguration.openshift.io/currentConfig': 'rendered-worker-1',
      'machineconfiguration.openshift.io/desiredConfig': 'rendered-worker-2',
      'machineconfiguration.openshift.io/state': 'Working',
      'machineconfiguration.openshift.io/reason': '',
    });
    expect(mcoNode('m', 'master', { current: 'r' }).metadata.annotations).toMatchObject({
      'machineconfiguration.openshift.io/desiredConfig': 'r',
      'machineconfiguration.openshift.io/state': 'Done',
    });
  });
});
