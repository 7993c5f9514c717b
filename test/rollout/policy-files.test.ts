// The signature policy files of `99-<pool>-generated-registries` in the intent-vs-reality comparison:
// sigstore-registries.yaml and /etc/crio/policies/<namespace>.json are expected exactly when the
// collector read the ClusterImagePolicy / ImagePolicy objects, and compared by meaning.
import { describe, expect, it } from 'vitest';
import { clusterObjectsFromApi } from '../../src/core/mco/parse-objects.js';
import { POLICY_JSON_PATH } from '../../src/core/mco/render.js';
import { SIGSTORE_REGISTRIES_D_PATH } from '../../src/core/mco/sigstore-render.js';
import { CURRENT_MCO } from '../../src/core/mco/versions.js';
import { readMachineConfig } from '../../src/core/rollout/machine-config.js';
import { MachineConfigs } from '../../src/core/rollout/machine-config-lookup.js';
import { checkGenerated, renderIntent } from '../../src/core/rollout/pool-intent.js';
import { templateConfig } from '../support/mco-cluster.js';
import { machineConfig, type MachineConfigFile } from '../support/openshift-objects.js';

const KEY = Buffer.from('-----BEGIN PUBLIC KEY-----\nlab\n-----END PUBLIC KEY-----\n').toString('base64');
const OTHER_KEY = Buffer.from('-----BEGIN PUBLIC KEY-----\nother\n-----END PUBLIC KEY-----\n').toString(
  'base64',
);

function policy(kind: 'ClusterImagePolicy' | 'ImagePolicy', name: string, scopes: string[], keyData = KEY) {
  return {
    apiVersion: 'config.openshift.io/v1',
    kind,
    metadata: { name, ...(kind === 'ImagePolicy' ? { namespace: 'team' } : {}) },
    spec: { scopes, policy: { rootOfTrust: { policyType: 'PublicKey', publicKey: { keyData } } } },
  };
}

function objects(list: ReturnType<typeof policy>[], read = true) {
  const parsed = clusterObjectsFromApi(
    list.map((object) => ({
      object,
      kind: object.kind,
      apiVersion: object.apiVersion,
      label: `${object.kind.toLowerCase()}s/${object.metadata.name}`,
    })),
  );
  return read ? parsed : { ...parsed, imagePolicies: undefined };
}

const CONFIGS = new MachineConfigs(
  new Map([['01-worker-container-runtime', readMachineConfig(templateConfig('worker'))]]),
);

function intentFor(list: ReturnType<typeof policy>[], read = true) {
  return renderIntent(objects(list, read), 'worker', CONFIGS, CURRENT_MCO)!;
}

function generated(files: MachineConfigFile[]) {
  return readMachineConfig(machineConfig('99-worker-generated-registries', files, { role: 'worker' }));
}

/** The generated MachineConfig as the MCO writes it for the same objects. */
function asWritten(list: ReturnType<typeof policy>[]): MachineConfigFile[] {
  const r = intentFor(list).result;
  const files: MachineConfigFile[] = [];
  if (r.policyJsonText !== null)
    files.push({ path: POLICY_JSON_PATH, text: r.policyJsonText, encoding: 'base64' });
  if (r.sigstoreRegistriesYaml !== null)
    files.push({ path: SIGSTORE_REGISTRIES_D_PATH, text: r.sigstoreRegistriesYaml, encoding: 'base64' });
  for (const p of r.namespacedPolicies) files.push({ path: p.path, text: p.text, encoding: 'base64' });
  return files;
}

describe('signature policy files in the generated MachineConfig', () => {
  const POLICIES = [
    policy('ClusterImagePolicy', 'release', ['quay.example/ocp']),
    policy('ImagePolicy', 'team', ['team.example']),
  ];

  it('matches when the MCO wrote what the objects call for', () => {
    expect(checkGenerated(intentFor(POLICIES), generated(asWritten(POLICIES)), false)).toEqual({
      state: 'matches',
      difference: null,
    });
    expect(asWritten(POLICIES).map((f) => f.path)).toEqual([
      POLICY_JSON_PATH,
      SIGSTORE_REGISTRIES_D_PATH,
      '/etc/crio/policies/team.json',
    ]);
  });

  it('differs when the attachments file or a namespace file is missing or stale', () => {
    const written = asWritten(POLICIES);
    const noYaml = written.filter((f) => f.path !== SIGSTORE_REGISTRIES_D_PATH);
    expect(checkGenerated(intentFor(POLICIES), generated(noYaml), false)).toEqual({
      state: 'differs',
      difference: `${SIGSTORE_REGISTRIES_D_PATH}: the file is missing`,
    });
    const stale = [
      ...written,
      { path: '/etc/crio/policies/gone.json', text: '{}', encoding: 'base64' as const },
    ];
    expect(checkGenerated(intentFor(POLICIES), generated(stale), false).difference).toBe(
      '/etc/crio/policies/gone.json: no file expected, but there is one',
    );
  });

  it('compares the sigstore requirement itself, not only its type', () => {
    const rotated = [policy('ClusterImagePolicy', 'release', ['quay.example/ocp'], OTHER_KEY), POLICIES[1]!];
    expect(checkGenerated(intentFor(POLICIES), generated(asWritten(rotated)), false).difference).toBe(
      `${POLICY_JSON_PATH}: docker scope quay.example/ocp: the sigstoreSigned requirement's keys or identity differ`,
    );
  });

  it('compares registries.d by the scopes it turns on, whatever the YAML layout', () => {
    const written = asWritten(POLICIES).map((f) =>
      f.path === SIGSTORE_REGISTRIES_D_PATH
        ? {
            ...f,
            text: 'docker: {"team.example": {use-sigstore-attachments: true}, "quay.example/ocp": {use-sigstore-attachments: true}}\n',
          }
        : f,
    );
    expect(checkGenerated(intentFor(POLICIES), generated(written), false).state).toBe('matches');
  });

  it('leaves the files alone when the collector could not read the policy objects', () => {
    const intent = intentFor([], false);
    expect(checkGenerated(intent, generated(asWritten(POLICIES)), false).state).toBe('matches');
  });
});
