import type { ConfigFile } from '../core/registries/types.js';
import { fileError, readLocalFile } from './node-fs.js';
import type { NodeRoot } from './node-root.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

function decode(bytes: Buffer, shownPath: string): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw fileError(shownPath, 'the file is not valid UTF-8');
  }
}

/** Reads a UTF-8 file at a node path; null when it does not exist. Invalid UTF-8 is a config error, as in Go's TOML/YAML decoders. */
export async function readNodeText(root: NodeRoot, nodePath: string): Promise<string | null> {
  const bytes = await root.readFile(nodePath);
  return bytes === null ? null : decode(bytes, nodePath);
}

/** Reads a UTF-8 file named on the command line (not under the node root); null when it does not exist. */
export async function readLocalText(filePath: string): Promise<string | null> {
  const bytes = await readLocalFile(filePath);
  return bytes === null ? null : decode(bytes, filePath);
}

/**
 * Reads node paths below `root`, in order, as `{path, text}`; files that do not exist (or vanished
 * since a directory was listed) are skipped, as containers/image and CRI-O skip them.
 */
export async function readNodeFiles(root: NodeRoot, nodePaths: readonly string[]): Promise<ConfigFile[]> {
  const files: ConfigFile[] = [];
  for (const nodePath of nodePaths) {
    const text = await readNodeText(root, nodePath);
    if (text !== null) files.push({ path: nodePath, text });
  }
  return files;
}
