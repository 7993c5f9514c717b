import { causesOfScan } from '../../core/causes/of-scan.js';
import { countLine, renderCauseText, severityBadge, type TextStyle } from '../../core/causes/render-text.js';
import type { Cause } from '../../core/causes/types.js';
import { keyStatic } from '../../core/diagnose/finding-key.js';
import type { KeyedFinding } from '../../core/diagnose/types.js';
import { MirrorscopeError } from '../../core/errors.js';
import { findingJson } from '../../core/findings/types.js';
import { parseArgs } from '../args.js';
import { EXIT_FAILED, EXIT_OK, type CommandIo } from '../command.js';
import { parseRuntime } from '../load-resolver.js';
import { styleFor, type Style } from '../style.js';

export const usage = `usage: mirrorscope check [--root DIR] [--json]

Checks a node's pull configuration without touching the network: registries.conf and its drop-ins,
crio.conf, registries.d (signature storage) and the signature policy CRI-O uses (signature_policy,
the per-namespace policies below signature_policy_dir, or /etc/containers/policy.json).
Reports, among others, signatures that only this node can read (signature-storage-local-only),
policy keys missing on the node, registries the policy rejects, and files CRI-O would refuse.

  --root DIR        read the node's configuration below DIR (default /)
  --runtime NAME    crio (default) or podman (no crio.conf)
  --json            {"causes":[{"id","kind","severity","title","explanation","fix","evidence",
                    "affects","findings"}],"findings":[{"key","id","severity","message","file","line",
                    "scope","fix"}]}

Prints the causes first (each with its kind code from docs/causes.md, the fix and the commands to run
next), then every finding, errors before warnings, and a count line.

Exit status: 0 no error-severity finding, 1 some finding is an error, 2 usage error.
`;

const RANK = { error: 0, warning: 1, info: 2 } as const;

function render(causes: readonly Cause[], findings: readonly KeyedFinding[], style: Style): string {
  if (findings.length === 0) return `${style.good('no findings')}\n\n${countLine(causes, findings)}`;
  const text: TextStyle = { strong: style.strong, error: style.bad, warn: style.warn, dim: style.dim };
  const blocks = [style.strong('Causes'), ...causes.map((c) => renderCauseText(c, text).join('\n'))];
  blocks.push(style.strong('Findings'));
  for (const f of findings) {
    const where = f.file === null ? '' : ` ${f.file}${f.line === null ? '' : `:${f.line}`}`;
    blocks.push(
      `${severityBadge(f.severity, text)} ${style.strong(f.id)}${where}\n  ${f.message}\n  ${style.dim('fix:')} ${f.fix}`,
    );
  }
  blocks.push(countLine(causes, findings));
  return blocks.join('\n\n');
}

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, {
    root: { type: 'string' },
    json: { type: 'boolean' },
    runtime: { type: 'string' },
  });
  if (positionals.length > 0) throw new MirrorscopeError('usage', `unexpected argument "${positionals[0]}"`);
  const runtime = parseRuntime(flags.runtime);
  const [{ NodeRoot }, { loadCheckInput }, { runStaticCheck }] = await Promise.all([
    import('../../host/node-root.js'),
    import('../../signatures/load-check-input.js'),
    import('../../core/check/static-check.js'),
  ]);
  const input = await loadCheckInput(
    new NodeRoot(typeof flags.root === 'string' ? flags.root : '/'),
    runtime,
  );
  // Errors before warnings before notes; the check's own order within each.
  const findings = runStaticCheck(input)
    .map((f) => keyStatic(f))
    .sort((a, b) => RANK[a.severity] - RANK[b.severity]);
  const root = typeof flags.root === 'string' ? flags.root : '/';
  const causes = causesOfScan(findings, [], null, { place: { kind: 'local', root, runtime } });
  if (flags.json === true) {
    const json = findings.map((f) => ({ key: f.key, ...findingJson(f) }));
    io.stdout.write(`${JSON.stringify({ causes, findings: json }, null, 2)}\n`);
  } else {
    io.stdout.write(`${render(causes, findings, styleFor(io.isTTY, io.env))}\n`);
  }
  return findings.some((f) => f.severity === 'error') ? EXIT_FAILED : EXIT_OK;
}
