// Loads the key material a policy requirement names. Paths in policy.json are paths on the node:
// under `--root DIR` they are read below DIR, but reported as the node path.
import { readFile } from 'node:fs/promises';
import type { KeyLoad } from '../core/policy/evaluate.js';
import type { KeySource } from '../core/policy/types.js';
import type { NodeRoot } from '../host/node-root.js';

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
};

export function keyLoaderFor(root: NodeRoot): (source: KeySource) => Promise<KeyLoad> {
  const cache = new Map<string, Promise<KeyLoad>>();
  const readOne = async (nodePath: string): Promise<KeyLoad> => {
    try {
      return { ok: true, blobs: [new Uint8Array(await readFile(root.hostPath(nodePath)))] };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      const text = ERRNO_TEXT[code] ?? (err as Error).message;
      // os.ReadFile's error; a directory reads as "read PATH: is a directory" in Go.
      const verb = code === 'EISDIR' ? 'read' : 'open';
      return {
        ok: false,
        error: `${verb} ${nodePath}: ${text}`,
        missingPath: code === 'ENOENT' || code === 'ENOTDIR' ? nodePath : null,
      };
    }
  };
  const load = async (source: KeySource): Promise<KeyLoad> => {
    switch (source.kind) {
      case 'keyData':
        return { ok: true, blobs: [source.data] };
      case 'keyDatas':
        return { ok: true, blobs: source.datas };
      case 'keyPath':
        return readOne(source.path);
      case 'keyPaths': {
        const blobs: Uint8Array[] = [];
        for (const p of source.paths) {
          const one = await readOne(p);
          if (!one.ok) return one;
          blobs.push(...one.blobs);
        }
        return { ok: true, blobs };
      }
    }
  };
  return (source) => {
    const key =
      source.kind === 'keyPath'
        ? `p:${source.path}`
        : source.kind === 'keyPaths'
          ? `ps:${source.paths.join('\0')}`
          : null;
    if (key === null) return load(source);
    let cached = cache.get(key);
    if (cached === undefined) {
      cached = load(source);
      cache.set(key, cached);
    }
    return cached;
  };
}
