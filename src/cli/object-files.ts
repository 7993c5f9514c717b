// The YAML/JSON files `-f` names: a file, "-" (stdin), or a directory — its *.yaml/*.yml/*.json in
// name order, as `oc apply -f DIR` reads them. An oc-mirror output directory is recognised and its
// cluster resources read: v2 `working-dir/cluster-resources/` (idms-oc-mirror.yaml,
// itms-oc-mirror.yaml, catalog sources, the release signature ConfigMap), v1
// `oc-mirror-workspace/results-<time>/` (the newest).
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MirrorscopeError } from '../core/errors.js';
import type { ConfigFile } from '../core/registries/types.js';
import { readLocalText } from '../host/read-text.js';

/** One named file ("-": stdin); a missing or unreadable file is a config error naming it. */
export async function readInput(path: string): Promise<ConfigFile> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return { path: '(stdin)', text: Buffer.concat(chunks).toString('utf8') };
  }
  // A FIFO, a device or a file over the size limit is refused like any node file.
  const text = await readLocalText(path);
  if (text === null) throw new MirrorscopeError('config-invalid', `${path}: no such file or directory`);
  return { path, text };
}

function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** The directory whose files hold the objects, and how it was found (null: `dir` itself). */
async function objectDirectory(dir: string): Promise<{ dir: string; note: string | null }> {
  for (const sub of ['working-dir/cluster-resources', 'cluster-resources']) {
    const candidate = join(dir, sub);
    if (await isDirectory(candidate))
      return { dir: candidate, note: `oc-mirror v2 output: reading ${candidate}` };
  }
  for (const base of [join(dir, 'oc-mirror-workspace'), dir]) {
    const names = await readdir(base).catch(() => [] as string[]);
    // results-<unix time>: the newest run holds the current objects.
    const results = names
      .filter((n) => /^results-\d+$/.test(n))
      .sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)));
    const newest = results.at(-1);
    if (newest !== undefined && (await isDirectory(join(base, newest))))
      return {
        dir: join(base, newest),
        note: `oc-mirror v1 output: reading ${join(base, newest)}${results.length > 1 ? ` (the newest of ${results.length} runs)` : ''}`,
      };
  }
  return { dir, note: null };
}

export async function readObjectFiles(
  paths: readonly string[],
): Promise<{ files: ConfigFile[]; notes: string[] }> {
  const files: ConfigFile[] = [];
  const notes: string[] = [];
  for (const path of paths) {
    if (path === '-' || !(await isDirectory(path))) {
      files.push(await readInput(path));
      continue;
    }
    const { dir, note } = await objectDirectory(path);
    if (note !== null) notes.push(note);
    const names = (await readdir(dir)).filter((n) => /\.(ya?ml|json)$/.test(n)).sort();
    if (names.length === 0)
      throw new MirrorscopeError(
        'config-invalid',
        `${dir}: no *.yaml, *.yml or *.json files in this directory`,
      );
    files.push(...(await Promise.all(names.map((n) => readInput(join(dir, n))))));
  }
  return { files, notes };
}
