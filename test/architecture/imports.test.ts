// Imports point down: the trace engine, the agent, the collector and everything else below the
// commands never import src/cli/ (nor does a lower layer reach it through a dynamic import).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const CLI = path.join(SRC, 'cli');
/** The executable's entry point sits above the commands. */
const ENTRY = path.join(SRC, 'cli.ts');

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(full)));
    else if (entry.name.endsWith('.ts')) out.push(full);
  }
  return out;
}

/** Relative module specifiers of static imports, re-exports and dynamic imports. */
export function relativeImports(text: string): string[] {
  const specifiers: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const m of text.matchAll(pattern)) specifiers.push(m[1]!);
  return specifiers;
}

function importsIntoCli(file: string, text: string): string[] {
  return relativeImports(text).filter((spec) => {
    const target = path.resolve(path.dirname(file), spec);
    return target === CLI || target.startsWith(CLI + path.sep);
  });
}

describe('layering', () => {
  it('finds static, re-exported and dynamic imports', () => {
    const file = path.join(SRC, 'trace', 'x.ts');
    const text = [
      "import { a } from '../cli/a.js';",
      "export { b } from '../cli/b.js';",
      "const c = await import('../cli/c.js');",
      "import '../cli/d.js';",
      "import { e } from '../core/e.js';",
    ].join('\n');
    expect(importsIntoCli(file, text)).toEqual(['../cli/a.js', '../cli/b.js', '../cli/c.js', '../cli/d.js']);
  });

  it('no file outside src/cli imports src/cli', async () => {
    const offenders: string[] = [];
    for (const file of await sourceFiles(SRC)) {
      if (file === ENTRY || file.startsWith(CLI + path.sep)) continue;
      for (const spec of importsIntoCli(file, await readFile(file, 'utf8')))
        offenders.push(`${path.relative(SRC, file)} imports ${spec}`);
    }
    expect(offenders).toEqual([]);
  });
});
