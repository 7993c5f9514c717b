// `POST /api/v1/what-if`: a proposed change to the mirror objects judged against every node. The
// proposal is applied to the cluster's objects and rendered per pool (src/core/what-if); per group
// of nodes that would get the same files, one connected agent traces the images whose sources
// change, before (its files) and after (the proposed files, sent with the trace-request and used for
// that trace only). One what-if runs at a time; the last one is kept for the page.
import { MirrorscopeError } from '../core/errors.js';
import { parseClusterObjects } from '../core/mco/parse-objects.js';
import type { ClusterObjects } from '../core/mco/types.js';
import { CURRENT_MCO, type McoProfile } from '../core/mco/versions.js';
import type { ConfigFile } from '../core/registries/types.js';
import { whatIfReport } from '../core/what-if/classify.js';
import {
  clusterChanges,
  tracedKey,
  type GroupAnswers,
  type NodeUse,
  type TracedImage,
} from '../core/what-if/cluster-changes.js';
import { planClusterWhatIf, type NodeGroup, type PoolTemplate } from '../core/what-if/cluster-plan.js';
import { pullSideOfJson } from '../core/what-if/pull-side.js';
import { applyProposal, NO_OBJECTS, parseObjectKey } from '../core/what-if/proposal.js';
import type { ShownWhatIf } from '../core/what-if/render-html.js';
import type { PullSide } from '../core/what-if/types.js';
import {
  MAX_CONFIG_OVERRIDE_BYTES,
  type ConfigOverride,
  type ImageStatus,
  type TraceRequestMessage,
} from '../protocol/messages.js';
import type { TraceBroker, TraceOutcome } from './trace-broker.js';
import type { WhatIfNode } from './what-if-nodes.js';
import { mapBounded } from './trace-fanout.js';

/** The largest request body: the objects' YAML. */
export const MAX_WHAT_IF_BODY_BYTES = 4 * 1024 * 1024;
/** Images traced per node group (before and after each); the rest are reported as not traced. */
export const MAX_TRACED_PER_GROUP = 50;
/** The longest a what-if keeps its agents tracing; images not reached by then are reported as not traced. */
export const WHAT_IF_BUDGET_MS = 120_000;
const GROUP_CONCURRENCY = 8;
/** Namespaces traced apart per image when per-namespace policies exist; the others share the cluster answer. */
const MAX_NAMESPACES_PER_IMAGE = 10;
const MAX_LAYERS = 64;
const MAX_FILES = 1000;

export interface WhatIfBasis {
  readonly objects: ClusterObjects;
  readonly templates: readonly PoolTemplate[];
  readonly profile: McoProfile;
  readonly notes: readonly string[];
}

export interface WhatIfAgent {
  readonly id: number;
  send(message: TraceRequestMessage): boolean;
}

export interface WhatIfDeps {
  /** The cluster's objects and pool templates; null without an OpenShift API (no objects, MCO defaults). */
  basis(): WhatIfBasis | null;
  /** Every node with its pool, the pods on it per image (`namespace/name`), and its agent's image answers. */
  nodes(): ReadonlyMap<string, WhatIfNode>;
  agent(node: string): WhatIfAgent | undefined;
  readonly broker: TraceBroker;
  readonly traceTimeoutMs: number;
}

