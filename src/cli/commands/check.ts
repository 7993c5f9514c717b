import { modelledVersion, runtimeOf, versionNotes, type BehaviourName } from '../../core/crio/versions.js';
import { causesOfScan } from '../../core/causes/of-scan.js';
import { countLine, renderCauseText, severityBadge, type TextStyle } from '../../core/causes/render-text.js';
import type { Cause } from '../../core/causes/types.js';
import { keyStatic } from '../../core/diagnose/finding-key.js';
import type { NodeFinding } from '../../core/findings/types.js';
import { MirrorscopeError } from '../../core/errors.js';
import { findingJson, SEVERITY_RANK } from '../../core/findings/types.js';
import { parseArgs } from '../../core/args.js';
import { EXIT_FAILED, EXIT_OK, type CommandIo } from '../command.js';
import { parseNamespace, parseRuntimeChoice, requireContainersDir } from '../../host/load-resolver.js';
import { styleFor, type Style } from '../../core/style.js';

export const usage = `usage: mirrorscope check [--root DIR] [--crio-version V] [--namespace NS] [--json]

Checks a node's pull configuration without touching the network: registries.conf and its drop-ins,
crio.conf, registries.d (signature storage) and the signature policy CRI-O uses (signature_policy,
the per-namespace policies below signature_policy_dir, or /etc/containers/policy.json).
Reports, among others, signatures that only this node can read (signature-storage-local-only),
policy keys missing on the node, registries the policy rejects, and files CRI-O would refuse.

  --root DIR        read the node's configuration below DIR (default /)
  --runtime NAME    crio (default) or podman (no crio.conf)
  --crio-version V  the node's CRI-O (1.29, 1.29.4, cri-o://1.29.4-…): policy.json features its
                    containers/image cannot parse, insecure_registries deprecation, per-namespace
                    policies (1.28+); unknown: only what holds for every version, with a note
  --namespace NS    check as for a pod of namespace NS (signature_policy_dir/NS.json when it exists)
  --json            {"causes":[{"id","kind","severity","title","explanation","fix","evidence",
                    "affects","findings"}],"findings":[{"key","id","severity","message","file","line",
                    "scope","fix"}],"runtime":{"name","version","containersImage"},"notes":[...]}
  --allow-empty-root  accept a root without etc/containers (CRI-O's empty configuration)

Prints the causes first (each with its kind code from docs/causes.md, the fix and the commands to run
next), then every finding, errors before warnings, the notes, and a count line.

Exit status: 0 no error-severity finding, 1 some finding is an error, 2 usage or input error.
`;

function render(
  causes: readonly Cause[],
  findings: readonly NodeFinding[],
  notes: readonly { message: string }[],
  style: Style,
): string {
  const text: TextStyle = { strong: style.strong, error: style.bad, warn: style.warn, dim: style.dim };
  const blocks =
    findings.length === 0
      ? [style.good('no findings')]
      : [style.strong('Causes'), ...causes.map((c) => renderCauseText(c, text).join('\n'))];
  if (findings.length > 0) blocks.push(style.strong('Findings'));
  for (const f of findings) {
    const where = f.file === null ? '' : ` ${f.file}${f.line === null ? '' : `:${f.line}`}`;
    blocks.push(
      `${severityBadge(f.severity, text)} ${style.strong(f.id)}${where}\n  ${f.message}\n  ${style.dim('fix:')} ${f.fix}`,
    );
  }
  for (const n of notes) blocks.push(`${style.warn('note:')} ${n.message}`);
  blocks.push(countLine(causes, findings));
  return blocks.join('\n\n');
}

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, {
    root: { type: 'string' },
    json: { type: 'boolean' },
    runtime: { type: 'string' },
    'crio-version': { type: 'string' },
    namespace: { type: 'string' },
    'allow-empty-root': { type: 'boolean' },
  });
  if (positionals.length > 0) throw new MirrorscopeError('usage', `unexpected argument "${positionals[0]}"`);
  const choice = parseRuntimeChoice(flags.runtime, flags['crio-version']);
  const namespace = parseNamespace(flags.namespace);
  const rootDir = typeof flags.root === 'string' ? flags.root : '/';
  await requireContainersDir(rootDir, flags['allow-empty-root'] === true);
  const [{ NodeRoot }, { loadCheckInput }, { runStaticCheck }] = await Promise.all([
    import('../../host/node-root.js'),
    import('../../signatures/load-check-input.js'),
    import('../../core/check/static-check.js'),
  ]);
  const root = new NodeRoot(rootDir);
  const input = await loadCheckInput(root, choice.runtime, {
    crioVersion: choice.version,
    ...(namespace !== undefined ? { namespace } : {}),
  });
  // Errors before warnings before notes; the check's own order within each.
  const findings = runStaticCheck(input)
    .map((f) => keyStatic(f))
    .sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
  const causes = causesOfScan(findings, [], null, {
    place: {
      kind: 'local',
      root: typeof flags.root === 'string' ? flags.root : '/',
      runtime: choice.runtime,
    },
  });
  const { uncertainPolicyFeatures, usesVersionedPolicyKeys } =
    await import('../../core/check/runtime-findings.js');
  const policies = input.policies.flatMap((p) => (p.policy.ok ? [p.policy.value] : []));
  // What the findings rest on: the policy features used, per-namespace policies, insecure_registries.
  const affected = new Set<BehaviourName>();
  if (policies.some(usesVersionedPolicyKeys)) affected.add('policy-features');
  if (namespace !== undefined || input.policies.some((p) => p.role === 'namespace'))
    affected.add('namespaced-policy');
  if (input.crio?.ok === true && input.crio.value.insecureRegistries.length > 0)
    affected.add('insecure-registries');
  const notes: { code: string; message: string }[] = versionNotes(choice, affected);
  const uncertain = uncertainPolicyFeatures(policies, choice.version);
  if (uncertain !== null) notes.push(uncertain);
  const crio = input.crio?.ok === true ? input.crio.value : null;
  if (namespace !== undefined && crio !== null) {
    const [{ namespacedPolicyNote }, { locatePolicy }] = await Promise.all([
      import('../../core/crio/runtime-notes.js'),
      import('../../host/policy-files.js'),
    ]);
    const main = input.policies.find((p) => p.role === 'main')!;
    const fallback = await locatePolicy(root, crio);
    const chosen = main.path !== fallback.path ? main.path : null;
    notes.push(namespacedPolicyNote(modelledVersion(choice.version), crio, namespace, chosen, fallback.path));
  }
  const style = styleFor(io.isTTY, io.env);
  if (flags.json === true) {
    const json = findings.map((f) => ({ key: f.key, ...findingJson(f) }));
    const doc = { causes, findings: json, runtime: runtimeOf(choice), notes };
    io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else io.stdout.write(`${render(causes, findings, notes, style)}\n`);
  return findings.some((f) => f.severity === 'error') ? EXIT_FAILED : EXIT_OK;
}
