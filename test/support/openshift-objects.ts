// Builders for the OpenShift objects the mirror diagnosis reads, in the JSON shapes a real cluster
// returns (openshift/api types, MCO conventions — see /work/shared/reference/openshift.md §1 and §2.6):
// MachineConfigs with Ignition 3.4.0 files as the MCO writes them, MachineConfigPools with status
// counts and conditions, Nodes with the MCD annotations, ICSP / IDMS / ITMS, image.config and
// ClusterVersion. Feed them to FakeKubeApi.upsert (which stamps resourceVersion, uid, generation).
import { gzipSync } from 'node:zlib';
import { nodeObject, type Obj } from './fake-kube-api.js';

const MCO_GROUP = 'machineconfiguration.openshift.io';
const MCO_API = `${MCO_GROUP}/v1`;
const CONFIG_API = 'config.openshift.io/v1';

/** The MCD's node annotation keys (`pkg/daemon/constants/constants.go`). */
export const MCO_ANNOTATIONS = {
  currentConfig: `${MCO_GROUP}/currentConfig`,
  desiredConfig: `${MCO_GROUP}/desiredConfig`,
  state: `${MCO_GROUP}/state`,
  reason: `${MCO_GROUP}/reason`,
  desiredDrain: `${MCO_GROUP}/desiredDrain`,
  lastAppliedDrain: `${MCO_GROUP}/lastAppliedDrain`,
} as const;
/** Label that ties a MachineConfig to a pool's machineConfigSelector. */
export const MC_ROLE_LABEL = `${MCO_GROUP}/role`;
export const MCO_BUILT_IN_LABEL = `${MCO_GROUP}/mco-built-in`;

// ---------- MachineConfig ----------

export type FileEncoding = 'plain' | 'base64' | 'gzip';

export interface MachineConfigFile {
  readonly path: string;
  readonly text: string;
  /** How `contents.source` is written: `data:,<percent-encoded>` (plain, the default),
   *  `data:text/plain;charset=utf-8;base64,…` (base64), or gzip + `data:;base64,…` with
   *  `contents.compression: "gzip"`. */
  readonly encoding?: FileEncoding;
  /** Decimal file mode as Ignition stores it (default 420 = 0644). */
  readonly mode?: number;
}

export interface MachineConfigOptions {
  /** Sets label `machineconfiguration.openshift.io/role` (what a pool's machineConfigSelector matches). */
  readonly role?: string;
  readonly annotations?: Record<string, string>;
  readonly labels?: Record<string, string>;
  /** spec.osImageURL: '' for user/generated MCs, an image pull spec in rendered ones. */
  readonly osImageURL?: string;
  readonly fips?: boolean;
  readonly kernelType?: string;
}

export type IgnitionFile = {
  path: string;
  overwrite: boolean;
  mode: number;
  contents: { source: string; compression?: string };
};

export type MachineConfigObject = Obj & {
  apiVersion: string;
  kind: 'MachineConfig';
  spec: {
    config: { ignition: { version: string }; storage: { files: IgnitionFile[] } };
    osImageURL: string;
    fips: boolean;
    kernelType: string;
    kernelArguments: string[] | null;
    extensions: string[] | null;
  };
};

/** RFC 2397 `data:,` with RFC 3986 percent-encoding of everything but unreserved characters. */
function percentEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The Ignition `contents` of one file, encoded as the MCO writes it. */
export function ignitionContents(text: string, encoding: FileEncoding = 'plain'): IgnitionFile['contents'] {
  switch (encoding) {
    case 'plain':
      return { source: `data:,${percentEncode(text)}` };
    case 'base64':
      return { source: `data:text/plain;charset=utf-8;base64,${Buffer.from(text).toString('base64')}` };
    case 'gzip':
      return {
        compression: 'gzip',
        source: `data:;base64,${gzipSync(Buffer.from(text)).toString('base64')}`,
      };
  }
}

export function machineConfig(
  name: string,
  files: readonly MachineConfigFile[],
  opts: MachineConfigOptions = {},
): MachineConfigObject {
  const labels = { ...(opts.role === undefined ? {} : { [MC_ROLE_LABEL]: opts.role }), ...opts.labels };
  return {
    apiVersion: MCO_API,
    kind: 'MachineConfig',
    metadata: {
      name,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      ...(opts.annotations === undefined ? {} : { annotations: { ...opts.annotations } }),
    },
    spec: {
      config: {
        ignition: { version: '3.4.0' },
        storage: {
          files: files.map((f) => ({
            path: f.path,
            overwrite: true,
            mode: f.mode ?? 420,
            contents: ignitionContents(f.text, f.encoding),
          })),
        },
      },
      osImageURL: opts.osImageURL ?? '',
      fips: opts.fips ?? false,
      kernelType: opts.kernelType ?? '',
      kernelArguments: null,
      extensions: null,
    },
  };
}

