// `mirrorscope coverage`: which images in use (or listed) the mirror objects leave without a source.
import { coverage, type CoverageReport } from '../../core/coverage/coverage.js';
import { MirrorscopeError } from '../../core/errors.js';
import { parseClusterObjects } from '../../core/mco/parse-objects.js';
import {
  REGISTRIES_CONF_PATH,
  renderRegistries,
  SEARCH_REGISTRIES_DROP_IN_PATH,
} from '../../core/mco/render.js';
import { mcoProfile } from '../../core/mco/versions.js';
import { assembleRegistriesConfig } from '../../core/registries/assemble.js';
import type { ClusterReport } from '../../core/report/types.js';
import { Resolver } from '../../core/resolve/resolver.js';
import { parseArgs } from '../../core/args.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CommandIo } from '../command.js';
import { readInput, readObjectFiles } from '../object-files.js';

export const usage = `usage: mirrorscope coverage -f DIR|FILE [-f …] (--images FILE | --collector URL) [--json]

Renders the mirror objects (ImageDigestMirrorSet, ImageTagMirrorSet, ImageContentSourcePolicy, the
image.config "cluster" object; an oc-mirror output directory works as it is) as the MCO does, and checks
each image: does CRI-O have a mirror for it in the form it is pulled (digest or tag), or a source it
can use? Lists what is not covered and why, including images pulled both by tag and by digest where
only one form is mirrored (openshift/oc-mirror#1424).

  -f, --filename P     objects, as for \`mirrorscope render\`
  --images FILE        images, one per line ("#" comments); sources count as unreachable
  --collector URL      the images a running collector sees in use; sources count when some node
                       reaches them (token: --token-file or $MIRRORSCOPE_TOKEN)
  --mco-version V      render as that MCO release does (default current)
  --json               {"images":[{"image","covered","mirrors","reason"}],"summary":{"covered","uncovered"}}

Exit status: 0 everything covered, 1 some image is not, 2 usage error or unreadable input.
`;

function imagesFromText(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l !== '');
}

/** The images in use and the hosts some node reaches, from a collector's report. */
async function fromCollector(
  base: string,
  token: string | undefined,
): Promise<{ images: string[]; reachable: Set<string> }> {
  let url: URL;
  try {
    url = new URL(`${base.replace(/\/+$/, '')}/api/v1/report`);
  } catch {
    throw new MirrorscopeError('usage', `--collector ${base} is not a URL`);
  }
  let res: Response;
  try {
    res = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    throw new MirrorscopeError('usage', `cannot reach the collector at ${url.origin}: ${cause}`);
  }
  if (res.status !== 200)
    throw new MirrorscopeError('usage', `the collector at ${url.origin} answered HTTP ${res.status}`);
  let report: ClusterReport;
  try {
    report = (await res.json()) as ClusterReport;
  } catch {
    throw new MirrorscopeError('usage', `the collector at ${url.origin} did not answer with a report`);
  }
  return {
    images: (report.images ?? []).map((i) => i.image),
    reachable: new Set((report.mirrors ?? []).filter((m) => m.nodesReachable > 0).map((m) => m.host)),
  };
}

function text(report: CoverageReport): string {
  const lines: string[] = [];
  for (const e of report.images) {
    if (e.covered && e.reason === null) lines.push(`covered    ${e.image}  (${e.mirrors.join(', ')})`);
    else if (e.covered) lines.push(`covered    ${e.image}  (${e.reason})`);
    else lines.push(`UNCOVERED  ${e.image}: ${e.reason}`);
  }
  lines.push(`${report.summary.covered} covered, ${report.summary.uncovered} not covered`);
  return `${lines.join('\n')}\n`;
}

export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, {
    filename: { type: 'string', multiple: true, short: 'f' },
    images: { type: 'string' },
    collector: { type: 'string' },
    'token-file': { type: 'string' },
    'mco-version': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length > 0)
    throw new MirrorscopeError('usage', `unexpected argument "${positionals[0]}" (name files with -f)`);
  const paths = (flags.filename as string[] | undefined) ?? [];
  if (paths.length === 0) throw new MirrorscopeError('usage', 'name the mirror objects with -f DIR|FILE');
  const imagesFile = flags.images as string | undefined;
  const collector = flags.collector as string | undefined;
  if ((imagesFile === undefined) === (collector === undefined))
    throw new MirrorscopeError(
      'usage',
      'name the images with exactly one of --images FILE or --collector URL',
    );
  const profile = mcoProfile(flags['mco-version'] as string | undefined);

  let report: CoverageReport;
  try {
    const inputs = await readObjectFiles(paths);
    for (const n of inputs.notes) io.stderr.write(`mirrorscope coverage: note: ${n}\n`);
    const result = renderRegistries(parseClusterObjects(inputs.files), { profile });
    if (result.registriesConf === null) {
      for (const e of result.errors)
        io.stderr.write(
          `mirrorscope coverage: the MCO rejects these objects, so nothing applies:\n  ${e.message}\n`,
        );
      return EXIT_USAGE;
    }
    let images: string[];
    let reachable: Set<string> | null = null;
    if (imagesFile !== undefined) images = imagesFromText((await readInput(imagesFile)).text);
    else {
      const tokenFile = flags['token-file'] as string | undefined;
      const token =
        tokenFile !== undefined ? (await readInput(tokenFile)).text.trim() : io.env.MIRRORSCOPE_TOKEN;
      ({ images, reachable } = await fromCollector(collector!, token));
    }
    const config = assembleRegistriesConfig({
      main: { path: `${REGISTRIES_CONF_PATH} (rendered)`, text: result.registriesConf },
      dropIns:
        result.searchRegistriesDropIn === null
          ? []
          : [{ path: `${SEARCH_REGISTRIES_DROP_IN_PATH} (rendered)`, text: result.searchRegistriesDropIn }],
    });
    // OpenShift pins CRI-O's short_name_mode to disabled (crio.conf.d/00-default).
    const resolver = new Resolver(config, { shortNameModeOverride: { mode: 'disabled', origin: null } });
    report = coverage({ resolver, images, reachableHosts: reachable });
  } catch (err) {
    if (!(err instanceof MirrorscopeError) || err.code !== 'config-invalid') throw err;
    io.stderr.write(`mirrorscope coverage: ${err.message}\n`);
    return EXIT_USAGE;
  }
  io.stdout.write(flags.json === true ? `${JSON.stringify(report, null, 2)}\n` : text(report));
  return report.summary.uncovered > 0 ? EXIT_FAILED : EXIT_OK;
}
