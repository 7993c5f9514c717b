import { readFile } from 'node:fs/promises';
import { defaultContainerName, evaluateAdmission, type AdmissionQuery } from '../../admission/evaluate.js';
import { readPolicyInputs } from '../../admission/read-inputs.js';
import { emptyAdmissionObjects, parseAdmissionObjects } from '../../core/admission/objects.js';
import { parseWorkloads } from '../../core/admission/workloads.js';
import { MirrorscopeError } from '../../core/errors.js';
import type { CertFile } from '../../host/certs-d.js';
import { parseArgs } from '../../core/args.js';
import { EXIT_FAILED, EXIT_OK, type CommandIo } from '../command.js';
import { loadResolver } from '../../host/load-resolver.js';
import { renderAdmissionResult } from '../render-admission.js';
import { styleFor } from '../../core/style.js';

export const usage = `usage: mirrorscope admission [--policies FILE|DIR]... [--namespace NS] [--json] IMAGE...
       mirrorscope admission [--policies FILE|DIR]... -f WORKLOAD.yaml [--json]

What the admission controllers would decide for a pod in NS naming each IMAGE, exactly as their code
does: Portieris (ImagePolicy/ClusterImagePolicy: policy choice, simple signatures verified against
the registry and store the policy names, trust and Vulnerability Advisor reported as not checked,
the digest mutation) and Gatekeeper (K8sAllowedRepos/K8sDisallowedRepos evaluated with the
constraint's match; other templates "not evaluated"; the audit's status.violations that name the
image). With --root, also where admission and CRI-O's pull through the node's mirrors disagree.

  --policies FILE|DIR  YAML/JSON with ImagePolicy, ClusterImagePolicy, Secret (keys, store
                       credentials), Namespace, ConstraintTemplate and constraint objects (several
                       documents or a List); a directory means its *.yaml/*.yml/*.json files
  --namespace NS       the pod's namespace (default "default"); objects without a namespace are
                       read as being in NS, as "kubectl apply -n NS" would create them
  -f, --filename FILE  Pods or workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob):
                       every container of the pod (template), with its name, labels and namespace
  --label KEY=VALUE    a label of the pod (for labelSelector); without any, labels are unknown
  --container NAME     the container's name in messages (default: the image's last path component)
  --portieris          Portieris is installed even if no policy is given (it then denies every image)
  --ca FILE            a CA certificate Portieris trusts for registries and stores (repeatable)
  --offline            contact no registry: simple signature requirements are reported as not checked
  --root DIR           a node root: show CRI-O's pull sources and where they differ from admission
  --strict             exit 1 also when some decision cannot be made here
  --json               {"results":[{"image","namespace","decisions":[…],"allowed",…}],"notes":[…]}

Exit status: 0 nothing denied, 1 some image denied (or undecided with --strict), 2 usage or bad input.
`;

function parseLabels(values: readonly string[]): Map<string, string> | null {
  if (values.length === 0) return null;
  const labels = new Map<string, string>();
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new MirrorscopeError('usage', `--label needs KEY=VALUE, got "${v}"`);
    labels.set(v.slice(0, eq), v.slice(eq + 1));
  }
  return labels;
}

async function readCas(paths: readonly string[]): Promise<CertFile[]> {
  return Promise.all(
    paths.map(async (file) => {
      try {
        return { file, pem: await readFile(file) };
      } catch (err) {
        throw new MirrorscopeError(
          'config-invalid',
          `${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
    }),
  );
}

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, {
    policies: { type: 'string', multiple: true },
    filename: { type: 'string', multiple: true, short: 'f' },
    namespace: { type: 'string' },
    label: { type: 'string', multiple: true },
    container: { type: 'string' },
    portieris: { type: 'boolean' },
    ca: { type: 'string', multiple: true },
    offline: { type: 'boolean' },
    root: { type: 'string' },
    strict: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const workloadPaths = (flags.filename as string[] | undefined) ?? [];
  if (positionals.length === 0 && workloadPaths.length === 0)
    throw new MirrorscopeError('usage', 'name at least one IMAGE or -f WORKLOAD');
  const namespace = typeof flags.namespace === 'string' ? flags.namespace : 'default';
  if (namespace === '') throw new MirrorscopeError('usage', '--namespace must not be empty');
  const labels = parseLabels((flags.label as string[] | undefined) ?? []);
  const json = flags.json === true;
  const paths = (flags.policies as string[] | undefined) ?? [];
  const objects =
    paths.length === 0 ? emptyAdmissionObjects() : parseAdmissionObjects(await readPolicyInputs(paths));
  const cas = await readCas((flags.ca as string[] | undefined) ?? []);
  const resolver = typeof flags.root === 'string' ? (await loadResolver(flags.root)).resolver : null;
  const queries: AdmissionQuery[] = positionals.map((image) => ({
    image,
    namespace,
    container: typeof flags.container === 'string' ? flags.container : defaultContainerName(image),
    labels,
    podName: null,
  }));
  for (const w of parseWorkloads(await readPolicyInputs(workloadPaths)))
    queries.push({
      image: w.image,
      namespace: w.namespace ?? namespace,
      container: w.name,
      field: w.field,
      labels: w.labels,
      podName: w.podName,
      workload: w.workload,
    });

  const results = await evaluateAdmission(queries, objects, {
    portierisInstalled: flags.portieris === true,
    verifySignatures: flags.offline !== true,
    cas,
    timeoutMs: 10_000,
    ...(resolver === null
      ? {}
      : {
          pullSources: (image: string) => {
            const candidate = resolver.resolve(image).candidates[0];
            return candidate === undefined
              ? null
              : candidate.sources.map((s) => ({ reference: s.reference, mirror: s.mirror }));
          },
        }),
  });
  const notes = objects.notes.map((n) => `${n.file}${n.line === null ? '' : `:${n.line}`}: ${n.message}`);
  if (paths.length === 0 && flags.portieris !== true)
    notes.push('no --policies and no --portieris: there is nothing to decide with');
  if (json) io.stdout.write(`${JSON.stringify({ results, notes }, null, 2)}\n`);
  else {
    const style = styleFor(io.isTTY, io.env);
    io.stdout.write(`${results.map((r) => renderAdmissionResult(r, style)).join('\n\n')}\n`);
    if (notes.length > 0) io.stdout.write(`\n${notes.map((n) => `note: ${n}`).join('\n')}\n`);
  }
  if (results.some((r) => r.allowed === false)) return EXIT_FAILED;
  if (flags.strict === true && results.some((r) => r.allowed === null)) return EXIT_FAILED;
  return EXIT_OK;
}
