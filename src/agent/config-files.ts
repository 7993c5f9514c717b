// Which host files make up a node's pull configuration, their digests and the config hash. The
// directories are what the agent watches: the MCO replaces files atomically (a new inode), which a
// watch on the file itself would miss.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { MirrorscopeError } from '../core/errors.js';
import type { ConfigFileDigest } from '../protocol/messages.js';
import { NODE_PATHS, type NodeRoot } from '../host/node-root.js';

/** Node paths read for the configuration: directories are walked (a few levels), files read as they are. */
export const CONFIG_PATHS: readonly string[] = [
  NODE_PATHS.registriesConf,
  NODE_PATHS.registriesConfD,
  NODE_PATHS.registriesD,
  NODE_PATHS.policyJson,
  NODE_PATHS.containersCertsD,
  NODE_PATHS.dockerCertsD,
  NODE_PATHS.crioConf,
  NODE_PATHS.crioConfD,
  '/etc/crio/policies',
  NODE_PATHS.machineAliases,
  NODE_PATHS.kubeletPullSecret,
];

const MAX_DEPTH = 4;
const MAX_FILES = 5000;

export interface ConfigFiles {
  /** Sorted by node path. */
  readonly files: readonly ConfigFileDigest[];
  /** Directories that exist (node paths), for the watcher. */
  readonly directories: readonly string[];
  /** sha256 over every (path, digest) pair in order. */
  readonly hash: string;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * The digest of one file. A file that cannot be read (a FIFO, too large, no permission) gets the
 * digest of why, so that it turning readable is a change; it is never opened for a blocking read.
 */
async function digestOf(root: NodeRoot, nodePath: string): Promise<string | null> {
  try {
    const bytes = await root.readFile(nodePath);
    return bytes === null ? null : sha256(bytes);
  } catch (err) {
    if (!(err instanceof MirrorscopeError)) throw err;
    return sha256(`unreadable\0${err.message}`);
  }
}

async function walk(
  root: NodeRoot,
  nodePath: string,
  depth: number,
  files: ConfigFileDigest[],
  dirs: Set<string>,
): Promise<void> {
  if (files.length >= MAX_FILES) return;
  let entries;
  try {
    entries = await root.readDir(nodePath);
  } catch (err) {
    if (err instanceof MirrorscopeError) return; // unreadable: the load reports it
    throw err;
  }
  if (entries === null) {
    const digest = await digestOf(root, nodePath);
    if (digest !== null) files.push({ path: nodePath, sha256: digest });
    return;
  }
  dirs.add(nodePath);
  if (depth >= MAX_DEPTH) return;
  for (const e of entries) await walk(root, path.posix.join(nodePath, e.name), depth + 1, files, dirs);
}

export async function readConfigFiles(root: NodeRoot, extra: readonly string[] = []): Promise<ConfigFiles> {
  const files: ConfigFileDigest[] = [];
  const dirs = new Set<string>();
  for (const p of [...new Set([...CONFIG_PATHS, ...extra])]) await walk(root, p, 0, files, dirs);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const h = createHash('sha256');
  for (const f of files) h.update(f.path).update('\0').update(f.sha256).update('\n');
  // Parents of watched files (and of directories that do not exist yet) must be watched too, so a
  // file or directory that appears later is noticed.
  for (const p of [...CONFIG_PATHS, ...extra]) {
    for (let d = path.posix.dirname(p); d !== '/' && d !== '.'; d = path.posix.dirname(d)) {
      if (dirs.has(d)) break;
      if (await root.isDirectory(d)) {
        dirs.add(d);
        break;
      }
    }
  }
  return { files, directories: [...dirs].sort(), hash: `sha256:${h.digest('hex')}` };
}
