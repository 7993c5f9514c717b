// Which nodes run a registries configuration other than their pool's majority. Without a strict
// majority (e.g. two nodes, two hashes) no node is called drifted: there is no norm to drift from.
import type { ConfigFileDigest } from '../node-state.js';

export interface DriftInput {
  readonly name: string;
  readonly pool: string | null;
  readonly configHash: string;
  readonly files: readonly ConfigFileDigest[];
}

export interface NodeDrift {
  readonly pool: string;
  readonly majorityHash: string;
  readonly majorityNodes: number;
  readonly nodesInPool: number;
  readonly differingFiles: readonly string[];
}

function differingFiles(a: readonly ConfigFileDigest[], b: readonly ConfigFileDigest[]): string[] {
  const theirs = new Map(b.map((f) => [f.path, f.sha256]));
  const out = new Set<string>();
  for (const f of a) if (theirs.get(f.path) !== f.sha256) out.add(f.path);
  const ours = new Set(a.map((f) => f.path));
  for (const f of b) if (!ours.has(f.path)) out.add(f.path);
  return [...out].sort();
}

export function findDrift(nodes: readonly DriftInput[]): Map<string, NodeDrift> {
  const pools = new Map<string, DriftInput[]>();
  for (const n of nodes) {
    if (n.pool === null) continue;
    const members = pools.get(n.pool);
    if (members === undefined) pools.set(n.pool, [n]);
    else members.push(n);
  }
  const drift = new Map<string, NodeDrift>();
  for (const [pool, members] of pools) {
    const counts = new Map<string, number>();
    for (const m of members) counts.set(m.configHash, (counts.get(m.configHash) ?? 0) + 1);
    if (counts.size < 2) continue;
    let majorityHash = '';
    let majorityNodes = 0;
    for (const [hash, count] of counts)
      if (count > majorityNodes) {
        majorityHash = hash;
        majorityNodes = count;
      }
    if (majorityNodes * 2 <= members.length) continue;
    const reference = members.find((m) => m.configHash === majorityHash)!;
    for (const m of members) {
      if (m.configHash === majorityHash) continue;
      drift.set(m.name, {
        pool,
        majorityHash,
        majorityNodes,
        nodesInPool: members.length,
        differingFiles: differingFiles(m.files, reference.files),
      });
    }
  }
  return drift;
}