// ---------- MachineConfigPool ----------

export interface MachineConfigPoolOptions {
  /** Rendered config the pool targets (spec.configuration.name), e.g. `rendered-worker-abc`. */
  readonly target: string;
  /** Rendered config the pool is at (status.configuration.name); default = target. */
  readonly current?: string;
  /** MachineConfigs rendered into the configuration (default: the usual base set for the pool). */
  readonly sources?: readonly string[];
  readonly paused?: boolean;
  /** Default 3. */
  readonly machineCount?: number;
  /** Default machineCount when current === target, else 0. */
  readonly updatedMachineCount?: number;
  /** Default updatedMachineCount − degradedMachineCount. */
  readonly readyMachineCount?: number;
  /** Default 0. */
  readonly degradedMachineCount?: number;
  /** Default: updating (1 while a rollout runs and the pool is not paused) + degraded, at most the not-ready. */
  readonly unavailableMachineCount?: number;
  /** Labels `mco-built-in` and a `matchLabels` machineConfigSelector; default true for master/worker. */
  readonly builtIn?: boolean;
  /** spec.nodeSelector.matchLabels; default `node-role.kubernetes.io/<name>: ""`. */
  readonly nodeSelector?: Record<string, string>;
  /** For NodeDegraded's message: `Node X is reporting: "…"`. */
  readonly degradedNode?: { readonly name: string; readonly reason: string };
}

export type McpCondition = {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime: string;
};

export type ConfigSource = { apiVersion: string; kind: 'MachineConfig'; name: string };

export type LabelSelector = {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values: string[] }[];
};

export type MachineConfigPoolObject = Obj & {
  apiVersion: string;
  kind: 'MachineConfigPool';
  spec: {
    configuration: { name: string; source: ConfigSource[] };
    machineConfigSelector: LabelSelector;
    nodeSelector: { matchLabels: Record<string, string> };
    paused: boolean;
  };
  status: {
    observedGeneration: number;
    configuration: { name: string; source: ConfigSource[] };
    machineCount: number;
    updatedMachineCount: number;
    readyMachineCount: number;
    unavailableMachineCount: number;
    degradedMachineCount: number;
    conditions: McpCondition[];
  };
};

function defaultSources(pool: string): string[] {
  const base = pool === 'master' || pool === 'worker' ? pool : 'worker';
  return [
    `00-${base}`,
    `01-${base}-container-runtime`,
    `01-${base}-kubelet`,
    `97-${base}-generated-kubelet`,
    `98-${base}-generated-kubelet`,
    `99-${base}-generated-registries`,
    `99-${base}-ssh`,
  ];
}

function condition(type: string, on: boolean, message = '', reason = ''): McpCondition {
  return {
    type,
    status: on ? 'True' : 'False',
    reason,
    message,
    lastTransitionTime: new Date().toISOString(),
  };
}

