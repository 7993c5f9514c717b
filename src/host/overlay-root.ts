// A node root with some files replaced, added or removed in memory: the node as it would be after a
// proposed change (what-if), read through the same loaders as the real one. Nothing is written to
// disk; every other file is the node's own, read with the same chroot rules.
import path from 'node:path';
import { NodeRoot } from './node-root.js';
import type { NodeDirEntry, Resolved } from './node-fs.js';

/** Node path → the file's new text, or null: the file is gone. */
export type FileOverlay = ReadonlyMap<string, string | null>;

function normal(nodePath: string): string {
  return path.posix.normalize(path.posix.join('/', nodePath));
}

export class OverlayNodeRoot extends NodeRoot {
  private readonly files = new Map<string, Buffer | null>();
  /** Directories that hold an added file (they exist, on the changed node, even when they do not here). */
  private readonly dirs = new Set<string>();

  constructor(root: string, overlay: FileOverlay) {
    super(root);
    for (const [p, text] of overlay) {
      const at = normal(p);
      this.files.set(at, text === null ? null : Buffer.from(text, 'utf8'));
      if (text === null) continue;
      for (let dir = path.posix.dirname(at); dir !== '/'; dir = path.posix.dirname(dir)) this.dirs.add(dir);
    }
  }

  /** Whether a node path is one the overlay decides. */
  overlays(nodePath: string): boolean {
    return this.files.has(normal(nodePath));
  }

  override describe(nodePath: string): string {
    return this.overlays(nodePath) ? `${nodePath} (as proposed)` : super.describe(nodePath);
  }

  override async resolve(nodePath: string): Promise<Resolved> {
    const at = normal(nodePath);
    const own = this.files.get(at);
    if (own === null) return { kind: 'missing' };
    if (own !== undefined) return { kind: 'file', real: this.hostPath(at), what: 'a regular file' };
    const found = await super.resolve(nodePath);
    if (found.kind === 'missing' && this.dirs.has(at))
      return { kind: 'directory', real: this.hostPath(at), what: 'a directory' };
    return found;
  }

  override async readFile(nodePath: string): Promise<Buffer | null> {
    const own = this.files.get(normal(nodePath));
    if (own !== undefined) return own;
    return super.readFile(nodePath);
  }

  override async readDir(nodeDir: string): Promise<NodeDirEntry[] | null> {
    const dir = normal(nodeDir);
    const real = await super.readDir(nodeDir);
    if (real === null && !this.dirs.has(dir)) return null;
    const entries = new Map((real ?? []).map((e) => [e.name, e]));
    for (const [p, bytes] of this.files) {
      if (path.posix.dirname(p) !== dir) continue;
      const name = path.posix.basename(p);
      if (bytes === null) entries.delete(name);
      else entries.set(name, { name, isDirectory: false });
    }
    for (const d of this.dirs)
      if (path.posix.dirname(d) === dir) {
        const name = path.posix.basename(d);
        if (!entries.has(name)) entries.set(name, { name, isDirectory: true });
      }
    return [...entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
