// Reads every `.yaml` file of /etc/containers/registries.d from a node root (not recursive, other
// suffixes ignored, as containers/image's `loadAndMergeConfig`).
import path from 'node:path';
import type { ConfigFile } from '../core/registries/types.js';
import { emptyRegistriesD, type RegistriesDConfig } from '../core/signatures/registries-d-lookup.js';
import { NODE_PATHS, type NodeRoot } from './node-root.js';
import { readNodeFiles } from './read-text.js';

export async function readRegistriesDFiles(
  root: NodeRoot,
  nodeDir: string = NODE_PATHS.registriesD,
): Promise<ConfigFile[]> {
  const entries = (await root.readDir(nodeDir)) ?? [];
  const names = entries.filter((e) => e.name.endsWith('.yaml') && !e.isDirectory).map((e) => e.name);
  return readNodeFiles(
    root,
    names.map((name) => path.posix.join(nodeDir, name)),
  );
}

export async function loadNodeRegistriesD(root: NodeRoot): Promise<RegistriesDConfig> {
  const files = await readRegistriesDFiles(root);
  // The YAML parser is loaded only when there is YAML to parse (a cold `trace` should not pay for it).
  if (files.length === 0) return emptyRegistriesD();
  const { parseRegistriesD } = await import('../core/signatures/registries-d.js');
  return parseRegistriesD(files);
}
