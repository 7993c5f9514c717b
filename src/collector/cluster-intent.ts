// The collector's view of cluster intent vs node reality on OpenShift: watches the mirror objects,
// the cluster singletons and the MachineConfigPools, fetches the MachineConfigs an evaluation asks
// for, and evaluates (pure, src/core/rollout) with the nodes' annotations and their agents' file
// digests. Off (with one log line) when the API server serves no MachineConfigPools.
import type { KubernetesObject, V1LabelSelector, V1Node } from '@kubernetes/client-node';
import { clusterObjectsFromApi } from '../core/mco/parse-objects.js';
import type { ClusterObjects } from '../core/mco/types.js';
import { evaluateIntent } from '../core/rollout/evaluate.js';
import { readMachineConfig, type MachineConfigView } from '../core/rollout/machine-config.js';
import type { IntentEvaluation, NodeMcoState, PoolState } from '../core/rollout/types.js';
import type { ConfigFileDigest } from '../protocol/messages.js';
import { describeKubeError } from '../kube/api-error.js';
import type { KubeClients } from '../kube/kube-clients.js';
import {
  apiVersionOf,
  getMachineConfig,
  MIRROR_RESOURCES,
  openShiftInformer,
  POOL_RESOURCE,
  servedResources,
  type OpenShiftResource,
} from '../kube/openshift-objects.js';
import type { SupervisedInformer } from '../kube/supervised-informer.js';
import type { InformerHooks } from '../kube/watched-objects.js';
import { REGISTRIES_CONF_PATH } from '../core/mco/render.js';
import { generatorPool, profileFor, templateConfigName } from '../core/rollout/pool-intent.js';
import type { Log } from './log.js';
import type { WhatIfBasis } from './what-if.js';
import { poolForNode, poolOf, type PoolSelector } from './node-pools.js';

const ANNOTATION = 'machineconfiguration.openshift.io/';
const BUILT_IN_LABEL = 'machineconfiguration.openshift.io/mco-built-in';
const BUILT_IN_POOLS = new Set(['master', 'worker', 'arbiter']);
/** Rendered configs never change (their name is a hash of their content); keep the recent ones. */
const MAX_RENDERED_CACHED = 64;
const FETCH_CONCURRENCY = 4;
const MAX_FETCH_ROUNDS = 4;
/** After a failed fetch, or when configs are still missing after the last round. */
const RETRY_MS = 30_000;

interface PoolObject extends KubernetesObject {
  spec?: {
    paused?: boolean;
    nodeSelector?: V1LabelSelector | null;
    configuration?: { name?: string; source?: { name?: string }[] };
  };
  status?: {
    configuration?: { name?: string };
    machineCount?: number;
    updatedMachineCount?: number;
    degradedMachineCount?: number;
  };
}

export interface ClusterIntentOptions {
  readonly kube: KubeClients;
  readonly hooks: InformerHooks;
  readonly log: Log;
  /** The Node objects (the collector's node informer). */
  readonly nodes: () => readonly V1Node[];
  /** The agent's latest file digests for a node, or null. */
  readonly files: (node: string) => readonly ConfigFileDigest[] | null;
  /** Something the report shows changed (MachineConfigs fetched, objects changed). */
  readonly onChange: () => void;
  readonly rediscoverMs?: number;
}

function numberOrNull(v: unknown): number | null {
  return typeof v === 'number' ? v : null;
}

/** The latest creation or field-manager write among the objects (managedFields times are RFC 3339). */
function lastChange(objects: readonly KubernetesObject[]): number {
  let latest = 0;
  for (const o of objects) {
    const times = [o.metadata?.creationTimestamp, ...(o.metadata?.managedFields ?? []).map((f) => f.time)];
    for (const t of times) {
      const ms = t === undefined ? NaN : new Date(t).getTime();
      if (ms > latest) latest = ms;
    }
  }
  return latest;
}

