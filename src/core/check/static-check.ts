// `mirrorscope check`: everything that can be said about a node's pull configuration without the
// network. Pure: the shell hands over what it loaded (or the error it got) and which key files exist.
import type { CrioImageConfig } from '../crio/crio-config.js';
import type { CrioVersion } from '../crio/versions.js';
import { finding } from './finding.js';
import { insecureRegistriesFindings, unsupportedPolicyFindings } from './runtime-findings.js';
import type { MirrorscopeError } from '../errors.js';
import type { FindingId } from '../findings/catalogue.js';
import type { Finding } from '../findings/types.js';
import { describeRequirementList, requirementsFor } from '../policy/select-scope.js';
import type { Policy, Requirement } from '../policy/types.js';
import { nameOf, parseNormalizedNamed, type ImageReference } from '../reference/reference.js';
import { RegistryIndex } from '../registries/registry-index.js';
import type { ConfigNoteCode, RegistriesConfig, Registry } from '../registries/types.js';
import {
  BUILTIN_DEFAULT_LOOKASIDE,
  redactUrl,
  DEFAULT_DOCKER_SCOPE,
  isLocalLookaside,
  lookasideFor,
  type RegistriesDConfig,
} from '../signatures/registries-d.js';

export type Loaded<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: MirrorscopeError };

export interface LoadedPolicy {
  readonly path: string;
  /** Why CRI-O uses this file (the main policy), or "namespace" for a per-namespace policy. */
  readonly role: 'main' | 'namespace';
  readonly policy: Loaded<Policy>;
}

export interface StaticCheckInput {
  readonly registries: Loaded<RegistriesConfig>;
  /** null when simulating podman (no crio.conf). */
  readonly crio: Loaded<CrioImageConfig> | null;
  readonly registriesD: Loaded<RegistriesDConfig>;
  readonly policies: readonly LoadedPolicy[];
  /** Every keyPath named by a policy → whether it exists on the node. */
  readonly keyFiles: ReadonlyMap<string, boolean>;
  /** The node's CRI-O (null or absent: unknown; only certain version findings are then made). */
  readonly crioVersion?: CrioVersion | null;
}

const NOTE_FINDINGS: Readonly<Partial<Record<ConfigNoteCode, FindingId>>> = {
  'unknown-key': 'config-unknown-key',
  'duplicate-prefix-ignored': 'config-duplicate-prefix',
  'toml-1.1-syntax': 'config-toml-1.1-syntax',
  'v1-format': 'config-v1-format',
  'drop-in-replaces-registry': 'config-drop-in-replaces-registry',
};

function errorFinding(id: FindingId, error: MirrorscopeError, fallbackFile: string): Finding {
  const upstream =
    error.upstream !== undefined && !error.message.includes(error.upstream)
      ? ` (containers/image: ${error.upstream})`
      : '';
  return finding(
    id,
    `${error.message}${upstream}`,
    error.location?.file ?? fallbackFile,
    error.location?.line ?? null,
    null,
  );
}

/** Every keyPath a policy names, for the shell to check on disk. */
export function policyKeyPaths(policy: Policy): string[] {
  const paths: string[] = [];
  for (const list of allLists(policy)) {
    for (const req of list.requirements) {
      const keys = req.type === 'signedBy' || req.type === 'sigstoreSigned' ? req.keys : null;
      if (keys?.kind === 'keyPath') paths.push(keys.path);
      if (keys?.kind === 'keyPaths') for (const p of keys.paths) paths.push(p);
    }
  }
  return paths;
}

function allLists(policy: Policy): Policy['default'][] {
  const lists = [policy.default];
  // Loops, not push(...spread): a policy with 130,000 scopes would overflow the argument list.
  for (const scopes of policy.transports.values()) for (const list of scopes.values()) lists.push(list);
  return lists;
}

