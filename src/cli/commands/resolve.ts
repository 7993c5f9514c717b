import { MirrorscopeError } from '../../core/errors.js';
import { runtimeOf, versionNotes, type BehaviourName } from '../../core/crio/versions.js';
import { isLoopbackRegistry } from '../../core/crio/insecure-registries.js';
import { invalidReferenceResult } from '../../core/resolve/resolver.js';
import type { ResolveResult } from '../../core/resolve/types.js';
import { parseArgs } from '../../core/args.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CommandIo } from '../command.js';
import { loadResolver, parseRuntimeChoice, requireContainersDir } from '../../host/load-resolver.js';
import { renderNotes, renderResolveResult } from '../render-resolve.js';
import { styleFor } from '../../core/style.js';

export const usage = `usage: mirrorscope resolve [--root DIR] [--crio-version V] [--json] IMAGE...

Shows, for each IMAGE, the sources CRI-O would try in order (mirrors, then the primary location),
the rewritten reference pulled from each, and why: which [[registry]] matched, from which file and
line, which mirrors were skipped, what is blocked or insecure. Short names list every candidate.

  --root DIR        read the node's configuration below DIR (default /)
  --runtime NAME    crio (default: kubelet pulls; short_name_mode from crio.conf) or podman
                    (podman/skopeo on the node: short-name-mode from registries.conf)
  --crio-version V  the node's CRI-O: 1.29, 1.29.4 or the kubelet's cri-o://1.29.4-2.rhaos4.16.el9
                    (oc get node -o wide, CONTAINER-RUNTIME). Up to 1.33 CRI-O tries every
                    unqualified-search registry; from 1.34 crio.conf short_name_mode decides.
                    Unknown: the newest rules, with a crio-version-dependent note.
  --json            one JSON document: {"results":[...],"notes":[...],"runtime":{...}}
  --allow-empty-root  accept a root without etc/containers (CRI-O's empty configuration)

Exit status: 0 every image resolves, 1 some image cannot be pulled as written, 2 usage or config error.
`;

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, {
    root: { type: 'string' },
    json: { type: 'boolean' },
    runtime: { type: 'string' },
    'allow-empty-root': { type: 'boolean' },
    'crio-version': { type: 'string' },
  });
  const choice = parseRuntimeChoice(flags.runtime, flags['crio-version']);
  if (positionals.length === 0) throw new MirrorscopeError('usage', 'name at least one IMAGE');
  const json = flags.json === true;
  const style = styleFor(io.isTTY, io.env);
  const runtime = runtimeOf(choice);
  const root = typeof flags.root === 'string' ? flags.root : '/';
  await requireContainersDir(root, flags['allow-empty-root'] === true);
  let loaded;
  try {
    loaded = await loadResolver(root, choice.runtime, choice.version);
  } catch (err) {
    if (!(err instanceof MirrorscopeError) || err.code !== 'config-invalid') throw err;
    // CRI-O parses the name first, so an invalid one is reported as such; podman loads the files first.
    const rejected = positionals.map((input) =>
      choice.runtime === 'crio' ? invalidReferenceResult(input) : null,
    );
    if (json) {
      const error = err.toJSON();
      const results = positionals.map((input, i) => rejected[i] ?? { input, candidates: [], error });
      const notes = versionNotes(choice, new Set());
      io.stdout.write(`${JSON.stringify({ results, notes, runtime }, null, 2)}\n`);
    } else {
      for (const r of rejected) if (r !== null) io.stdout.write(`${renderResolveResult(r, style)}\n\n`);
      if (rejected.some((r) => r === null)) {
        io.stderr.write(
          `mirrorscope resolve: the configuration cannot be loaded, so ${choice.runtime === 'crio' ? 'CRI-O' : 'podman'} would fail every pull:\n  ${err.message}\n`,
        );
        if (err.upstream) io.stderr.write(`  containers/image: ${err.upstream}\n`);
      }
    }
    return EXIT_USAGE;
  }
  const results: ResolveResult[] = positionals.map((input) => loaded.resolver.resolve(input));
  // What the answers rest on: short-name resolution, and crio.conf insecure_registries.
  const affected = new Set<BehaviourName>();
  if (results.some((r) => r.shortName !== null || r.error?.code === 'short-name-error'))
    affected.add('short-names');
  const loopback = results.some((r) =>
    r.candidates.some((c) => isLoopbackRegistry(c.image.slice(0, c.image.indexOf('/')))),
  );
  if ((loaded.crio?.insecureRegistries.length ?? 0) > 0 || loopback) affected.add('insecure-registries');
  const notes = [...versionNotes(choice, affected), ...loaded.loaded.config.notes];
  if (json) {
    io.stdout.write(`${JSON.stringify({ results, notes, runtime }, null, 2)}\n`);
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
