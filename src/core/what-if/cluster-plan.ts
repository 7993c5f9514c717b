// The cluster side of a what-if, before any agent is asked: per pool, the registries configuration
// the MCO renders now and with the proposal; nodes grouped by the configuration they would get; and
// per group, the images in use whose pull sources change (re-resolved from both renders), which are
// the ones worth tracing. Everything else keeps its sources, so it keeps its answer.
import { createHash } from 'node:crypto';
import { MirrorscopeError } from '../errors.js';
import { REGISTRIES_CONF_PATH, renderRegistries, SEARCH_REGISTRIES_DROP_IN_PATH } from '../mco/render.js';
import type { ClusterObjects, RenderError, RenderResult } from '../mco/types.js';
import type { McoProfile } from '../mco/versions.js';
import { assembleRegistriesConfig } from '../registries/assemble.js';
import type { ConfigFile } from '../registries/types.js';
import { Resolver } from '../resolve/resolver.js';
import { resolutionSummary } from '../resolve/types.js';
import { proposedFiles, type ProposedFiles } from './node-files.js';

export interface PoolTemplate {
  readonly pool: string;
  /** The pool's template registries.conf; null: the MCO's own. */
  readonly template: ConfigFile | null;
}

export interface PlanNode {
  readonly name: string;
  readonly pool: string | null;
  /** The images its pods use. */
  readonly images: readonly string[];
  /**
   * The hash of the node's own files as its agent last read them (credentials, certs.d, drop-ins:
   * what the proposal leaves as it is); null without an agent. Nodes that differ there are traced
   * apart.
   */
  readonly configHash?: string | null;
}

export interface NodeGroup {
  /** The files the group's nodes would get (a hash) and the node files they keep (their agents' hash). */
  readonly key: string;
  readonly pools: readonly string[];
  readonly nodes: readonly string[];
  /** What an agent's trace-request carries: the proposed files. */
  readonly files: ProposedFiles;
  /** Images in use on the group's nodes whose sources (or signature files) change: to be traced. */
  readonly changed: readonly string[];
  /** Images in use whose sources do not change. */
  readonly same: readonly string[];
  /** The MCO writes per-namespace signature policies (ImagePolicy): pods' namespaces can pull differently. */
  readonly namespaced: boolean;
}

export interface ClusterPlan {
  readonly errors: readonly RenderError[];
  readonly warnings: readonly string[];
  readonly groups: readonly NodeGroup[];
}

function render(objects: ClusterObjects, t: PoolTemplate, profile: McoProfile): RenderResult {
  return renderRegistries(objects, { profile, ...(t.template !== null ? { template: t.template } : {}) });
}

/** The node's registries as the MCO renders them (main file and search drop-in); null: cannot load. */
function resolverOf(result: RenderResult): Resolver | null {
  try {
    const main = { path: REGISTRIES_CONF_PATH, text: result.registriesConf ?? '' };
    const dropIns =
      result.searchRegistriesDropIn === null
        ? []
        : [{ path: SEARCH_REGISTRIES_DROP_IN_PATH, text: result.searchRegistriesDropIn }];
    return new Resolver(assembleRegistriesConfig({ main, dropIns }));
  } catch (err) {
    if (err instanceof MirrorscopeError) return null;
    throw err;
  }
}

function filesKey(files: ProposedFiles): string {
  const h = createHash('sha256');
  for (const [p, text] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    h.update(`${p}\0${text === null ? '\u0001' : text}\0`);
  return h.digest('hex').slice(0, 16);
}

/**
 * Only the files the proposal changes: one it leaves as the MCO renders it now stays as the node has
 * it (a later MachineConfig may replace it, or a hand edit; the node's own version is what pulls).
 */
function changedFiles(now: ProposedFiles, proposed: ProposedFiles): ProposedFiles {
  const out: ProposedFiles = new Map();
  for (const [p, text] of proposed) if (now.get(p) !== text) out.set(p, text);
  for (const [p, text] of now) if (text !== null && !proposed.has(p)) out.set(p, null);
  return out;
}

/** Whether the proposal changes anything a signature check reads (policy, sigstore attachments). */
function signatureFilesChange(before: RenderResult, after: RenderResult): boolean {
  return (
    before.policyJsonText !== after.policyJsonText ||
    before.sigstoreRegistriesYaml !== after.sigstoreRegistriesYaml ||
    JSON.stringify(before.namespacedPolicies) !== JSON.stringify(after.namespacedPolicies)
  );
}

/**
 * `current`: the cluster's objects; `proposed`: with the change applied. Pools are rendered with
 * their own template; a node in no pool gets the worker pool's. A render the MCO rejects (for any
 * pool) stops here: the MCO applies nothing.
 */
export function planClusterWhatIf(input: {
  readonly current: ClusterObjects;
  readonly proposed: ClusterObjects;
  readonly pools: readonly PoolTemplate[];
  readonly nodes: readonly PlanNode[];
  readonly profile: McoProfile;
}): ClusterPlan {
  const warnings: string[] = [];
  const byPool = new Map<
    string,
    { before: RenderResult; after: RenderResult; files: ProposedFiles; key: string }
  >();
  const templates = new Map(input.pools.map((p) => [p.pool, p]));
  const poolNames = new Set([...templates.keys(), ...input.nodes.map((n) => n.pool ?? 'worker')]);
  for (const pool of [...poolNames].sort()) {
    const t = templates.get(pool) ?? templates.get('worker') ?? { pool, template: null };
    const after = render(input.proposed, t, input.profile);
    if (after.errors.length > 0) return { errors: after.errors, warnings: [...after.warnings], groups: [] };
    for (const w of after.warnings) if (!warnings.includes(w)) warnings.push(w);
    const before = render(input.current, t, input.profile);
    const files = changedFiles(
      before.errors.length > 0 ? new Map() : proposedFiles(before, input.current, input.profile),
      proposedFiles(after, input.proposed, input.profile),
    );
    byPool.set(pool, { before, after, files, key: filesKey(files) });
  }
  const groups = new Map<
    string,
    { pools: Set<string>; nodes: string[]; images: Set<string>; pool: string }
  >();
  for (const n of input.nodes) {
    const pool = n.pool ?? 'worker';
    const p = byPool.get(pool)!;
    const key = `${p.key}:${n.configHash ?? 'no-agent'}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { pools: new Set(), nodes: [], images: new Set(), pool }));
    g.pools.add(pool);
    g.nodes.push(n.name);
    for (const i of n.images) g.images.add(i);
  }
  const out: NodeGroup[] = [];
  for (const [key, g] of groups) {
    const p = byPool.get(g.pool)!;
    const before = resolverOf(p.before);
    const after = resolverOf(p.after);
    const everything = before === null || after === null || signatureFilesChange(p.before, p.after);
    const changed: string[] = [];
    const same: string[] = [];
    for (const image of [...g.images].sort()) {
      const differs =
        everything || resolutionSummary(before!.resolve(image)) !== resolutionSummary(after!.resolve(image));
      (differs ? changed : same).push(image);
    }
    const namespaced = p.before.namespacedPolicies.length > 0 || p.after.namespacedPolicies.length > 0;
    out.push({
      key,
      pools: [...g.pools].sort(),
      nodes: g.nodes.sort(),
      files: p.files,
      changed,
      same,
      namespaced,
    });
  }
  return { errors: [], warnings, groups: out.sort((a, b) => (a.key < b.key ? -1 : 1)) };
}
