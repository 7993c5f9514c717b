import { MirrorscopeError } from '../../core/errors.js';
import { parseArgs, type FlagValues } from '../../core/args.js';
import { parseClusterObjects } from '../../core/mco/parse-objects.js';
import { REGISTRIES_CONF_PATH, renderRegistries } from '../../core/mco/render.js';
import { mcoProfile } from '../../core/mco/versions.js';
import type { ClusterObjects } from '../../core/mco/types.js';
import { parsePlatform } from '../../core/registry-protocol/manifest-blobs.js';
import { judge, whatIfFails, whatIfReport } from '../../core/what-if/classify.js';
import { proposedFiles } from '../../core/what-if/node-files.js';
import { applyProposal, NO_OBJECTS, parseObjectKey, type ObjectKey } from '../../core/what-if/proposal.js';
import { renderWhatIfText } from '../../core/what-if/render-text.js';
import { chooseTemplate } from '../../core/what-if/template-choice.js';
import type { WhatIfReport } from '../../core/what-if/types.js';
import { parseNamespace, parseRuntimeChoice, requireContainersDir } from '../../host/load-resolver.js';
import { NodeRoot } from '../../host/node-root.js';
import { readNodeText } from '../../host/read-text.js';
import { COLLECTOR_FLAGS } from '../collector-client.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CommandIo } from '../command.js';
import { installConnectTo } from '../connect-to-flag.js';
import { readInput, readObjectFiles } from '../object-files.js';

export const usage = `usage: mirrorscope what-if -f FILE... [--delete KIND/NAME]... --root DIR [--template FILE]
                         [--mco-version V] --image REF... [--json]
       mirrorscope what-if -f FILE... [--delete KIND/NAME]... --collector URL [--json]

Before a mirror change is applied: what it does to the pulls. The objects of the -f files are
rendered as the machine-config-operator renders them, and each image is pulled (traced, as "trace"
does: manifests, blobs, signatures; no layer downloaded) once with the node's files as they are and
once with the rendered files in place, in memory. Per image: before (source, outcome), after
(source, outcome, why), and the class: breaks (pulls now, would fail), fixes (fails now, would pull),
moves (still pulls, from another source) or unchanged. A set the MCO rejects is reported with the
MCO's error, and nothing else is evaluated.

Offline (one node):
  -f, --filename FILE  the mirror objects the cluster would have (ICSP, IDMS, ITMS, image.config
                       "cluster", ClusterImagePolicy, ImagePolicy), YAML or JSON, "-" stdin, a
                       directory; an object of a later -f replaces the same kind and name of an
                       earlier one (-f current/ -f change.yaml)
  --delete KIND/NAME   leave that object out (idms/NAME, ImageContentSourcePolicy/NAME, …; repeatable)
  --root DIR           the node's files (registries.conf today, credentials, certs.d, policy.json,
                       crio.conf) below DIR
  --template FILE      the pool's template registries.conf (default: the node's registries.conf
                       when it is still the template, i.e. has no [[registry]] table; else the MCO's)
  --mco-version V      the MCO whose rendering applies (4.12, 4.16 … 4.2x; default current)
  --image REF          an image to judge (repeatable; required)
  --crio-version V, --namespace NS, --timeout MS, --authfile FILE, --platform P,
  --connect-to HOST[:PORT]=ADDR:PORT, --allow-empty-root   as for "trace"
  --verbose            also list the unchanged images
  --json               {"render":{"errors":[…],"warnings":[…]},"changes":[{"image","class","before",
                       "after","pods","namespaces","nodes","pools"}],"summary":{"breaks","fixes",
                       "moves","unchanged"},"notes":[…]}

Cluster (every node, through the collector): -f and --delete as above, but -f names only what
changes: the collector adds the objects to (or replaces them in) the cluster's own, renders per
pool, groups nodes by resulting configuration and has one agent per group trace the images whose
sources change (POST /api/v1/what-if).
  --collector URL      the collector's HTTP address (default $MIRRORSCOPE_COLLECTOR)
  --token-file FILE    bearer token (default: $MIRRORSCOPE_TOKEN)

Without an image.config object among the files the node keeps its policy.json and search
registries; with one, they are what the MCO renders from it.

Exit status: 0 nothing breaks, 1 an image breaks or the MCO rejects the objects, 2 usage or
unreadable input.
`;

const FLAGS = {
  filename: { type: 'string', multiple: true, short: 'f' },
  delete: { type: 'string', multiple: true },
  root: { type: 'string' },
  template: { type: 'string' },
  'mco-version': { type: 'string' },
  image: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  'crio-version': { type: 'string' },
  namespace: { type: 'string' },
  timeout: { type: 'number' },
  authfile: { type: 'string' },
  platform: { type: 'string' },
  'connect-to': { type: 'string', multiple: true },
  'allow-empty-root': { type: 'boolean' },
  ...COLLECTOR_FLAGS,
} as const;

const OFFLINE_ONLY = [
  'root',
  'template',
  'mco-version',
  'image',
  'crio-version',
  'namespace',
  'timeout',
  'authfile',
  'platform',
  'connect-to',
  'allow-empty-root',
] as const satisfies readonly (keyof typeof FLAGS)[];

function print(report: WhatIfReport, flags: FlagValues, io: CommandIo): number {
  if (flags.json === true) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout.write(renderWhatIfText(report, { verbose: flags.verbose === true }));
  return whatIfFails(report) ? EXIT_FAILED : EXIT_OK;
}