function poolState(p: PoolObject): PoolState {
  const name = p.metadata?.name ?? '';
  return {
    name,
    builtIn: BUILT_IN_POOLS.has(name) || p.metadata?.labels?.[BUILT_IN_LABEL] !== undefined,
    paused: p.spec?.paused === true,
    target: p.spec?.configuration?.name || null,
    targetSources: (p.spec?.configuration?.source ?? []).flatMap((s) => (s.name ? [s.name] : [])),
    current: p.status?.configuration?.name || null,
    machineCount: numberOrNull(p.status?.machineCount),
    updatedMachineCount: numberOrNull(p.status?.updatedMachineCount),
    degradedMachineCount: numberOrNull(p.status?.degradedMachineCount),
  };
}

export class ClusterIntent {
  private readonly informers = new Map<OpenShiftResource, SupervisedInformer<KubernetesObject>>();
  private readonly configs = new Map<string, MachineConfigView | 'not-found'>();
  private objects: ClusterObjects = { mirrorSets: [], image: null, releaseImage: null, notes: [] };
  private objectsKey = '';
  private objectsChangedAtMs = 0;
  private epoch = '';
  private fetching: Promise<void> | null = null;
  /** Something changed while a fetch ran: look again once it ends. */
  private fetchAgain = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private discoveryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** True once discovery found MachineConfigPools. */
  enabled = false;

  constructor(private readonly options: ClusterIntentOptions) {}

  start(): void {
    void this.discover();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.discoveryTimer !== null) clearTimeout(this.discoveryTimer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    await this.fetching?.catch(() => undefined);
  }

  get informerRestarts(): Record<string, number> {
    return Object.fromEntries([...this.informers].map(([r, i]) => [r.plural, i.restarts]));
  }

  private async discover(): Promise<void> {
    const { kube, log } = this.options;
    try {
      const served = await servedResources(kube, [...Object.values(MIRROR_RESOURCES), POOL_RESOURCE]);
      if (this.stopped) return;
      if (!served.includes(POOL_RESOURCE)) {
        log.info(
          'no MachineConfigPool API (not an OpenShift cluster): cluster intent vs node checks are off',
        );
        return;
      }
      this.enabled = true;
      for (const resource of served) {
        const informer = openShiftInformer(kube, resource, this.options.hooks, () => this.changed());
        this.informers.set(resource, informer);
        informer.start();
      }
      log.info(`watching ${served.map((r) => r.plural).join(', ')} for cluster intent vs node checks`);
    } catch (err) {
      if (this.stopped) return;
      const delay = this.options.rediscoverMs ?? 60_000;
      log.warn(`API discovery failed (${describeKubeError(err)}); retrying in ${Math.round(delay / 1000)} s`);
      this.discoveryTimer = setTimeout(() => void this.discover(), delay);
      this.discoveryTimer.unref();
    }
  }

  private list(resource: OpenShiftResource): readonly KubernetesObject[] {
    return this.informers.get(resource)?.list() ?? [];
  }

  /**
   * The release image an upgrade is set to (ClusterVersion `spec.desiredUpdate.image`) while the
   * cluster does not run it yet; null otherwise.
   */
  upgradeImage(): string | null {
    const cv = this.list(MIRROR_RESOURCES.clusterVersion).find((o) => o.metadata?.name === 'version') as
      | { spec?: { desiredUpdate?: { image?: unknown } }; status?: { desired?: { image?: unknown } } }
      | undefined;
    const wanted = cv?.spec?.desiredUpdate?.image;
    if (typeof wanted !== 'string' || wanted === '') return null;
    return wanted === cv?.status?.desired?.image ? null : wanted;
  }