function keyFindings(policy: Policy, keyFiles: ReadonlyMap<string, boolean>): Finding[] {
  const out: Finding[] = [];
  for (const list of allLists(policy)) {
    for (const req of list.requirements) {
      const keys = req.type === 'signedBy' || req.type === 'sigstoreSigned' ? req.keys : null;
      const paths = keys?.kind === 'keyPath' ? [keys.path] : keys?.kind === 'keyPaths' ? keys.paths : [];
      for (const p of paths) {
        if (keyFiles.get(p) !== false) continue;
        out.push(
          finding(
            'signature-key-missing',
            `${describeRequirementList(list)} requires signatures verified with ${p}, which does not exist on this node: every signed image in this scope is refused ("open ${p}: no such file or directory").`,
            policy.file,
            keys!.line,
            list.isDefault ? 'default' : list.scope,
            `Install the public key at ${p} on every node (e.g. with a MachineConfig), or embed it as keyData.`,
          ),
        );
      }
    }
  }
  return out;
}

const isGpgRequirement = (r: Requirement): boolean => r.type === 'signedBy';

/** A docker reference standing for a scope string or registry prefix; null for wildcards and the like. */
function sampleReference(scope: string): ImageReference | null {
  if (scope === '' || scope.startsWith('*.')) return null;
  try {
    const ref = parseNormalizedNamed(scope);
    // A host-only scope parses as docker.io/library/<host>; keep it a host.
    if (!scope.includes('/') && ref.domain === 'docker.io') return null;
    return { ...ref, tag: ref.tag ?? (ref.digest === undefined ? 'latest' : undefined) };
  } catch {
    return null;
  }
}

// A host-only scope (`registry.example.com:5000`) stands for "any repository on it": a repository
// name nobody uses, so that only host-level and wider scopes match it.
const SAMPLE_PATH = 'mirrorscope-any-repository';

function hostReference(host: string): ImageReference {
  return { domain: host, path: SAMPLE_PATH, tag: 'latest', digest: undefined };
}

interface Candidate {
  readonly logical: ImageReference;
  /** Shown in messages: the scope or prefix this candidate stands for. */
  readonly label: string;
}

function physicalNames(
  logical: ImageReference,
  index: RegistryIndex<Registry> | null,
): { ref: ImageReference; mirror: boolean }[] {
  const name = nameOf(logical);
  const registry = index?.find(name);
  if (registry === undefined || registry.prefix.startsWith('*.')) return [{ ref: logical, mirror: false }];
  const rest = name.slice(registry.prefix.length);
  const rewrite = (location: string): ImageReference | null => {
    const target = `${location}${rest}`;
    try {
      return { ...parseNormalizedNamed(target), tag: logical.tag, digest: logical.digest };
    } catch {
      return null;
    }
  };
  const out: { ref: ImageReference; mirror: boolean }[] = [];
  for (const m of registry.mirrors) {
    const ref = rewrite(m.location);
    if (ref !== null) out.push({ ref, mirror: true });
  }
  const primary = rewrite(registry.location === '' ? registry.prefix : registry.location);
  if (primary !== null) out.push({ ref: primary, mirror: false });
  return out;
}

function referenceLabel(ref: ImageReference): string {
  return ref.path === SAMPLE_PATH
    ? ref.domain
    : ref.path.endsWith(`/${SAMPLE_PATH}`)
      ? nameOf(ref).slice(0, -SAMPLE_PATH.length - 1)
      : nameOf(ref);
}

