// The single catalogue of finding ids. Each area keeps its definitions in ./catalogue/<area>.ts and
// is listed here once.
import { CLUSTER_FINDINGS } from './catalogue/cluster.js';
import { CONFIG_FINDINGS } from './catalogue/config.js';
import { MIRROR_FINDINGS } from './catalogue/mirror.js';
import { RUNTIME_FINDINGS } from './catalogue/runtime.js';
import { SIGNATURE_FINDINGS } from './catalogue/signatures.js';
import type { FindingDefinition } from './types.js';

export const CATALOGUE = {
  ...CONFIG_FINDINGS,
  ...CLUSTER_FINDINGS,
  ...SIGNATURE_FINDINGS,
  ...MIRROR_FINDINGS,
  ...RUNTIME_FINDINGS,
} as const satisfies Record<string, FindingDefinition>;

export type FindingId = keyof typeof CATALOGUE;

export function definitionOf(id: FindingId): FindingDefinition {
  return CATALOGUE[id];
}