  /** By name, so the report lists them in a stable order. */
  private pools(): PoolObject[] {
    return ([...this.list(POOL_RESOURCE)] as PoolObject[]).sort((a, b) =>
      (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1,
    );
  }

  /** One of its informers changed: re-read the objects, then fetch what an evaluation will need. */
  private changed(): void {
    const items = Object.values(MIRROR_RESOURCES).flatMap((r) =>
      [...this.list(r)]
        .sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1))
        .map((object) => ({
          object,
          label: `${r.plural}/${object.metadata?.name ?? ''}`,
          kind: r.kind,
          apiVersion: apiVersionOf(r),
        })),
    );
    const objects = clusterObjectsFromApi(items);
    // The policy files are compared only when the collector could read the objects behind them.
    const policiesRead = [...this.informers.keys()].some((r) => r.plural === 'clusterimagepolicies');
    this.objects = policiesRead ? objects : { ...objects, imagePolicies: undefined };
    const key = JSON.stringify([
      this.objects.mirrorSets.map((o) => [
        o.kind,
        o.ref.name,
        o.entries.map((e) => [e.source, e.mirrors, e.policy]),
      ]),
      this.objects.image?.registrySources ?? null,
      this.objects.releaseImage?.value ?? null,
      (this.objects.imagePolicies ?? []).map((p) => [
        p.kind,
        p.namespace,
        p.ref.name,
        p.scopes.map((x) => x.value),
        p.requirement,
      ]),
    ]);
    if (key !== this.objectsKey) {
      this.objectsKey = key;
      // Until every informer has listed, the objects are being read, not changed: their own
      // timestamps say when they last changed. After that, a change is now.
      const listing = [...this.informers.values()].some((i) => !i.synced);
      // (ClusterVersion's status is rewritten all the time; only its desired image matters.)
      const own = items.filter((i) => i.kind !== MIRROR_RESOURCES.clusterVersion.kind).map((i) => i.object);
      this.objectsChangedAtMs = listing ? lastChange(own) : Date.now();
    }
    // Every non-rendered MachineConfig that matters feeds some pool's target: when no target changed,
    // none of them did either.
    const epoch = `${key}\n${this.pools()
      .map((p) => `${p.metadata?.name}=${p.spec?.configuration?.name}`)
      .sort()
      .join(',')}`;
    if (epoch !== this.epoch) {
      this.epoch = epoch;
      for (const name of [...this.configs.keys()])
        if (!name.startsWith('rendered-')) this.configs.delete(name);
    }
    this.options.onChange();
    this.prefetch();
  }

  /** Node annotations changed: the objects did not, but the configs nodes refer to may be new. */
  nodesChanged(): void {
    this.prefetch();
  }

  /**
   * The pool of a node the way the MCO assigns it (role labels until the pools are listed). Take the
   * function once per pass over the nodes: it holds the pools' selectors.
   */
  poolAssigner(): (node: V1Node) => string | null {
    const pools = this.pools();
    if (pools.length === 0) return poolOf;
    const selectors: PoolSelector[] = pools.map((p) => ({
      name: p.metadata?.name ?? '',
      nodeSelector: p.spec?.nodeSelector ?? null,
    }));
    return (node) => poolForNode(node.metadata?.labels ?? {}, selectors);
  }

  private nodeStates(withFiles: boolean): NodeMcoState[] {
    const poolOfNode = this.poolAssigner();
    return this.options.nodes().map((n) => {
      const a = n.metadata?.annotations ?? {};
      const name = n.metadata?.name ?? '';
      return {
        name,
        pool: poolOfNode(n),
        currentConfig: a[`${ANNOTATION}currentConfig`] || null,
        desiredConfig: a[`${ANNOTATION}desiredConfig`] || null,
        state: a[`${ANNOTATION}state`] || null,
        reason: a[`${ANNOTATION}reason`] || null,
        files: withFiles ? this.options.files(name) : [],
      };
    });
  }

  private run(nodes: readonly NodeMcoState[], nowMs: number): IntentEvaluation {
    return evaluateIntent({
      objects: this.objects,
      pools: this.pools().map(poolState),
      nodes,
      machineConfigs: this.configs,
      clusterVersion: this.clusterVersion(),
      objectsChangedAtMs: this.objectsChangedAtMs,
      nowMs,
    });
  }

  private clusterVersion(): string | null {
    const cv = this.list(MIRROR_RESOURCES.clusterVersion).find((o) => o.metadata?.name === 'version') as
      { status?: { desired?: { version?: unknown } } } | undefined;
    const version = cv?.status?.desired?.version;
    return typeof version === 'string' && version !== '' ? version : null;
  }

  /**
   * What a what-if starts from: the objects, each pool's template registries.conf (the one
   * `01-<pool>-container-runtime` carries, null: the MCO's own), the cluster version's MCO rendering.
   * null when this is not an OpenShift cluster.
   */
  whatIfBasis(): WhatIfBasis | null {
    if (!this.enabled) return null;
    const { profile, note } = profileFor(this.clusterVersion());
    const notes = note === null ? [] : [note];
    const templates = this.pools().map((p) => {
      const pool = poolState(p);
      const mc = this.configs.get(templateConfigName(generatorPool(pool)));
      const file = mc === undefined || mc === 'not-found' ? undefined : mc.files.get(REGISTRIES_CONF_PATH);
      if (mc === undefined)
        notes.push(
          `pool ${pool.name}: its template MachineConfig is not read yet; rendered over the MCO's template`,
        );
      return {
        pool: pool.name,
        template:
          file === undefined
            ? null
            : {
                path: `MachineConfig ${templateConfigName(generatorPool(pool))}: ${file.path}`,
                text: file.text,
              },
      };
    });
    return { objects: this.objects, templates, profile, notes };
  }

  /**
   * null when this is not an OpenShift cluster (or discovery has not answered yet). Reads only: the
   * MachineConfigs it needs are fetched when the objects or nodes that name them change.
   */
  evaluate(nowMs: number): IntentEvaluation | null {
    if (!this.enabled) return null;
    return this.run(this.nodeStates(true), nowMs);
  }

  /**
   * Fetches, in a few rounds, the MachineConfigs an evaluation would ask for; one fetch runs at a
   * time, and a change during it starts another once it ends. What is still missing after a failure
   * or after the last round is tried again after RETRY_MS.
   */
  private prefetch(): void {
    if (!this.enabled || this.stopped) return;
    if (this.fetching !== null) {
      this.fetchAgain = true;
      return;
    }
    if (this.retryTimer !== null) return;
    this.fetchAgain = false;
    let incomplete = false;
    this.fetching = (async () => {
      for (let round = 0; round < MAX_FETCH_ROUNDS && !this.stopped; round++) {
        const wanted = this.wanted();
        if (wanted.length === 0) return;
        await this.fetchAll(wanted);
      }
      incomplete = this.wanted().length > 0;
    })()
      .catch((err: unknown) => {
        incomplete = true;
        this.options.log.warn(
          `cannot read MachineConfigs (${(err as Error).message}); retrying in ${RETRY_MS / 1000} s`,
        );
      })
      .finally(() => {
        this.fetching = null;
        this.options.onChange();
        if (incomplete) this.retryLater();
        else if (this.fetchAgain) this.prefetch();
      });
  }

  private wanted(): readonly string[] {
    return this.run(this.nodeStates(false), Date.now()).wanted;
  }

  private retryLater(): void {
    if (this.stopped || this.retryTimer !== null) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.prefetch();
    }, RETRY_MS);
    this.retryTimer.unref();
  }

  private async fetchAll(names: readonly string[]): Promise<void> {
    const queue = [...names];
    const worker = async (): Promise<void> => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        const object = await getMachineConfig(this.options.kube, name);
        this.configs.set(name, object === null ? 'not-found' : readMachineConfig(object));
      }
    };
    await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, queue.length) }, worker));
    this.evictRendered();
  }

  private evictRendered(): void {
    const rendered = [...this.configs.keys()].filter((n) => n.startsWith('rendered-'));
    const inUse = new Set<string>();
    for (const p of this.pools()) {
      if (p.spec?.configuration?.name) inUse.add(p.spec.configuration.name);
      if (p.status?.configuration?.name) inUse.add(p.status.configuration.name);
    }
    for (const n of this.options.nodes()) {
      const a = n.metadata?.annotations ?? {};
      for (const k of ['currentConfig', 'desiredConfig'])
        if (a[`${ANNOTATION}${k}`]) inUse.add(a[`${ANNOTATION}${k}`]!);
    }
    let excess = rendered.length - MAX_RENDERED_CACHED;
    for (const name of rendered) {
      if (excess <= 0) break;
      if (inUse.has(name)) continue;
      this.configs.delete(name);
      excess--;
    }
  }
}
