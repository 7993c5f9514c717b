// Reads crio.conf and every file below crio.conf.d (recursively, lexical order, like CRI-O's
// `filepath.Walk`).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  readCrioImageConfig,
  type CrioConfigOptions,
  type CrioImageConfig,
} from '../core/crio/crio-config.js';
import { modelledVersion, shortNameRule, type CrioVersion } from '../core/crio/versions.js';
import { NODE_PATHS, type NodeRoot } from './node-root.js';
import { readNodeFiles } from './read-text.js';

async function walkFiles(root: NodeRoot, nodeDir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(root.hostPath(nodeDir), { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
  const names = entries.map((e) => e.name).sort();
  const files: string[] = [];
  for (const name of names) {
    const entry = entries.find((e) => e.name === name)!;
    const nodePath = path.posix.join(nodeDir, name);
    if (entry.isDirectory()) files.push(...(await walkFiles(root, nodePath)));
    else files.push(nodePath);
  }
  return files;
}

export async function loadNodeCrioConfig(
  root: NodeRoot,
  options: CrioConfigOptions = {},
): Promise<CrioImageConfig> {
  const paths = [NODE_PATHS.crioConf, ...(await walkFiles(root, NODE_PATHS.crioConfD))];
  return readCrioImageConfig(await readNodeFiles(root, paths), options);
}

/** crio.conf as the CRI-O of `version` reads it (null: unknown, the newest). */
export function loadCrioConfigFor(root: NodeRoot, version: CrioVersion | null): Promise<CrioImageConfig> {
  return loadNodeCrioConfig(root, {
    shortNameModeKey: shortNameRule(modelledVersion(version)) === 'crio-conf',
  });
}