export function machineConfigPool(name: string, opts: MachineConfigPoolOptions): MachineConfigPoolObject {
  const builtIn = opts.builtIn ?? (name === 'master' || name === 'worker');
  const current = opts.current ?? opts.target;
  const source = (opts.sources ?? defaultSources(name)).map((n): ConfigSource => ({
    apiVersion: MCO_API,
    kind: 'MachineConfig',
    name: n,
  }));
  const paused = opts.paused ?? false;
  const machineCount = opts.machineCount ?? 3;
  const degraded = opts.degradedMachineCount ?? 0;
  const updated = opts.updatedMachineCount ?? (current === opts.target ? machineCount : 0);
  const ready = opts.readyMachineCount ?? Math.max(0, updated - degraded);
  const unavailable =
    opts.unavailableMachineCount ??
    Math.min(machineCount - ready, (updated < machineCount && !paused ? 1 : 0) + degraded);
  const allUpdated = updated === machineCount && ready === machineCount && unavailable === 0;
  const rendered = `MachineConfig ${opts.target}`;
  const nodeDegraded = degraded > 0;
  const conditions = [
    condition('RenderDegraded', false),
    condition(
      'NodeDegraded',
      nodeDegraded,
      nodeDegraded && opts.degradedNode !== undefined
        ? `Node ${opts.degradedNode.name} is reporting: "${opts.degradedNode.reason}"`
        : '',
      nodeDegraded ? `${degraded} nodes are reporting degraded status on sync` : '',
    ),
    condition('Degraded', nodeDegraded),
    condition('Updated', allUpdated, allUpdated ? `All nodes are updated with ${rendered}` : ''),
    condition('Updating', !allUpdated, allUpdated ? '' : `All nodes are updating to ${rendered}`),
  ];
  const labels: Record<string, string> = { [`pools.operator.machineconfiguration.openshift.io/${name}`]: '' };
  if (builtIn) labels[MCO_BUILT_IN_LABEL] = '';
  if (name === 'master') labels['operator.machineconfiguration.openshift.io/required-for-upgrade'] = '';
  return {
    apiVersion: MCO_API,
    kind: 'MachineConfigPool',
    metadata: { name, labels },
    spec: {
      configuration: { name: opts.target, source },
      machineConfigSelector: builtIn
        ? { matchLabels: { [MC_ROLE_LABEL]: name } }
        : { matchExpressions: [{ key: MC_ROLE_LABEL, operator: 'In', values: ['worker', name] }] },
      nodeSelector: {
        matchLabels: { ...(opts.nodeSelector ?? { [`node-role.kubernetes.io/${name}`]: '' }) },
      },
      paused,
    },
    status: {
      observedGeneration: 1,
      configuration: { name: current, source: source.map((s) => ({ ...s })) },
      machineCount,
      updatedMachineCount: updated,
      readyMachineCount: ready,
      unavailableMachineCount: unavailable,
      degradedMachineCount: degraded,
      conditions,
    },
  };
}

// ---------- Node with MCD annotations ----------

/** The MCD's `machineconfiguration.openshift.io/state` values. */
export type McdState = 'Done' | 'Working' | 'Degraded' | 'Rebooting' | 'Unreconcilable';

export interface McoNodeOptions {
  /** currentConfig annotation (a rendered MC name). */
  readonly current: string;
  /** desiredConfig annotation; default = current. */
  readonly desired?: string;
  /** Default 'Done'. */
  readonly state?: McdState;
  /** Default ''. */
  readonly reason?: string;
}

export function mcoNode(name: string, role: string, opts: McoNodeOptions): Obj {
  const node = nodeObject(name, role);
  const desired = opts.desired ?? opts.current;
  const labels: Record<string, string> = { ...node.metadata.labels, 'kubernetes.io/os': 'linux' };
  if (role === 'master') labels['node-role.kubernetes.io/control-plane'] = '';
  return {
    ...node,
    metadata: {
      ...node.metadata,
      labels,
      annotations: {
        [MCO_ANNOTATIONS.currentConfig]: opts.current,
        [MCO_ANNOTATIONS.desiredConfig]: desired,
        [MCO_ANNOTATIONS.state]: opts.state ?? 'Done',
        [MCO_ANNOTATIONS.reason]: opts.reason ?? '',
        [MCO_ANNOTATIONS.desiredDrain]: `uncordon-${desired}`,
        [MCO_ANNOTATIONS.lastAppliedDrain]: `uncordon-${desired}`,
        'machineconfiguration.openshift.io/controlPlaneTopology': 'HighlyAvailable',
      },
    },
  };
}

// ---------- ICSP / IDMS / ITMS ----------

export type MirrorSourcePolicy = 'NeverContactSource' | 'AllowContactingSource';

export interface MirrorEntry {
  readonly source: string;
  /** Optional in the API; omitted from the object when undefined. */
  readonly mirrors?: readonly string[];
  readonly mirrorSourcePolicy?: MirrorSourcePolicy;
}

export interface IcspEntry {
  readonly source: string;
  readonly mirrors?: readonly string[];
}

export type ImageMirror = { source: string; mirrors?: string[]; mirrorSourcePolicy?: MirrorSourcePolicy };

export type ImageDigestMirrorSetObject = Obj & {
  apiVersion: string;
  kind: 'ImageDigestMirrorSet';
  spec: { imageDigestMirrors: ImageMirror[] };
  status: Record<string, never>;
};

export type ImageTagMirrorSetObject = Obj & {
  apiVersion: string;
  kind: 'ImageTagMirrorSet';
  spec: { imageTagMirrors: ImageMirror[] };
  status: Record<string, never>;
};

export type ImageContentSourcePolicyObject = Obj & {
  apiVersion: string;
  kind: 'ImageContentSourcePolicy';
  spec: { repositoryDigestMirrors: { source: string; mirrors?: string[] }[] };
};