export class WhatIfError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type StoredWhatIf = ShownWhatIf;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{"layers":[[{"path","text"}…]…],"delete":["KIND/NAME"…]}`, checked field by field. */
export function parseWhatIfBody(text: string): { layers: ConfigFile[][]; deletes: string[] } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new WhatIfError(
      400,
      'the body must be JSON: {"layers":[[{"path","text"}]],"delete":["KIND/NAME"]}',
    );
  }
  if (
    !isRecord(body) ||
    !Array.isArray(body.layers) ||
    body.layers.length === 0 ||
    body.layers.length > MAX_LAYERS
  )
    throw new WhatIfError(400, `"layers" must be a list of 1 to ${MAX_LAYERS} lists of files`);
  let count = 0;
  const layers = body.layers.map((layer) => {
    if (!Array.isArray(layer))
      throw new WhatIfError(400, '"layers" entries must be lists of {"path","text"}');
    return layer.map((f) => {
      if (!isRecord(f) || typeof f.path !== 'string' || typeof f.text !== 'string' || f.path.length > 4096)
        throw new WhatIfError(400, 'each file must be {"path": string, "text": string}');
      if (++count > MAX_FILES) throw new WhatIfError(400, `more than ${MAX_FILES} files`);
      return { path: f.path, text: f.text };
    });
  });
  const del = body.delete ?? [];
  if (!Array.isArray(del) || del.some((d) => typeof d !== 'string' || d.length > 1024) || del.length > 1000)
    throw new WhatIfError(400, '"delete" must be a list of "KIND/NAME" strings');
  return { layers, deletes: del as string[] };
}

/** The namespaces of the pods that use `image` on `group`'s nodes, sorted. */
function namespacesUsing(
  nodes: ReadonlyMap<string, WhatIfNode>,
  group: readonly string[],
  image: string,
): string[] {
  const out = new Set<string>();
  for (const node of group)
    for (const pod of nodes.get(node)?.pods.get(image) ?? []) out.add(pod.slice(0, pod.indexOf('/')));
  return [...out].sort();
}

function statusSide(s: ImageStatus): PullSide {
  return {
    outcome: s.pullable ? 'pulled' : 'failed',
    source: s.source,
    digest: s.digest,
    reason: s.pullable ? (s.source === null ? '' : `pulled from ${s.source}`) : s.findingKeys.join(', '),
  };
}

export class WhatIfService {
  private running = false;
  private lastReport: StoredWhatIf | null = null;

  constructor(private readonly deps: WhatIfDeps) {}

  last(): StoredWhatIf | null {
    return this.lastReport;
  }

  async run(bodyText: string): Promise<StoredWhatIf> {
    if (this.running) throw new WhatIfError(409, 'a what-if is already running; try again when it is done');
    this.running = true;
    try {
      const report = await this.evaluate(parseWhatIfBody(bodyText));
      this.lastReport = report;
      return report;
    } finally {
      this.running = false;
    }
  }

  private async evaluate(body: { layers: ConfigFile[][]; deletes: string[] }): Promise<StoredWhatIf> {
    const basis = this.deps.basis();
    const notes: string[] = [...(basis?.notes ?? [])];
    if (basis === null)
      notes.push(
        'no OpenShift API: the change is rendered over no current mirror objects and the MCO template',
      );
    let proposed: ClusterObjects;
    try {
      const layers = body.layers.map((files) => parseClusterObjects(files));
      proposed = applyProposal(basis?.objects ?? NO_OBJECTS, layers, body.deletes.map(parseObjectKey));
    } catch (err) {
      if (err instanceof MirrorscopeError) throw new WhatIfError(400, err.message);
      throw err;
    }
    const proposal = [...body.layers.flat().map((f) => f.path), ...body.deletes.map((d) => `delete ${d}`)];
    const nodes = this.deps.nodes();
    const plan = planClusterWhatIf({
      current: basis?.objects ?? NO_OBJECTS,
      proposed,
      pools: basis?.templates ?? [],
      nodes: [...nodes].map(([name, n]) => ({
        name,
        pool: n.pool,
        images: [...n.pods.keys()],
        configHash: n.configHash,
      })),
      profile: basis?.profile ?? CURRENT_MCO,
    });
    const warnings = [
      ...proposed.notes.map((n) => `${n.file}${n.line === null ? '' : `:${n.line}`}: ${n.message}`),
      ...plan.warnings,
    ];
    const at = new Date().toISOString();
    if (plan.errors.length > 0)
      return { ...whatIfReport({ errors: plan.errors, warnings }, [], notes), at, proposal };
    const deadline = Date.now() + WHAT_IF_BUDGET_MS;
    const answers = await mapBounded(plan.groups, GROUP_CONCURRENCY, (g) =>
      this.traceGroup(g, notes, deadline, (image) => namespacesUsing(nodes, g.nodes, image)),
    );
    const uses = new Map<string, NodeUse>();
    for (const [name, n] of nodes) {
      const byImage = new Map(n.images.map((s) => [s.image, s]));
      uses.set(name, {
        pool: n.pool,
        pods: n.pods,
        status: (image) => {
          const s = byImage.get(image);
          return s === undefined ? null : statusSide(s);
        },
      });
    }
    return { ...whatIfReport({ errors: [], warnings }, clusterChanges(answers, uses), notes), at, proposal };
  }

  /** The group's first node with a connected agent traces its changed images, before and after. */
  private async traceGroup(
    group: NodeGroup,
    notes: string[],
    deadline: number,
    namespacesOf: (image: string) => string[],
  ): Promise<GroupAnswers> {
    const traced = new Map<string, TracedImage>();
    if (group.changed.length === 0) return { group, traced, untracedReason: '' };
    const node = group.nodes.find((n) => this.deps.agent(n) !== undefined);
    if (node === undefined)
      return {
        group,
        traced,
        untracedReason: `not traced: no agent is connected on the ${group.nodes.length} node(s) of pool ${group.pools.join(', ')}`,
      };
    const override: ConfigOverride = { files: Object.fromEntries(group.files) };
    const bytes = [...group.files].reduce((n, [p, t]) => n + p.length + Buffer.byteLength(t ?? ''), 0);
    if (bytes > MAX_CONFIG_OVERRIDE_BYTES)
      return {
        group,
        traced,
        untracedReason: `not traced: the proposed files (${bytes} bytes) exceed what a trace request may carry (${MAX_CONFIG_OVERRIDE_BYTES})`,
      };
    notes.push(
      `pool ${group.pools.join(', ')}: ${Math.min(group.changed.length, MAX_TRACED_PER_GROUP)} image(s) whose sources change traced on node ${node} for its ${group.nodes.length} node(s)`,
    );
    let outOfTime = false;
    let done = 0;
    for (const image of group.changed.slice(0, MAX_TRACED_PER_GROUP)) {
      // With per-namespace policies each namespace's pods are traced with theirs, as CRI-O verifies.
      const namespaces = group.namespaced ? namespacesOf(image).slice(0, MAX_NAMESPACES_PER_IMAGE) : [];
      for (const namespace of namespaces.length > 0 ? namespaces : [null]) {
        if (Date.now() >= deadline) outOfTime = true;
        if (outOfTime) break;
        const before = await this.trace(node, image, null, namespace);
        const after = await this.trace(node, image, override, namespace);
        traced.set(tracedKey(image, namespace), { before, after });
      }
      if (outOfTime) break;
      done++;
    }
    const skipped = group.changed.length - done;
    const why = outOfTime
      ? `the what-if's ${WHAT_IF_BUDGET_MS / 1000} s ran out`
      : `at most ${MAX_TRACED_PER_GROUP} images are traced per group`;
    return {
      group,
      traced,
      untracedReason:
        skipped > 0 ? `not traced: ${why} (${skipped} of ${group.changed.length} not traced)` : '',
    };
  }

  private async trace(
    node: string,
    image: string,
    config: ConfigOverride | null,
    namespace: string | null,
  ): Promise<PullSide> {
    const unknown = (reason: string): PullSide => ({
      outcome: 'unknown',
      source: null,
      digest: null,
      reason,
    });
    const conn = this.deps.agent(node);
    if (conn === undefined) return unknown(`not traced: the agent on node ${node} disconnected`);
    const { requestId, result } = this.deps.broker.open(conn.id, this.deps.traceTimeoutMs);
    const sent = conn.send({
      v: 1,
      type: 'trace-request',
      requestId,
      image,
      all: false,
      timeoutMs: Math.max(1000, this.deps.traceTimeoutMs - 1000),
      ...(config !== null ? { config } : {}),
      ...(namespace !== null ? { namespace } : {}),
    });
    if (!sent) {
      this.deps.broker.cancel(requestId);
      return unknown(`not traced: the agent on node ${node} is not keeping up`);
    }
    return this.sideOf(node, await result, config !== null);
  }

  private sideOf(node: string, outcome: TraceOutcome, overridden: boolean): PullSide {
    const unknown = (reason: string): PullSide => ({
      outcome: 'unknown',
      source: null,
      digest: null,
      reason,
    });
    if (outcome.kind === 'timeout')
      return unknown(`not traced: the agent on node ${node} did not answer in time`);
    if (outcome.kind === 'disconnected') return unknown(`not traced: the agent on node ${node} disconnected`);
    const { message } = outcome;
    if (message.error !== null)
      return unknown(
        `not traced: the agent on node ${node} answered ${message.error.code}: ${message.error.message}`,
      );
    // An agent that does not know configuration overrides traces with its own files: not an answer.
    if (overridden && !(isRecord(message.trace) && Array.isArray(message.trace.configOverride)))
      return unknown(`not traced: the agent on node ${node} does not support what-if traces (upgrade it)`);
    return pullSideOfJson(message.trace);
  }
}
