// A small OpenShift cluster's MCO side, consistent with itself: mirror objects, the template and
// generated MachineConfigs, rendered configs, pools and nodes, built from the real API shapes of
// openshift-objects.ts. The generated config holds what the MCO renders (our render, which the
// golden tests in test/mco hold to the MCO); tests then break one link at a time.
import { createHash } from 'node:crypto';
import { clusterObjectsFromApi } from '../../src/core/mco/parse-objects.js';
import { MCO_TEMPLATE_POLICY, encodePolicyJson } from '../../src/core/mco/policy-json.js';
import { renderRegistries, REGISTRIES_CONF_PATH, POLICY_JSON_PATH } from '../../src/core/mco/render.js';
import { MCO_TEMPLATE_REGISTRIES_CONF } from '../../src/core/mco/template.js';
import type { RenderResult } from '../../src/core/mco/types.js';
import type { FakeKubeApi, Obj } from './fake-kube-api.js';
import {
  machineConfig,
  machineConfigPool,
  mcoNode,
  type MachineConfigFile,
  type MachineConfigObject,
} from './openshift-objects.js';

export const TEMPLATE_POLICY_JSON = encodePolicyJson(MCO_TEMPLATE_POLICY, true);

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

const RESOURCE: Record<string, { plural: string; apiVersion: string }> = {
  ImageContentSourcePolicy: {
    plural: 'imagecontentsourcepolicies',
    apiVersion: 'operator.openshift.io/v1alpha1',
  },
  ImageDigestMirrorSet: { plural: 'imagedigestmirrorsets', apiVersion: 'config.openshift.io/v1' },
  ImageTagMirrorSet: { plural: 'imagetagmirrorsets', apiVersion: 'config.openshift.io/v1' },
  Image: { plural: 'images', apiVersion: 'config.openshift.io/v1' },
  ClusterVersion: { plural: 'clusterversions', apiVersion: 'config.openshift.io/v1' },
};

/** What the MCO renders for these objects (throws when it would reject them). */
export function renderObjects(objects: readonly Obj[]): RenderResult {
  const parsed = clusterObjectsFromApi(
    objects.map((object) => {
      const kind = String(object['kind']);
      const r = RESOURCE[kind]!;
      return { object, kind, apiVersion: r.apiVersion, label: `${r.plural}/${object.metadata.name}` };
    }),
  );
  const result = renderRegistries(parsed);
  if (result.registriesConf === null) throw new Error(result.errors.map((e) => e.message).join('; '));
  return result;
}

/** The registries.conf the MCO writes for these objects. */
export function generatedRegistriesConf(objects: readonly Obj[]): string {
  return renderObjects(objects).registriesConf!;
}

/** The MCO's template MachineConfig for a role, holding the template registries.conf and policy.json. */
export function templateConfig(role: string): MachineConfigObject {
  return machineConfig(
    `01-${role}-container-runtime`,
    [
      { path: REGISTRIES_CONF_PATH, text: MCO_TEMPLATE_REGISTRIES_CONF, encoding: 'base64' },
      { path: POLICY_JSON_PATH, text: TEMPLATE_POLICY_JSON, encoding: 'base64' },
      { path: '/etc/containers/storage.conf', text: '[storage]\ndriver = "overlay"\n' },
    ],
    { role },
  );
}

export function generatedConfig(role: string, registriesConf: string | null): MachineConfigObject {
  const files: MachineConfigFile[] =
    registriesConf === null ? [] : [{ path: REGISTRIES_CONF_PATH, text: registriesConf, encoding: 'base64' }];
  return machineConfig(`99-${role}-generated-registries`, files, { role });
}

/** A rendered config: the merge of its sources, compressed as recent MCOs store large files. */
export function renderedConfig(
  name: string,
  registriesConf: string,
  extra: readonly MachineConfigFile[] = [],
): MachineConfigObject {
  return machineConfig(name, [
    { path: REGISTRIES_CONF_PATH, text: registriesConf, encoding: 'gzip' },
    { path: POLICY_JSON_PATH, text: TEMPLATE_POLICY_JSON, encoding: 'gzip' },
    {
      path: '/var/lib/kubelet/config.json',
      text: '{"auths":{"quay.example":{"auth":"c2VjcmV0OnNlY3JldA=="}}}',
    },
    ...extra,
  ]);
}

export function standardSources(role: string, extra: readonly string[] = []): string[] {
  return [
    `00-${role}`,
    `01-${role}-container-runtime`,
    `01-${role}-kubelet`,
    `99-${role}-generated-registries`,
    `99-${role}-ssh`,
    ...extra,
  ];
}

/** What an agent on a node running exactly this rendered config reports for the compared files. */
export function diskDigests(registriesConf: string): { path: string; sha256: string }[] {
  return [
    { path: POLICY_JSON_PATH, sha256: sha256(TEMPLATE_POLICY_JSON) },
    { path: REGISTRIES_CONF_PATH, sha256: sha256(registriesConf) },
  ];
}

/** The worker pool mid-rollout from rendered-worker-old to rendered-worker-new (by default 3 machines, 1 updated). */
export function laggingWorkerPool(
  counts: { readonly machineCount: number; readonly updatedMachineCount: number } = {
    machineCount: 3,
    updatedMachineCount: 1,
  },
): ReturnType<typeof machineConfigPool> {
  return machineConfigPool('worker', {
    target: 'rendered-worker-new',
    current: 'rendered-worker-old',
    sources: standardSources('worker'),
    ...counts,
  });
}

/**
 * The worker pool mid-rollout and its three nodes: w1 and w3 run rendered-worker-new, w2 is still on
 * rendered-worker-old. The rendered configs are the caller's.
 */
export function upsertLaggingWorkerPool(api: FakeKubeApi): void {
  api.upsert('machineconfigpools', laggingWorkerPool());
  api.upsert('nodes', mcoNode('w1', 'worker', { current: 'rendered-worker-new' }));
  api.upsert(
    'nodes',
    mcoNode('w2', 'worker', {
      current: 'rendered-worker-old',
      desired: 'rendered-worker-new',
      state: 'Working',
    }),
  );
  api.upsert('nodes', mcoNode('w3', 'worker', { current: 'rendered-worker-new' }));
}
