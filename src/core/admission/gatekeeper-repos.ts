// The gatekeeper-library templates K8sAllowedRepos and K8sDisallowedRepos, evaluated without a Rego
// engine. A template is only evaluated here when its Rego is, up to whitespace, one of the library's
// own versions (open-policy-agent/gatekeeper-library 5c441fb6 and its history, hashes below); any
// other Rego, even under the same kind, is reported as not evaluated. Messages are the templates'
// own `sprintf("%v")` output: strings plain, the repos list in Rego's `["a", "b"]` form.
import { createHash } from 'node:crypto';
import { goQuote } from '../mco/go-format.js';

export type ContainerField = 'containers' | 'initContainers' | 'ephemeralContainers';

interface LibraryVariant {
  readonly template: 'k8sallowedrepos' | 'k8sdisallowedrepos';
  readonly version: string;
  /** Container lists the Rego reads. */
  readonly fields: readonly ContainerField[];
  /** The word the message starts with for each list (the oldest version said "container" for both). */
  readonly label: Readonly<Record<ContainerField, string>>;
}

const LABELS = {
  containers: 'container',
  initContainers: 'initContainer',
  ephemeralContainers: 'ephemeralContainer',
} as const;
const ALL: readonly ContainerField[] = ['containers', 'initContainers', 'ephemeralContainers'];

/** sha256 of the whitespace-normalised Rego → the library version it is. */
const LIBRARY_REGO: ReadonlyMap<string, LibraryVariant> = new Map([
  [
    '32dbda080f212b40a411ea3b3f1150b077a9aa982c2d52c141b380160044d359',
    {
      template: 'k8sallowedrepos',
      version: 'library 2019-08 … 2021-11 (no version annotation)',
      fields: ['containers', 'initContainers'],
      label: { ...LABELS, initContainers: 'container' },
    },
  ],
  [
    '2436a3299b5fbc6fb39c8feea624afa34f44c1d72fa358c5ce83cb441599c2ba',
    {
      template: 'k8sallowedrepos',
      version: 'library 2022-03 (no version annotation)',
      fields: ['containers', 'initContainers'],
      label: LABELS,
    },
  ],
  [
    '0e935164a03d4cdd31466ad2302a1a088764edc26d9e9500428b0a37a79754d3',
    { template: 'k8sallowedrepos', version: '1.0.0', fields: ALL, label: LABELS },
  ],
  [
    'f41c5275422d57f274fd857635fd6792cef38e7e3cc4c946baf3c15f16473e89',
    { template: 'k8sallowedrepos', version: '1.0.1/1.0.2', fields: ALL, label: LABELS },
  ],
  [
    '6e3416ed75dac78efa769c6e7f4b2ca7bc5aa7aba6faaa41ff77df2d38c842b8',
    { template: 'k8sdisallowedrepos', version: '1.0.0', fields: ALL, label: LABELS },
  ],
]);

/** The current library version of each template, for a constraint whose template was not supplied. */
const CURRENT: Readonly<Record<string, LibraryVariant>> = {
  K8sAllowedRepos: LIBRARY_REGO.get('f41c5275422d57f274fd857635fd6792cef38e7e3cc4c946baf3c15f16473e89')!,
  K8sDisallowedRepos: LIBRARY_REGO.get('6e3416ed75dac78efa769c6e7f4b2ca7bc5aa7aba6faaa41ff77df2d38c842b8')!,
};

export function regoFingerprint(rego: string): string {
  const normalised = rego
    .split(/\s+/)
    .filter((w) => w !== '')
    .join(' ');
  return createHash('sha256').update(normalised).digest('hex');
}

export type RepoTemplate = LibraryVariant;

/** The library variant a template's Rego is, or null. */
export function libraryVariantOfRego(rego: string): RepoTemplate | null {
  return LIBRARY_REGO.get(regoFingerprint(rego)) ?? null;
}

/** For a constraint whose template is not at hand: the current library template of that kind. */
export function currentLibraryVariant(constraintKind: string): RepoTemplate | null {
  return CURRENT[constraintKind] ?? null;
}

/** OPA's `%v` of a term: strings quoted as Go's strconv.Quote, arrays as `[a, b]`. */
function regoTerm(value: unknown): string {
  if (typeof value === 'string') return goQuote(value);
  if (Array.isArray(value)) return `[${value.map(regoTerm).join(', ')}]`;
  return JSON.stringify(value);
}

export type RepoEvaluation =
  | { readonly ok: true; readonly violations: readonly string[]; readonly matchedRepos: readonly string[] }
  | { readonly ok: false; readonly error: string };

/**
 * The violations the template reports for one container. `repos` missing leaves the message
 * undefined in Rego, so no violation is produced (Gatekeeper then allows).
 */
export function evaluateRepoTemplate(
  variant: RepoTemplate,
  parameters: unknown,
  container: { readonly field: ContainerField; readonly name: string; readonly image: string },
): RepoEvaluation {
  if (!variant.fields.includes(container.field)) return { ok: true, violations: [], matchedRepos: [] };
  const repos = (parameters as { repos?: unknown } | undefined)?.repos;
  if (repos === undefined || repos === null) return { ok: true, violations: [], matchedRepos: [] };
  if (!Array.isArray(repos) || repos.some((r) => typeof r !== 'string'))
    return {
      ok: false,
      error: 'parameters.repos is not a list of strings (the template schema makes the API server refuse it)',
    };
  const list = repos as string[];
  const matchedRepos = list.filter((r) => container.image.startsWith(r));
  const allowed = variant.template === 'k8sallowedrepos';
  const violates = allowed ? matchedRepos.length === 0 : matchedRepos.length > 0;
  if (!violates) return { ok: true, violations: [], matchedRepos };
  const message = `${variant.label[container.field]} <${container.name}> has an invalid image repo <${container.image}>, ${allowed ? 'allowed' : 'disallowed'} repos are ${regoTerm(list)}`;
  return { ok: true, violations: [message], matchedRepos };
}