function localStorageFindings(
  policy: Policy,
  registries: RegistriesConfig | null,
  registriesD: RegistriesDConfig,
): Finding[] {
  const candidates: Candidate[] = [];
  const docker = policy.transports.get('docker');
  for (const scope of docker?.keys() ?? []) {
    const ref = sampleReference(scope);
    if (ref !== null) candidates.push({ logical: ref, label: scope });
    else if (scope !== '' && !scope.startsWith('*.') && !scope.includes('/'))
      candidates.push({ logical: hostReference(scope), label: scope });
  }
  for (const reg of registries?.registries ?? []) {
    if (reg.prefix.startsWith('*.')) continue;
    const ref = reg.prefix.includes('/') ? sampleReference(reg.prefix) : hostReference(reg.prefix);
    if (ref !== null) candidates.push({ logical: ref, label: reg.prefix });
  }
  for (const host of registries?.unqualifiedSearchRegistries ?? [])
    candidates.push({ logical: hostReference(host), label: host });

  const index = registries === null ? null : new RegistryIndex(registries.registries);
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const candidate of candidates) {
    const list = requirementsFor(policy, withLatest(candidate.logical));
    if (!list.requirements.some(isGpgRequirement)) continue;
    const physicals = physicalNames(candidate.logical, index);
    const primary = physicals.find((p) => !p.mirror)?.ref;
    const primaryLookaside =
      primary === undefined ? null : lookasideFor(registriesD, withLatest(primary)).topLevel;
    for (const { ref: physical, mirror } of physicals) {
      const read = lookasideFor(registriesD, withLatest(physical));
      if (!isLocalLookaside(read.topLevel)) continue;
      const write = lookasideFor(registriesD, withLatest(physical), true);
      const key = `${referenceLabel(physical)}\0${read.topLevel}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const stagingOnly = write.key === 'lookaside-staging' || write.key === 'sigstore-staging';
      const where = read.scope === null ? 'the built-in default' : `registries.d scope "${read.scope}"`;
      const what = mirror
        ? `mirror ${referenceLabel(physical)} of ${candidate.label}`
        : referenceLabel(physical);
      const staging = stagingOnly
        ? ` Only ${write.key} (${redactUrl(write.topLevel)}, scope "${write.scope}") is set: that is where \`skopeo copy --sign-by\` writes, readers never use it.`
        : '';
      // The repository path is the same below the mirror as below the source: the mirror scope can read
      // the source's signature store directly.
      const sharedStore =
        mirror &&
        primary !== undefined &&
        primary.path === physical.path &&
        primaryLookaside !== null &&
        /^https?:/i.test(primaryLookaside)
          ? primaryLookaside
          : null;
      const publishedAt =
        sharedStore ??
        (stagingOnly && /^https?:/i.test(write.topLevel)
          ? write.topLevel
          : 'https://<signature server>/<path>');
      const scopeKey = read.scope !== null && read.scope !== 'default-docker' ? read.scope : physical.domain;
      out.push(
        finding(
          'signature-storage-local-only',
          `${describeRequirementList(list)} in ${policy.file} requires GPG signatures for ${candidate.label}, but signatures of ${what} are read from ${redactUrl(read.topLevel)} (${where}), a directory on this node: every node that did not sign the image itself fails with "A signature was required, but no signature exists".${staging}`,
          (stagingOnly ? write.origin?.file : read.origin?.file) ?? policy.file,
          (stagingOnly ? write.origin?.line : read.origin?.line) ?? list.line,
          scopeKey,
          `In /etc/containers/registries.d/${scopeKey.replace(/[^A-Za-z0-9.-]+/g, '_')}.yaml set:  docker: {"${scopeKey}": {lookaside: "${redactUrl(publishedAt)}"}}  — the http(s) URL where the signatures for ${scopeKey} are published (keep lookaside-staging for the signer).`,
        ),
      );
    }
  }
  for (const f of catchAllFindings(policy, registriesD)) out.push(f);
  return out;
}

/**
 * The policy's catch-all lists (`default`, `transports.docker[""]`) cover every registry nobody
 * named; those are read from `default-docker` or, without it, from the built-in local store.
 */
function catchAllFindings(policy: Policy, registriesD: RegistriesDConfig): Finding[] {
  const lists = [policy.transports.get('docker')?.get(''), policy.default].filter((l) => l !== undefined);
  const list = lists[0]!; // `""` shadows `default` for the docker transport
  if (!list.requirements.some(isGpgRequirement)) return [];
  const section = registriesD.defaultDocker;
  const value = section?.values.lookaside ?? section?.values.sigstore;
  if (value !== undefined && value.value !== '' && !isLocalLookaside(value.value)) return [];
  const topLevel = value?.value || BUILTIN_DEFAULT_LOOKASIDE;
  return [
    finding(
      'signature-storage-local-only',
      `${describeRequirementList(list)} in ${policy.file} requires GPG signatures for every registry without its own scope, but registries without a registries.d scope are read from ${redactUrl(topLevel)} (${value === undefined ? 'the built-in default' : 'default-docker'}), a directory on this node.`,
      value?.origin.file ?? policy.file,
      value?.origin.line ?? list.line,
      DEFAULT_DOCKER_SCOPE,
      'In a registries.d file set:  default-docker: {lookaside: "https://<signature server>/<path>"}  — or a docker: scope with the lookaside URL for each registry whose images are signed.',
    ),
  ];
}

