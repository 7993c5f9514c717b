// An image list file: one reference per line; blank lines and # comments are skipped.
import { readFile } from 'node:fs/promises';

export async function readImageList(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}
