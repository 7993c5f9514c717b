import { MirrorscopeError } from '../../core/errors.js';
import { findingJson, type Finding } from '../../core/findings/types.js';
import { parseArgs } from '../../core/args.js';
import { EXIT_FAILED, EXIT_OK, type CommandIo } from '../command.js';
import { parseRuntime, requireContainersDir } from '../../host/load-resolver.js';
import { styleFor, type Style } from '../../core/style.js';

export const usage = `usage: mirrorscope check [--root DIR] [--json]

Checks a node's pull configuration without touching the network: registries.conf and its drop-ins,
crio.conf, registries.d (signature storage) and the signature policy CRI-O uses (signature_policy,
the per-namespace policies below signature_policy_dir, or /etc/containers/policy.json).
Reports, among others, signatures that only this node can read (signature-storage-local-only),
policy keys missing on the node, registries the policy rejects, and files CRI-O would refuse.

  --root DIR        read the node's configuration below DIR (default /)
  --runtime NAME    crio (default) or podman (no crio.conf)
  --json            {"findings":[{"id","severity","message","file","line","scope","fix"}]}
  --allow-empty-root  accept a root without etc/containers (CRI-O's empty configuration)

Exit status: 0 no error-severity finding, 1 some finding is an error, 2 usage or input error.
`;

function render(findings: readonly Finding[], style: Style): string {
  if (findings.length === 0) return style.good('no findings');
  const badge = (f: Finding): string =>
    f.severity === 'error'
      ? style.bad('error')
      : f.severity === 'warning'
        ? style.warn('warning')
        : style.dim('info');
  return findings
    .map((f) => {
      const where = f.file === null ? '' : ` ${f.file}${f.line === null ? '' : `:${f.line}`}`;
      return `${badge(f)} ${style.strong(f.id)}${where}\n  ${f.message}\n  ${style.dim('fix:')} ${f.fix}`;
    })
    .join('\n\n');
}

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, {
    root: { type: 'string' },
    json: { type: 'boolean' },
    runtime: { type: 'string' },
    'allow-empty-root': { type: 'boolean' },
  });
  if (positionals.length > 0) throw new MirrorscopeError('usage', `unexpected argument "${positionals[0]}"`);
  const runtime = parseRuntime(flags.runtime);
  const root = typeof flags.root === 'string' ? flags.root : '/';
  await requireContainersDir(root, flags['allow-empty-root'] === true);
  const [{ NodeRoot }, { loadCheckInput }, { runStaticCheck }] = await Promise.all([
    import('../../host/node-root.js'),
    import('../../signatures/load-check-input.js'),
    import('../../core/check/static-check.js'),
  ]);
  const input = await loadCheckInput(new NodeRoot(root), runtime);
  const findings = runStaticCheck(input);
  if (flags.json === true) {
    io.stdout.write(`${JSON.stringify({ findings: findings.map(findingJson) }, null, 2)}\n`);
  } else {
    io.stdout.write(`${render(findings, styleFor(io.isTTY, io.env))}\n`);
  }
  return findings.some((f) => f.severity === 'error') ? EXIT_FAILED : EXIT_OK;
}
