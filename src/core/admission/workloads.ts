// Pods as a manifest describes them: a Pod, or the pod template of a Deployment, ReplicaSet,
// StatefulSet, DaemonSet, Job, ReplicationController or CronJob. Each container becomes one
// admission query with the pod's real container name, labels and namespace.
import { configError } from '../errors.js';
import type { ConfigFile } from '../registries/types.js';
import { parseYamlDocuments, type Located } from '../mco/yaml-tree.js';
import type { ContainerField } from './gatekeeper-repos.js';
import { plainValue } from './objects.js';

export interface WorkloadContainer {
  /** `Deployment/web` as written in the manifest. */
  readonly workload: string;
  /** null when the manifest names no namespace. */
  readonly namespace: string | null;
  readonly podName: string | null;
  readonly labels: ReadonlyMap<string, string>;
  readonly field: ContainerField;
  readonly name: string;
  readonly image: string;
}

/** Where each kind keeps its pod template. */
const TEMPLATE_PATH: Readonly<Record<string, readonly string[]>> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

type Json = Record<string, unknown>;

function at(obj: unknown, path: readonly string[]): unknown {
  let cur = obj;
  for (const p of path) cur = (cur as Json | undefined)?.[p];
  return cur;
}

function readDocument(file: string, node: Located, out: WorkloadContainer[]): void {
  const obj = plainValue(node) as Json;
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  if (kind === 'List') {
    for (const item of ((node.value as Map<string, Located>).get('items')?.value as Located[] | undefined) ??
      [])
      readDocument(file, item, out);
    return;
  }
  const path = TEMPLATE_PATH[kind];
  if (path === undefined)
    throw configError(
      `a ${kind || 'document without kind'} is not a workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, ReplicationController)`,
      { file, line: node.line },
    );
  const meta = (obj.metadata ?? {}) as Json;
  const name = typeof meta.name === 'string' ? meta.name : '';
  const namespace = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : null;
  const pod = path.length === 0 ? obj : at(obj, path);
  const podMeta = ((pod as Json | undefined)?.metadata ?? {}) as Json;
  const labels = new Map<string, string>();
  for (const [k, v] of Object.entries((podMeta.labels ?? {}) as Json))
    if (typeof v === 'string') labels.set(k, v);
  const spec = ((pod as Json | undefined)?.spec ?? {}) as Json;
  for (const field of ['initContainers', 'containers', 'ephemeralContainers'] as const) {
    const list = spec[field];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list))
      throw configError(`${kind} "${name}" ${field} must be a list`, { file, line: node.line });
    for (const c of list as Json[]) {
      if (typeof c?.image !== 'string') continue;
      out.push({
        workload: `${kind}/${name}`,
        namespace,
        podName: kind === 'Pod' ? name : null,
        labels,
        field,
        name: typeof c.name === 'string' ? c.name : '',
        image: c.image,
      });
    }
  }
}

export function parseWorkloads(files: readonly ConfigFile[]): WorkloadContainer[] {
  const out: WorkloadContainer[] = [];
  for (const file of files)
    for (const doc of parseYamlDocuments(file))
      if (doc.root.value !== null) readDocument(file.path, doc.root, out);
  return out;
}
