// Loads the key material a policy requirement names. Paths in policy.json are paths on the node:
// under `--root DIR` they are read below DIR, but reported as the node path.
import { MirrorscopeError } from '../core/errors.js';
import type { KeyLoad } from '../core/policy/evaluate.js';
import type { KeySource } from '../core/policy/types.js';
import type { NodeRoot } from '../host/node-root.js';

export function keyLoaderFor(root: NodeRoot): (source: KeySource) => Promise<KeyLoad> {
  const cache = new Map<string, Promise<KeyLoad>>();
  const readOne = async (nodePath: string): Promise<KeyLoad> => {
    let bytes;
    try {
      bytes = await root.readFile(nodePath);
    } catch (err) {
      if (!(err instanceof MirrorscopeError)) throw err;
      // os.ReadFile's error where Go has one ("read PATH: is a directory"), else ours.
      return { ok: false, error: err.upstream ?? err.message, missingPath: null };
    }
    if (bytes === null)
      return { ok: false, error: `open ${nodePath}: no such file or directory`, missingPath: nodePath };
    return { ok: true, blobs: [new Uint8Array(bytes)] };
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
