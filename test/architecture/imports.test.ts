// Imports point down: the trace engine, the agent, the collector and everything else below the
// commands never import src/cli/ (nor does a lower layer reach it through a dynamic import); the pure
// core never imports the collector protocol (the wire schema is built on core's types).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const CLI = path.join(SRC, 'cli');
const CORE = path.join(SRC, 'core');
const PROTOCOL = path.join(SRC, 'protocol');
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

function within(dir: string, target: string): boolean {
  return target === dir || target.startsWith(dir + path.sep);
}

/** The imports of `file` (whose text is `text`) that reach into `dir`. */
function importsInto(dir: string, file: string, text: string): string[] {
  return relativeImports(text).filter((spec) => within(dir, path.resolve(path.dirname(file), spec)));
}

/** `file imports spec` for every import from a file in `from` into `into`. */
async function offendingImports(into: string, from: (file: string) => boolean): Promise<string[]> {
  const offenders: string[] = [];
  for (const file of await sourceFiles(SRC)) {
    if (!from(file)) continue;
    for (const spec of importsInto(into, file, await readFile(file, 'utf8')))
      offenders.push(`${path.relative(SRC, file)} imports ${spec}`);
  }
  return offenders;
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
    expect(importsInto(CLI, file, text)).toEqual([
      '../cli/a.js',
      '../cli/b.js',
      '../cli/c.js',
      '../cli/d.js',
    ]);
  });

  it('no file outside src/cli imports src/cli', async () => {
    const outsideCli = (file: string): boolean => file !== ENTRY && !within(CLI, file);
    expect(await offendingImports(CLI, outsideCli)).toEqual([]);
  });

  it('sees an import from core into the protocol module', () => {
    const file = path.join(CORE, 'report', 'x.ts');
    const text = [
      "import type { WireFinding } from '../../protocol/messages.js';",
      "export type { HostProbe } from '../../protocol/messages.js';",
      "import { NodeFinding } from '../findings/types.js';",
    ].join('\n');
    expect(importsInto(PROTOCOL, file, text)).toEqual([
      '../../protocol/messages.js',
      '../../protocol/messages.js',
    ]);
  });

  it('nothing under src/core imports src/protocol', async () => {
    expect(await offendingImports(PROTOCOL, (file) => within(CORE, file))).toEqual([]);
  });
});
