// What the collector reads from the Kubernetes API: pods (each node's image set), nodes (who should
// have an agent, pools, CRI-O versions), pod events (kubelet's pull failures), cluster intent
// (OpenShift) and, with --admission, the admission controllers. Each change bumps `changes`; the
// nodes whose image set changed are told to the `onImagesChanged` listeners (the agents get the new set).
import type { CoreV1Event, V1Node, V1Pod } from '@kubernetes/client-node';
import type { PullEvent } from '../core/report/types.js';
import type { KubeClients } from '../kube/kube-clients.js';
import type { SupervisedInformer } from '../kube/supervised-informer.js';
import type { AdmissionWatch } from './admission-watch.js';
import type { ChangeCount } from './change-count.js';
import type { ClusterIntent } from './cluster-intent.js';
import type { Log } from './log.js';
import type { NodeStore } from './node-store.js';
import type { ImageSets } from './pod-images.js';
import type { PodPullSecrets } from './pod-pull-secrets.js';
import { NodeViews } from './node-view.js';
import { imagesByNode, runtimeVersionsByNode, withUpgradeImage } from './pod-images.js';
import { pullEventsFrom } from './pull-events.js';
import { projectNode, projectPod } from './watched-projections.js';

export interface ClusterInformers {
  pods?: SupervisedInformer<V1Pod>;
  nodes?: SupervisedInformer<V1Node>;
  events?: SupervisedInformer<CoreV1Event>;
}

export interface ClusterWatchOptions {
  readonly store: NodeStore;
  readonly imageSets: ImageSets;
  readonly changes: ChangeCount;
  readonly eventMaxAgeMs: number;
  readonly informerWatchdogMs?: number;
  /** Read Portieris/Gatekeeper objects and FailedCreate events, every `intervalMs`. */
  readonly admission: { readonly intervalMs: number } | null;
  /** Read (get, by name) the pull secrets pods name. */
  readonly podPullSecrets?: boolean;
  readonly log: Log;
}

export class ClusterWatch {
  readonly informers: ClusterInformers = {};
  intent: ClusterIntent | null = null;
  admission: AdmissionWatch | null = null;
  podSecrets: PodPullSecrets | null = null;
  private events: PullEvent[] = [];
  private readonly nodeViews = new NodeViews();
  private readonly imageListeners: ((nodes: readonly string[]) => void)[] = [];

  private constructor(private readonly options: ClusterWatchOptions) {}

  /** Without a Kubernetes API: nothing is watched, every view is empty. */
  static none(options: ClusterWatchOptions): ClusterWatch {
    return new ClusterWatch(options);
  }

  static async open(kube: KubeClients, options: ClusterWatchOptions): Promise<ClusterWatch> {
    const watch = new ClusterWatch(options);
    await watch.create(kube);
    return watch;
  }

  /** `listener` learns the nodes whose image set (or CRI-O version) changed. Register before start(). */
  onImagesChanged(listener: (nodes: readonly string[]) => void): void {
    this.imageListeners.push(listener);
  }

  private imagesChanged(nodes: readonly string[]): void {
    for (const listener of this.imageListeners) listener(nodes);
  }

  /** kubelet's recent pull failures, with their pods' nodes. */
  pullEvents(): readonly PullEvent[] {
    return this.events;
  }

  pods(): readonly V1Pod[] {
    return this.informers.pods?.list() ?? [];
  }

  nodes(): readonly V1Node[] {
    return this.informers.nodes?.list() ?? [];
  }

  /** True without a Kubernetes API; with one, once pods and nodes have been listed. */
  get synced(): boolean {
    return this.informers.pods === undefined
      ? true
      : this.informers.pods.synced && this.informers.nodes?.synced === true;
  }

  informerRestarts(): Record<string, number> {
    return {
      ...Object.fromEntries(Object.entries(this.informers).map(([k, i]) => [k, i.restarts])),
      ...this.intent?.informerRestarts,
    };
  }