function withLatest(ref: ImageReference): ImageReference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: 'latest' } : ref;
}

function rejectFindings(policy: Policy, registries: RegistriesConfig | null): Finding[] {
  const out: Finding[] = [];
  for (const reg of registries?.registries ?? []) {
    if (reg.prefix.startsWith('*.') || reg.blocked) continue;
    const ref = reg.prefix.includes('/') ? sampleReference(reg.prefix) : hostReference(reg.prefix);
    if (ref === null) continue;
    const list = requirementsFor(policy, withLatest(ref));
    const reject = list.requirements.find((r) => r.type === 'reject');
    if (reject === undefined) continue;
    out.push(
      finding(
        'policy-rejects',
        `${describeRequirementList(list)} in ${policy.file} rejects every image of [[registry]] ${reg.prefix} (${reg.origin.file}:${reg.origin.line ?? '?'}): "Running image docker://${reg.prefix}/… is rejected by policy."`,
        policy.file,
        reject.line,
        list.isDefault ? 'default' : list.scope,
        list.scope === reg.prefix && !list.isDefault
          ? `Replace the reject requirement of transports.docker["${reg.prefix}"] in ${policy.file} with the requirement these images should meet (e.g. signedBy), or block the registry in registries.conf if rejecting is intended.`
          : `Add transports.docker["${reg.prefix}"] to ${policy.file} with the requirement these images should meet (e.g. signedBy), or block the registry in registries.conf if rejecting is intended.`,
      ),
    );
  }
  return out;
}

export function runStaticCheck(input: StaticCheckInput): Finding[] {
  const findings: Finding[] = [];
  const registries = input.registries.ok ? input.registries.value : null;
  if (!input.registries.ok)
    findings.push(errorFinding('config-invalid', input.registries.error, '/etc/containers/registries.conf'));
  for (const note of registries?.notes ?? []) {
    const id = NOTE_FINDINGS[note.code];
    if (id !== undefined) findings.push(finding(id, note.message, note.origin.file, note.origin.line, null));
  }
  if (input.crio !== null && !input.crio.ok)
    findings.push(errorFinding('config-invalid', input.crio.error, '/etc/crio/crio.conf'));
  if (input.crio?.ok === true)
    findings.push(...insecureRegistriesFindings(input.crio.value, input.crioVersion ?? null));
  if (input.crio !== null && registries?.shortNameModeOrigin) {
    const o = registries.shortNameModeOrigin;
    findings.push(
      finding(
        'short-name-mode-ignored',
        `${o.file} sets short-name-mode = "${registries.shortNameMode}", which CRI-O ignores.`,
        o.file,
        o.line,
        null,
      ),
    );
  }
  const registriesD = input.registriesD.ok ? input.registriesD.value : null;
  if (!input.registriesD.ok)
    findings.push(errorFinding('config-invalid', input.registriesD.error, '/etc/containers/registries.d'));
  for (const entry of input.policies) {
    if (!entry.policy.ok) {
      findings.push(errorFinding('policy-invalid', entry.policy.error, entry.path));
      continue;
    }
    const policy = entry.policy.value;
    const found = [
      input.crio !== null ? unsupportedPolicyFindings(policy, entry.role, input.crioVersion ?? null) : [],
      keyFindings(policy, input.keyFiles),
      registriesD !== null ? localStorageFindings(policy, registries, registriesD) : [],
      entry.role === 'main' ? rejectFindings(policy, registries) : [],
    ];
    for (const list of found) for (const f of list) findings.push(f);
  }
  return findings;
}
