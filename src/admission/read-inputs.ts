// The files `mirrorscope admission --policies` names: a file, or a directory standing for its
// *.yaml, *.yml and *.json files in name order (as `kubectl apply -f DIR` reads them). A named path
// that is missing, unreadable or not a regular file is an error; so is a file over the size cap.
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MirrorscopeError } from '../core/errors.js';
import type { ConfigFile } from '../core/registries/types.js';

const MAX_INPUT_BYTES = 16 * 1024 * 1024;

function unreadable(path: string, why: string): MirrorscopeError {
  return new MirrorscopeError('config-invalid', `${path}: cannot read (${why})`);
}

async function readRegular(path: string): Promise<ConfigFile> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw unreadable(path, (err as NodeJS.ErrnoException).code ?? 'error');
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw unreadable(path, 'not a regular file');
    if (info.size > MAX_INPUT_BYTES) throw unreadable(path, `larger than ${MAX_INPUT_BYTES} bytes`);
    return { path, text: await handle.readFile('utf8') };
  } finally {
    await handle.close();
  }
}

export async function readPolicyInputs(paths: readonly string[]): Promise<ConfigFile[]> {
  const out: ConfigFile[] = [];
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      throw unreadable(path, (err as NodeJS.ErrnoException).code ?? 'error');
    }
    if (!info.isDirectory()) {
      out.push(await readRegular(path));
      continue;
    }
    const names = (await readdir(path)).filter((n) => /\.(ya?ml|json)$/.test(n)).sort();
    for (const name of names) out.push(await readRegular(join(path, name)));
  }
  return out;
}