  start(): void {
    for (const informer of Object.values(this.informers)) informer.start();
    this.intent?.start();
    this.admission?.start();
    this.podSecrets?.start(() => this.pods());
  }

  async stop(): Promise<void> {
    this.admission?.stop();
    this.podSecrets?.stop();
    await Promise.all([...Object.values(this.informers).map((i) => i.stop()), this.intent?.stop()]);
  }

  private async create(kube: KubeClients): Promise<void> {
    const { log, changes } = this.options;
    const informerLog = (level: 'info' | 'warn', message: string): void => log[level](message);
    const hooks = {
      log: informerLog,
      ...(this.options.informerWatchdogMs !== undefined
        ? { watchdogMs: this.options.informerWatchdogMs }
        : {}),
    };
    // Loaded only with a Kubernetes API: client-node costs ~70 MiB and ~300 ms at import.
    const { eventInformer, nodeInformer, podInformer } = await import('../kube/watched-objects.js');
    this.informers.pods = podInformer(
      kube,
      hooks,
      () => {
        this.refreshImages();
        this.refreshEvents();
        this.podSecrets?.podsChanged(this.pods());
      },
      projectPod,
    );
    if (this.options.podPullSecrets === true) {
      const { PodPullSecrets } = await import('./pod-pull-secrets.js');
      this.podSecrets = new PodPullSecrets(kube.core, { log: informerLog, onChange: changes.bump });
    }
    this.informers.nodes = nodeInformer(kube, hooks, () => this.nodesChanged(), projectNode);
    this.informers.events = eventInformer(kube, hooks, () => this.refreshEvents());
    const { ClusterIntent } = await import('./cluster-intent.js');
    this.intent = new ClusterIntent({
      kube,
      hooks,
      log,
      nodes: () => this.nodes(),
      files: (node) => this.options.store.currentFiles(node),
      onChange: () => {
        changes.bump();
        this.refreshImages();
      },
    });
    if (this.options.admission !== null) {
      const { AdmissionWatch } = await import('./admission-watch.js');
      this.admission = new AdmissionWatch(kube, {
        intervalMs: this.options.admission.intervalMs,
        eventMaxAgeMs: this.options.eventMaxAgeMs,
        log: informerLog,
        onChange: changes.bump,
      });
    }
  }

  private podNode = (namespace: string, name: string): string | undefined =>
    this.informers.pods?.get(name, namespace)?.spec?.nodeName;

  private refreshEvents(): void {
    if (this.informers.events === undefined) return;
    this.events = pullEventsFrom(
      this.informers.events.list(),
      Date.now(),
      this.options.eventMaxAgeMs,
      this.podNode,
    );
    this.options.changes.bump();
  }

  private refreshImages(): void {
    if (this.informers.pods === undefined) return;
    const byNode = withUpgradeImage(
      imagesByNode(this.informers.pods.list()),
      this.nodes(),
      this.intent?.upgradeImage() ?? null,
    );
    const changed = this.options.imageSets.update(byNode);
    if (changed.length === 0) return;
    this.imagesChanged(changed);
    this.options.log.info(`image sets changed on ${changed.length} node(s)`);
  }

  private nodesChanged(): void {
    const { imageSets, store } = this.options;
    const nodes = this.nodes();
    // A deleted node whose agent has left is forgotten; one whose agent still talks stays.
    const existing = new Set(nodes.map((n) => n.metadata?.name));
    if (existing.size > 0) for (const name of [...store.names()]) if (!existing.has(name)) store.forget(name);
    // Status reports (and the condition mirrorscope writes) change nothing the collector reads: they
    // would otherwise rebuild the report and re-list every pod each time.
    if (!this.nodeViews.changed(nodes)) return;
    // A node whose CRI-O changed (an upgrade) gets its images again with the new version.
    const upgraded = imageSets.updateRuntimes(runtimeVersionsByNode(nodes));
    if (upgraded.length > 0) this.imagesChanged(upgraded);
    this.options.changes.bump();
    this.intent?.nodesChanged();
    this.refreshImages();
  }
}
