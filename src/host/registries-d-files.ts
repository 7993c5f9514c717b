// Reads every `.yaml` file of /etc/containers/registries.d from a node root (not recursive, other
// suffixes ignored, as containers/image's `loadAndMergeConfig`).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { MirrorscopeError } from '../core/errors.js';
import type { ConfigFile } from '../core/registries/types.js';
import { emptyRegistriesD, type RegistriesDConfig } from '../core/signatures/registries-d-lookup.js';
import { NODE_PATHS, type NodeRoot } from './node-root.js';
import { readNodeFiles } from './read-text.js';

export async function readRegistriesDFiles(
  root: NodeRoot,
  nodeDir: string = NODE_PATHS.registriesD,
): Promise<ConfigFile[]> {
  let entries;
  try {
    entries = await readdir(root.hostPath(nodeDir), { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw new MirrorscopeError('config-invalid', `${nodeDir}: cannot list: ${(err as Error).message}`, {
      location: { file: nodeDir, line: null },
    });
  }
  const names = entries.filter((e) => e.name.endsWith('.yaml') && !e.isDirectory()).map((e) => e.name);
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
