import { MirrorscopeError } from '../../core/errors.js';
import type { ResolveResult } from '../../core/resolve/types.js';
import { parseArgs } from '../../core/args.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CommandIo } from '../command.js';
import { loadResolver, parseRuntime, requireContainersDir } from '../../host/load-resolver.js';
import { renderNotes, renderResolveResult } from '../render-resolve.js';
import { styleFor } from '../../core/style.js';

export const usage = `usage: mirrorscope resolve [--root DIR] [--json] IMAGE...

Shows, for each IMAGE, the sources CRI-O would try in order (mirrors, then the primary location),
the rewritten reference pulled from each, and why: which [[registry]] matched, from which file and
line, which mirrors were skipped, what is blocked or insecure. Short names list every candidate.

  --root DIR        read the node's configuration below DIR (default /)
  --runtime NAME    crio (default: kubelet pulls; short_name_mode from crio.conf) or podman
                    (podman/skopeo on the node: short-name-mode from registries.conf)
  --json            one JSON document: {"results":[...],"notes":[...]}
  --allow-empty-root  accept a root without etc/containers (CRI-O's empty configuration)

Exit status: 0 every image resolves, 1 some image cannot be pulled as written, 2 usage or config error.
`;

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, {
    root: { type: 'string' },
    json: { type: 'boolean' },
    runtime: { type: 'string' },
    'allow-empty-root': { type: 'boolean' },
  });
  const runtime = parseRuntime(flags.runtime);
  if (positionals.length === 0) throw new MirrorscopeError('usage', 'name at least one IMAGE');
  const json = flags.json === true;
  const style = styleFor(io.isTTY, io.env);
  const root = typeof flags.root === 'string' ? flags.root : '/';
  await requireContainersDir(root, flags['allow-empty-root'] === true);
  let loaded;
  try {
    loaded = await loadResolver(root, runtime);
  } catch (err) {
    if (!(err instanceof MirrorscopeError) || err.code !== 'config-invalid') throw err;
    if (json) {
      const error = err.toJSON();
      const results = positionals.map((input) => ({ input, candidates: [], error }));
      io.stdout.write(`${JSON.stringify({ results, notes: [] }, null, 2)}\n`);
    } else {
      io.stderr.write(
        `mirrorscope resolve: the configuration cannot be loaded, so CRI-O would fail every pull:\n  ${err.message}\n`,
      );
      if (err.upstream) io.stderr.write(`  containers/image: ${err.upstream}\n`);
    }
    return EXIT_USAGE;
  }
  const results: ResolveResult[] = positionals.map((input) => loaded.resolver.resolve(input));
  const notes = loaded.loaded.config.notes;
  if (json) {
    io.stdout.write(`${JSON.stringify({ results, notes }, null, 2)}\n`);
  } else {
    io.stdout.write(`${results.map((r) => renderResolveResult(r, style)).join('\n\n')}\n`);
    if (notes.length > 0) io.stdout.write(`\n${renderNotes(notes, style)}\n`);
  }
  const failed = results.some(
    (r) =>
      r.error !== null || r.candidates.every((c) => c.error !== null || c.sources.every((s) => s.blocked)),
  );
  return failed ? EXIT_FAILED : EXIT_OK;
}
