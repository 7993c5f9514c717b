import { readFile } from 'node:fs/promises';
import { MirrorscopeError } from '../core/errors.js';
import type { ConfigFile } from '../core/registries/types.js';
import type { NodeRoot } from './node-root.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Reads a UTF-8 file; null when it does not exist. Invalid UTF-8 is a config error, as in Go's TOML/YAML decoders. */
export async function readTextFile(realPath: string, nodePath: string): Promise<string | null> {
  let bytes: Buffer;
  try {
    bytes = await readFile(realPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new MirrorscopeError('config-invalid', `${nodePath}: cannot read: ${(err as Error).message}`, {
      location: { file: nodePath, line: null },
    });
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new MirrorscopeError('config-invalid', `${nodePath}: the file is not valid UTF-8`, {
      location: { file: nodePath, line: null },
    });
  }
}

/**
 * Reads node paths below `root`, in order, as `{path, text}`; files that do not exist (or vanished
 * since a directory was listed) are skipped, as containers/image and CRI-O skip them.
 */
export async function readNodeFiles(root: NodeRoot, nodePaths: readonly string[]): Promise<ConfigFile[]> {
  const files: ConfigFile[] = [];
  for (const nodePath of nodePaths) {
    const text = await readTextFile(root.hostPath(nodePath), nodePath);
    if (text !== null) files.push({ path: nodePath, text });
  }
  return files;
}
