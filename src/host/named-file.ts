// A file named on the command line must exist and be readable: a missing one is an input error
// (exit 2), never a silent default.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { MirrorscopeError } from '../core/errors.js';

export async function requireNamedFile(flag: string, file: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(file)).isFile();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new MirrorscopeError(
      'input-invalid',
      `${flag} ${file}: ${code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : `cannot read it (${code ?? 'error'})`}`,
    );
  }
  if (!isFile) throw new MirrorscopeError('input-invalid', `${flag} ${file}: not a regular file`);
  try {
    await access(file, constants.R_OK);
  } catch {
    throw new MirrorscopeError('input-invalid', `${flag} ${file}: not readable by this user`);
  }
}
