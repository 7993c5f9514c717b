// runtime-version-skew: nodes of one pool whose CRI-O versions resolve an image in use differently
// (typically a pool in the middle of an upgrade). Each version's nodes must agree among themselves,
// so that the difference is the version's and not a configuration drift (reported separately).
import { formatCrioVersion, parseCrioVersion } from '../crio/versions.js';
import { MirrorscopeError } from '../errors.js';
import { collectorFinding } from './report-findings.js';
import type { NodeInput, ReportFinding } from './types.js';

function normalised(reported: string): string {
  try {
    return formatCrioVersion(parseCrioVersion(reported));
  } catch (err) {
    if (!(err instanceof MirrorscopeError)) throw err;
    return reported;
  }
}

/**
 * Each Node's runtime text normalised once: a cluster has a few versions, and a report build asks
 * for every node's twice (15,000 nodes: 30,000 parses a build). Bounded: a flood of distinct texts
 * only restarts it.
 */
const NORMALISED = new Map<string, string>();
const MAX_NORMALISED = 1000;

/** The version a report shows for a node: the Node's (normalised when it is CRI-O), else the agent's. */
export function nodeRuntimeVersion(node: NodeInput): string | null {
  const reported = node.runtimeVersion ?? null;
  if (reported === null) return node.agent?.runtime?.version ?? null;
  let version = NORMALISED.get(reported);
  if (version === undefined) {
    if (NORMALISED.size >= MAX_NORMALISED) NORMALISED.clear();
    NORMALISED.set(reported, (version = normalised(reported)));
  }
  return version;
}

export interface SkewProblem {
  readonly finding: ReportFinding;
  readonly nodes: readonly string[];
}

const MAX_NODES_NAMED = 5;

function named(nodes: readonly string[]): string {
  const shown = nodes.slice(0, MAX_NODES_NAMED).join(', ');
  return nodes.length > MAX_NODES_NAMED ? `${shown} and ${nodes.length - MAX_NODES_NAMED} more` : shown;
}

export function versionSkew(nodes: readonly NodeInput[]): SkewProblem[] {
  // pool → image → version → resolution → nodes
  const pools = new Map<string, Map<string, Map<string, Map<string, string[]>>>>();
  // Indexed loops: run once per build over every node's images (300,000 at 15,000 nodes), a for-of
  // allocates an iterator result per item until V8 optimizes it.
  for (let n = 0; n < nodes.length; n++) {
    const node = nodes[n]!;
    if (node.pool === null || node.agent === null) continue;
    const version = nodeRuntimeVersion(node);
    if (version === null) continue;
    let images = pools.get(node.pool);
    if (images === undefined) pools.set(node.pool, (images = new Map()));
    const statuses = node.agent.images;
    for (let i = 0; i < statuses.length; i++) {
      const status = statuses[i]!;
      if (status.resolution === undefined) continue;
      let versions = images.get(status.image);
      if (versions === undefined) images.set(status.image, (versions = new Map()));
      let answers = versions.get(version);
      if (answers === undefined) versions.set(version, (answers = new Map()));
      const list = answers.get(status.resolution);
      if (list === undefined) answers.set(status.resolution, [node.name]);
      else list.push(node.name);
    }
  }
  const out: SkewProblem[] = [];
  for (const [pool, images] of pools)
    for (const [image, versions] of images) {
      if (versions.size < 2) continue;
      if ([...versions.values()].some((answers) => answers.size !== 1)) continue;
      const byVersion = [...versions.entries()]
        .map(([version, answers]) => {
          const [answer, list] = [...answers.entries()][0]!;
          return { version, answer, nodes: [...list].sort() };
        })
        .sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
      if (new Set(byVersion.map((v) => v.answer)).size < 2) continue;
      const id = 'runtime-version-skew';
      const parts = byVersion.map((v) => `on CRI-O ${v.version} (${named(v.nodes)}): ${v.answer}`);
      out.push({
        finding: {
          ...collectorFinding(
            id,
            `${id}:${pool}:${image}`,
            `Pool ${pool} runs CRI-O ${byVersion.map((v) => v.version).join(' and ')}, which resolve ${image} differently: ${parts.join('; ')}.`,
            { image },
          ),
          scope: pool,
        },
        nodes: byVersion.flatMap((v) => v.nodes),
      });
    }
  return out;
}