function mirrors(entries: readonly MirrorEntry[]): ImageMirror[] {
  return entries.map((e) => ({
    source: e.source,
    ...(e.mirrors === undefined ? {} : { mirrors: [...e.mirrors] }),
    ...(e.mirrorSourcePolicy === undefined ? {} : { mirrorSourcePolicy: e.mirrorSourcePolicy }),
  }));
}

export function imageDigestMirrorSet(
  name: string,
  entries: readonly MirrorEntry[],
): ImageDigestMirrorSetObject {
  return {
    apiVersion: CONFIG_API,
    kind: 'ImageDigestMirrorSet',
    metadata: { name },
    spec: { imageDigestMirrors: mirrors(entries) },
    status: {},
  };
}

export function imageTagMirrorSet(name: string, entries: readonly MirrorEntry[]): ImageTagMirrorSetObject {
  return {
    apiVersion: CONFIG_API,
    kind: 'ImageTagMirrorSet',
    metadata: { name },
    spec: { imageTagMirrors: mirrors(entries) },
    status: {},
  };
}

export function imageContentSourcePolicy(
  name: string,
  entries: readonly IcspEntry[],
): ImageContentSourcePolicyObject {
  return {
    apiVersion: 'operator.openshift.io/v1alpha1',
    kind: 'ImageContentSourcePolicy',
    metadata: { name },
    spec: {
      repositoryDigestMirrors: entries.map((e) => ({
        source: e.source,
        ...(e.mirrors === undefined ? {} : { mirrors: [...e.mirrors] }),
      })),
    },
  };
}

// ---------- image.config.openshift.io/cluster, ClusterVersion ----------

export interface RegistrySources {
  readonly insecureRegistries?: readonly string[];
  readonly blockedRegistries?: readonly string[];
  readonly allowedRegistries?: readonly string[];
  readonly containerRuntimeSearchRegistries?: readonly string[];
}

export interface ImageConfigOptions {
  /** spec.additionalTrustedCA.name: a ConfigMap in openshift-config. */
  readonly additionalTrustedCA?: string;
}

export type ImageConfigObject = Obj & {
  apiVersion: string;
  kind: 'Image';
  spec: {
    registrySources?: {
      insecureRegistries?: string[];
      blockedRegistries?: string[];
      allowedRegistries?: string[];
      containerRuntimeSearchRegistries?: string[];
    };
    additionalTrustedCA?: { name: string };
  };
  status: { internalRegistryHostname: string };
};

export function imageConfig(
  registrySources: RegistrySources = {},
  opts: ImageConfigOptions = {},
): ImageConfigObject {
  const sources: NonNullable<ImageConfigObject['spec']['registrySources']> = {};
  for (const key of [
    'insecureRegistries',
    'blockedRegistries',
    'allowedRegistries',
    'containerRuntimeSearchRegistries',
  ] as const) {
    const list = registrySources[key];
    if (list !== undefined) sources[key] = [...list];
  }
  return {
    apiVersion: CONFIG_API,
    kind: 'Image',
    metadata: { name: 'cluster' },
    spec: {
      ...(Object.keys(sources).length > 0 ? { registrySources: sources } : {}),
      ...(opts.additionalTrustedCA === undefined
        ? {}
        : { additionalTrustedCA: { name: opts.additionalTrustedCA } }),
    },
    status: { internalRegistryHostname: 'image-registry.openshift-image-registry.svc:5000' },
  };
}

export type ClusterVersionObject = Obj & {
  apiVersion: string;
  kind: 'ClusterVersion';
  spec: { clusterID: string; channel: string };
  status: {
    desired: { image: string; version: string };
    history: { state: string; image: string; version: string; verified: boolean; startedTime: string }[];
    observedGeneration: number;
  };
};

export function clusterVersion(releaseImage: string, version = '4.16.0'): ClusterVersionObject {
  const [major, minor] = version.split('.');
  return {
    apiVersion: CONFIG_API,
    kind: 'ClusterVersion',
    metadata: { name: 'version' },
    spec: { clusterID: '6b3d1e2f-0a6c-4c1e-9d7e-2f4b8a1c5e90', channel: `stable-${major}.${minor}` },
    status: {
      desired: { image: releaseImage, version },
      history: [
        {
          state: 'Completed',
          image: releaseImage,
          version,
          verified: false,
          startedTime: new Date().toISOString(),
        },
      ],
      observedGeneration: 1,
    },
  };
}
