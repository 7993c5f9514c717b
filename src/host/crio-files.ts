// Reads crio.conf and every file below crio.conf.d (recursively, lexical order, like CRI-O's
// `filepath.Walk`).
import path from 'node:path';
import {
  readCrioImageConfig,
  type CrioConfigOptions,
  type CrioImageConfig,
} from '../core/crio/crio-config.js';
import { modelledVersion, shortNameRule, type CrioVersion } from '../core/crio/versions.js';
import { fileError } from './node-fs.js';
import { NODE_PATHS, type NodeRoot } from './node-root.js';
import { readNodeFiles } from './read-text.js';

/** Directory levels walked below crio.conf.d; a deeper tree is an error rather than unbounded work. */
const MAX_WALK_DEPTH = 32;

async function walkFiles(
  root: NodeRoot,
  nodeDir: string,
  depth = 0,
  files: string[] = [],
): Promise<string[]> {
  const entries = await root.readDir(nodeDir);
  if (entries === null) return files;
  if (depth > MAX_WALK_DEPTH)
    throw fileError(
      nodeDir,
      `directories nested more than ${MAX_WALK_DEPTH} levels below ${NODE_PATHS.crioConfD}`,
    );
  for (const entry of entries) {
    const nodePath = path.posix.join(nodeDir, entry.name);
    if (entry.isDirectory) await walkFiles(root, nodePath, depth + 1, files);
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
