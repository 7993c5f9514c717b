// Every file mirrorscope reads from a node goes through here. Under `--root DIR` a node path resolves
// the way the node's kernel would resolve it inside a chroot at DIR: each component is looked at with
// lstat, a symlink's target is followed with an absolute target taken from DIR, and `..` never climbs
// above DIR. Only regular files are opened, never for a blocking read (a FIFO is refused before it is
// opened, and the open itself is non-blocking), and no file larger than MAX_FILE_BYTES is read.
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { MirrorscopeError } from '../core/errors.js';

/** The largest file read (README, "What is read from a node"): a configuration file, key or certificate beyond it is an error. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** Linux's MAXSYMLINKS: more symlinks than this in one resolution is ELOOP. */
const MAX_SYMLINKS = 40;

/** Go's `syscall.Errno` texts, which is what CRI-O and podman print. */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENXIO: 'no such device or address',
  EIO: 'input/output error',
  ENAMETOOLONG: 'file name too long',
};

function errnoText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return ERRNO_TEXT[code] ?? (code !== '' ? code : 'read failed');
}

/** The error for a file that cannot be used; never quotes the file's content. */
export function fileError(nodePath: string, message: string, upstream?: string): MirrorscopeError {
  return new MirrorscopeError('config-invalid', `${nodePath}: ${message}`, {
    location: { file: nodePath, line: null },
    ...(upstream !== undefined ? { upstream } : {}),
  });
}

function errnoError(nodePath: string, verb: 'open' | 'read', err: unknown): MirrorscopeError {
  const text = errnoText(err);
  return fileError(nodePath, `cannot ${verb} it: ${text}`, `${verb} ${nodePath}: ${text}`);
}

function kindOf(st: {
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'a special file';
}

const isMissing = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

export type Resolved =
  | { readonly kind: 'missing' }
  | { readonly kind: 'file' | 'directory' | 'other'; readonly real: string; readonly what: string };

export interface NodeDirEntry {
  readonly name: string;
  /** As lstat sees it: a symlink to a directory is not a directory (Go's filepath.Walk). */
  readonly isDirectory: boolean;
}

export async function listDirectory(shownPath: string, real: string): Promise<NodeDirEntry[] | null> {
  let entries;
  try {
    entries = await readdir(real, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) return null;
    const text = errnoText(err);
    throw fileError(shownPath, `cannot list the directory: ${text}`, `open ${shownPath}: ${text}`);
  }
  return entries
    .map((e) => ({ name: e.name, isDirectory: e.isDirectory() }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Resolves a node path inside `root` (chroot semantics); `missing` when it does not exist. With root
 * `/` the kernel resolves it.
 */
export async function resolveNodePath(root: string, nodePath: string): Promise<Resolved> {
  if (root === '/') return classify(nodePath, path.resolve('/', nodePath), false);
  // Components still to walk, last first; `done` are the real directories walked so far below the root.
  const todo = nodePath.split('/').reverse();
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const part = todo.pop()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      done.pop(); // `..` of the root is the root
      continue;
    }
    const real = path.join(root, ...done, part);
    let st;
    try {
      st = await lstat(real);
    } catch (err) {
      if (isMissing(err)) return { kind: 'missing' };
      throw errnoError(nodePath, 'open', err);
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) throw errnoError(nodePath, 'open', { code: 'ELOOP' });
      let target;
      try {
        target = await readlink(real);
      } catch (err) {
        if (isMissing(err)) return { kind: 'missing' };
        throw errnoError(nodePath, 'open', err);
      }
      if (target.startsWith('/')) done.length = 0;
      todo.push(...target.split('/').reverse());
      continue;
    }
    // Anything below a non-directory (`file/x`, `file/..`) is ENOTDIR, which reads as missing.
    if (!st.isDirectory() && todo.some((p) => p !== '' && p !== '.')) return { kind: 'missing' };
    done.push(part);
  }
  return classify(nodePath, path.join(root, ...done), true);
}

async function classify(nodePath: string, real: string, resolved: boolean): Promise<Resolved> {
  let st;
  try {
    // Under a root every symlink is already resolved; on `/` the kernel follows them.
    st = resolved ? await lstat(real) : await stat(real);
  } catch (err) {
    if (isMissing(err)) return { kind: 'missing' };
    throw errnoError(nodePath, 'open', err);
  }
  if (st.isFile()) return { kind: 'file', real, what: 'a regular file' };
  if (st.isDirectory()) return { kind: 'directory', real, what: 'a directory' };
  return { kind: 'other', real, what: kindOf(st) };
}

/**
 * The bytes of a resolved regular file. A directory, a FIFO, a socket or a device, a file that
 * cannot be read and a file over MAX_FILE_BYTES are errors; null when it vanished meanwhile.
 */
export async function readResolved(
  shownPath: string,
  found: Exclude<Resolved, { kind: 'missing' }>,
  noFollow: boolean,
): Promise<Buffer | null> {
  if (found.kind === 'directory')
    throw fileError(shownPath, 'is a directory, not a file', `read ${shownPath}: is a directory`);
  if (found.kind !== 'file')
    throw fileError(shownPath, `is ${found.what}, not a regular file: mirrorscope does not read it`);
  let handle: FileHandle;
  try {
    // O_NONBLOCK: should the file have been replaced by a FIFO since the lstat, the open cannot hang.
    // O_NOFOLLOW: under a root, a symlink swapped in since the resolution is not followed out of it.
    handle = await open(
      found.real,
      constants.O_RDONLY | constants.O_NONBLOCK | (noFollow ? constants.O_NOFOLLOW : 0),
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null; // vanished since the lstat
    throw errnoError(shownPath, 'open', err);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile())
      throw fileError(shownPath, `is ${kindOf(st)}, not a regular file: mirrorscope does not read it`);
    if (st.size > MAX_FILE_BYTES) throw tooLarge(shownPath);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // Sized from fstat (plus one byte to see the end): one read for a file that does not change.
      const chunk = Buffer.allocUnsafe(
        Math.min(Math.max(st.size + 1, 64 * 1024), MAX_FILE_BYTES + 1 - total),
      );
      let n;
      try {
        ({ bytesRead: n } = await handle.read(chunk, 0, chunk.length, null));
      } catch (err) {
        throw errnoError(shownPath, 'read', err);
      }
      if (n === 0) break;
      total += n;
      if (total > MAX_FILE_BYTES) throw tooLarge(shownPath); // it grew while being read
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

function tooLarge(shownPath: string): MirrorscopeError {
  return fileError(
    shownPath,
    `is larger than ${MAX_FILE_BYTES / (1024 * 1024)} MiB, the most mirrorscope reads from one file`,
  );
}

/**
 * A file named on the command line (not a node path): the same refusals as under a root, with
 * symlinks followed as usual. Null when it does not exist.
 */
export async function readLocalFile(filePath: string): Promise<Buffer | null> {
  const found = await resolveNodePath('/', path.resolve(filePath));
  if (found.kind === 'missing') return null;
  return readResolved(filePath, found, false);
}
