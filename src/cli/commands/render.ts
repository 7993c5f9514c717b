import { MirrorscopeError } from '../../core/errors.js';
import { renderFindings } from '../../core/mco/findings.js';
import { parseClusterObjects } from '../../core/mco/parse-objects.js';
import {
  POLICY_JSON_PATH,
  REGISTRIES_CONF_PATH,
  renderRegistries,
  SEARCH_REGISTRIES_DROP_IN_PATH,
} from '../../core/mco/render.js';
import { SIGSTORE_REGISTRIES_D_PATH } from '../../core/mco/sigstore-render.js';
import { mcoProfile } from '../../core/mco/versions.js';
import { parseArgs } from '../../core/args.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CommandIo } from '../command.js';
import { readInput, readObjectFiles } from '../object-files.js';

export const usage = `usage: mirrorscope render -f FILE [-f FILE]... [--template FILE] [--mco-version 4.X] [--json]

Renders ImageContentSourcePolicy, ImageDigestMirrorSet, ImageTagMirrorSet, ClusterImagePolicy,
ImagePolicy and the image.config.openshift.io "cluster" object exactly as the machine-config-operator
does, and prints the /etc/containers/registries.conf every node of the pool receives (with
policy.json, registries.d/sigstore-registries.yaml, /etc/crio/policies/<namespace>.json and the
search-registries drop-in when the objects produce them). A set the MCO rejects prints the error
the machine-config-controller would log, and nothing changes on the nodes.

  -f, --filename FILE  YAML or JSON with the objects (several documents or a List); a directory
                       means its *.yaml/*.yml/*.json files (an oc-mirror output directory: its
                       working-dir/cluster-resources, or v1's newest results-*); "-" = stdin
  --template FILE      the pool's base registries.conf (default: the MCO template)
  --release-image REF  the release payload (default: ClusterVersion status.desired.image, if given)
  --mco-version V      4.12 (mirror-by-digest-only form, ICSP only), 4.16 … 4.2x; default current
  --json               {"registriesConf","policyJson","searchRegistriesDropIn","sigstoreRegistriesYaml",
                       "namespacedPolicies","imagePolicyStatuses","errors","mirrorOrigins",…}

Exit status: 0 rendered, 1 the MCO rejects the objects or the API server would prune a field of them
(a misspelled field: the object would do nothing), 2 usage or unreadable input.
`;

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, {
    filename: { type: 'string', multiple: true, short: 'f' },
    template: { type: 'string' },
    'release-image': { type: 'string' },
    'mco-version': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length > 0)
    throw new MirrorscopeError('usage', `unexpected argument "${positionals[0]}" (name files with -f)`);
  const files = (flags.filename as string[] | undefined) ?? [];
  if (files.length === 0) throw new MirrorscopeError('usage', 'name at least one -f FILE');
  const profile = mcoProfile(flags['mco-version'] as string | undefined);
  const json = flags.json === true;

  let result;
  let notes;
  let findings;
  let pruned: number;
  try {
    const inputs = await readObjectFiles(files);
    const template = typeof flags.template === 'string' ? await readInput(flags.template) : undefined;
    const objects = parseClusterObjects(inputs.files);
    notes = [
      ...inputs.notes,
      ...objects.notes.map((n) => `${n.file}${n.line === null ? '' : `:${n.line}`}: ${n.message}`),
    ];
    pruned = objects.notes.filter((n) => n.pruned === true).length;
    const releaseImage = flags['release-image'] as string | undefined;
    if (
      releaseImage === undefined &&
      objects.releaseImage === null &&
      (objects.image?.registrySources.blockedRegistries?.length ?? 0) > 0
    ) {
      notes.push(
        'no ClusterVersion object or --release-image: blockedRegistries were not checked against the release payload repository',
      );
    }
    result = renderRegistries(objects, {
      profile,
      ...(template !== undefined ? { template } : {}),
      ...(releaseImage !== undefined ? { releaseImage } : {}),
    });
    findings = renderFindings(objects, result);
  } catch (err) {
    if (!(err instanceof MirrorscopeError) || err.code !== 'config-invalid') throw err;
    if (json)
      io.stdout.write(
        `${JSON.stringify({ registriesConf: null, policyJson: null, searchRegistriesDropIn: null, errors: [err.toJSON()], mirrorOrigins: {} }, null, 2)}\n`,
      );
    else io.stderr.write(`mirrorscope render: ${err.message}\n`);
    return EXIT_USAGE;
  }

  const warnings = [...notes, ...result.warnings];
  if (json) {
    io.stdout.write(
      `${JSON.stringify(
        {
          mcoVersion: profile.label,
          registriesConf: result.registriesConf,
          registriesConfGenerated: result.registriesConfGenerated,
          policyJson: result.policyJson,
          policyJsonText: result.policyJsonText,
          searchRegistriesDropIn: result.searchRegistriesDropIn,
          sigstoreRegistriesYaml: result.sigstoreRegistriesYaml,
          namespacedPolicies: result.namespacedPolicies,
          imagePolicyStatuses: result.imagePolicyStatuses,
          errors: result.errors,
          warnings,
          mirrorOrigins: result.mirrorOrigins,
          findings,
        },
        null,
        2,
      )}\n`,
    );
    return result.errors.length > 0 || pruned > 0 ? EXIT_FAILED : EXIT_OK;
  }
  for (const w of warnings) io.stderr.write(`mirrorscope render: note: ${w}\n`);
  if (pruned > 0) {
    // Applied as written, the objects would be accepted and do nothing: not "nothing to apply".
    io.stderr.write(
      `mirrorscope render: the API server would prune ${pruned} field(s) named above, so these objects would not do what they say; correct the field names\n`,
    );
    return EXIT_FAILED;
  }
  for (const f of findings.filter((x) => x.id !== 'mirror-config-render-failed')) {
    io.stderr.write(
      `mirrorscope render: ${f.severity} [${f.id}]: ${f.message}${f.id === 'icsp-deprecated' ? ' (the IDMS is in --json "findings")' : ''}\n`,
    );
  }
  if (result.errors.length > 0) {
    for (const e of result.errors) {
      io.stderr.write(
        `mirrorscope render: the MCO rejects these objects; no node gets a new registries.conf:\n  ${e.message}\n`,
      );
      io.stderr.write(`machine-config-controller log: ${e.mcoLog}\n`);
    }
    return EXIT_FAILED;
  }
  if (!result.registriesConfGenerated) {
    io.stderr.write(
      `mirrorscope render: note: nothing to apply to registries.conf; the nodes keep the template file (shown)\n`,
    );
  }
  for (const st of result.imagePolicyStatuses)
    io.stderr.write(
      `mirrorscope render: note: ImagePolicy ${st.namespace}/${st.name} gets status ${st.type}=${st.status} (${st.reason}): ${st.message}\n`,
    );
  const extra: [string, string][] = [];
  if (result.policyJsonText !== null) extra.push([POLICY_JSON_PATH, `${result.policyJsonText}\n`]);
  if (result.sigstoreRegistriesYaml !== null)
    extra.push([SIGSTORE_REGISTRIES_D_PATH, result.sigstoreRegistriesYaml]);
  for (const p of result.namespacedPolicies) extra.push([p.path, `${p.text}\n`]);
  if (result.searchRegistriesDropIn !== null)
    extra.push([SEARCH_REGISTRIES_DROP_IN_PATH, result.searchRegistriesDropIn]);
  const registriesConf = result.registriesConf ?? '';
  if (extra.length === 0) {
    io.stdout.write(registriesConf);
    return EXIT_OK;
  }
  const sections = [[REGISTRIES_CONF_PATH, registriesConf] as [string, string], ...extra];
  io.stdout.write(sections.map(([path, text]) => `==> ${path} <==\n${text}`).join('\n'));
  return EXIT_OK;
}