/** Each -f argument is one set of objects (duplicates inside one are an error, as for render). */
async function readLayers(files: readonly string[]): Promise<{ layers: ClusterObjects[]; notes: string[] }> {
  const layers: ClusterObjects[] = [];
  const notes: string[] = [];
  for (const f of files) {
    const inputs = await readObjectFiles([f]);
    notes.push(...inputs.notes);
    layers.push(parseClusterObjects(inputs.files));
  }
  return { layers, notes };
}

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, FLAGS);
  if (positionals.length > 0)
    throw new MirrorscopeError(
      'usage',
      `unexpected argument "${positionals[0]}" (name files with -f, images with --image)`,
    );
  const files = (flags.filename as string[] | undefined) ?? [];
  if (files.length === 0) throw new MirrorscopeError('usage', 'name at least one -f FILE');
  const deletes = ((flags.delete as string[] | undefined) ?? []).map(parseObjectKey);
  if (typeof flags.collector === 'string') {
    for (const local of OFFLINE_ONLY)
      if (flags[local] !== undefined)
        throw new MirrorscopeError(
          'usage',
          `--${local} describes one node; it cannot be used with --collector`,
        );
    const { whatIfOnCollector } = await import('../what-if-remote.js');
    const report = await whatIfOnCollector(files, flags, io);
    return report === null ? EXIT_USAGE : print(report, flags, io);
  }
  if (flags['token-file'] !== undefined)
    throw new MirrorscopeError('usage', '--token-file needs --collector');
  if (typeof flags.root !== 'string')
    throw new MirrorscopeError(
      'usage',
      'name the node with --root DIR (or the cluster with --collector URL)',
    );
  const images = (flags.image as string[] | undefined) ?? [];
  if (images.length === 0) throw new MirrorscopeError('usage', 'name at least one --image REF');
  return offline(flags.root, files, deletes, images, flags, io);
}

async function offline(
  rootDir: string,
  files: readonly string[],
  deletes: readonly ObjectKey[],
  images: readonly string[],
  flags: FlagValues,
  io: CommandIo,
): Promise<number> {
  const choice = parseRuntimeChoice(undefined, flags['crio-version']);
  const namespace = parseNamespace(flags.namespace);
  const timeoutMs = flags.timeout as number | undefined;
  if (timeoutMs !== undefined && (timeoutMs <= 0 || !Number.isInteger(timeoutMs)))
    throw new MirrorscopeError('usage', '--timeout needs a positive whole number of milliseconds');
  const platform = typeof flags.platform === 'string' ? parsePlatform(flags.platform) : undefined;
  if (platform === null)
    throw new MirrorscopeError('usage', '--platform needs os/arch or os/arch/variant, e.g. linux/arm64/v8');
  const profile = mcoProfile(flags['mco-version'] as string | undefined);
  installConnectTo(flags['connect-to']);
  await requireContainersDir(rootDir, flags['allow-empty-root'] === true);

  let objects: ClusterObjects;
  let notes: string[];
  let template;
  try {
    const read = await readLayers(files);
    objects = applyProposal(NO_OBJECTS, read.layers, deletes);
    notes = read.notes;
    if (typeof flags.template === 'string') template = await readInput(flags.template);
    else {
      const root = new NodeRoot(rootDir);
      // A file that cannot be read is no template; the before-trace says what it does to pulls.
      const current = await readNodeText(root, REGISTRIES_CONF_PATH).catch((err: unknown) => {
        if (err instanceof MirrorscopeError) return err;
        throw err;
      });
      const chosen = chooseTemplate(
        typeof current === 'string' ? { path: root.describe(REGISTRIES_CONF_PATH), text: current } : current,
      );
      notes.push(chosen.note);
      if (chosen.kind === 'node') template = chosen.file;
    }
  } catch (err) {
    if (!(err instanceof MirrorscopeError) || err.code !== 'config-invalid') throw err;
    io.stderr.write(`mirrorscope what-if: ${err.message}\n`);
    return EXIT_USAGE;
  }
  const render = renderRegistries(objects, { profile, ...(template !== undefined ? { template } : {}) });
  const warnings = [
    ...objects.notes.map((n) => `${n.file}${n.line === null ? '' : `:${n.line}`}: ${n.message}`),
    ...render.warnings,
  ];
  if (render.errors.length > 0)
    return print(whatIfReport({ errors: render.errors, warnings }, []), flags, io);
  if (objects.image === null)
    notes.push(
      'no image.config.openshift.io "cluster" object among the files: the node keeps its policy.json and search registries',
    );

  const { nodeRootWith, traceSide } = await import('../../trace/what-if.js');
  const options = {
    runtime: choice.runtime,
    crioVersion: choice.version,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(typeof flags.authfile === 'string' ? { authfile: flags.authfile } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(platform !== undefined ? { platform } : {}),
  };
  const [before, after] = await Promise.all([
    traceSide(nodeRootWith(rootDir, null), images, options),
    traceSide(nodeRootWith(rootDir, proposedFiles(render, objects, profile)), images, options),
  ]);
  const changes = images.map((image, i) =>
    judge({ image, before: before.sides[i]!, after: after.sides[i]! }),
  );
  return print(whatIfReport({ errors: [], warnings }, changes, notes), flags, io);
}
