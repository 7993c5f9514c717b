// `registriesConfigIgnition` of the MCO's container-runtime-config controller, for one pool: the
// files of `99-<pool>-generated-registries`, or the error the controller would log instead.
import { MirrorscopeError } from '../errors.js';
import { nameOf } from '../reference/reference.js';
import { assembleRegistriesConfig } from '../registries/assemble.js';
import type { ConfigFile } from '../registries/types.js';
import { editRegistriesConfig, EditError } from './edit-registries.js';
import { encodePolicyJson, MCO_TEMPLATE_POLICY, PolicyError, updatePolicyJson } from './policy-json.js';
import { ReleaseImageError, parsePayload, validBlockedAndAllowed } from './payload.js';
import { emptyRegistriesConf, registryScope, type RegistriesConfValue } from './registries-model.js';
import {
  CRIO_POLICIES_DIR,
  namespacedPolicies,
  scopePolicies,
  ScopePolicyError,
  sigstoreRegistriesYaml,
  validateAgainstAllowedBlocked,
  type ScopePolicies,
} from './sigstore-render.js';
import { decodeTemplate, MCO_TEMPLATE_REGISTRIES_CONF } from './template.js';
import { encodeRegistriesConf } from './toml-encode.js';
import type {
  ClusterObjects,
  MirrorOrigin,
  MirrorSetEntry,
  PolicyDocument,
  RenderError,
  RenderResult,
} from './types.js';
import { McoValidationError, validateScopesAndMirrors, validateScopesAndMirrorsLegacy } from './validate.js';
import { CURRENT_MCO, type McoProfile } from './versions.js';

export const REGISTRIES_CONF_PATH = '/etc/containers/registries.conf';
export const POLICY_JSON_PATH = '/etc/containers/policy.json';
export const SEARCH_REGISTRIES_DROP_IN_PATH =
  '/etc/containers/registries.conf.d/01-image-searchRegistries.conf';

export interface RenderOptions {
  /** The pool's template registries.conf; default the MCO's own template. */
  readonly template?: ConfigFile;
  readonly profile?: McoProfile;
  /** Overrides `ClusterVersion` `status.desired.image` from the objects. */
  readonly releaseImage?: string;
}

const SYNC_PREFIX = 'Error syncing image config openshift-config: could not Create/Update MachineConfig: ';

function failure(message: string, wrapper: string): RenderError {
  return { message, mcoLog: `${SYNC_PREFIX}${wrapper}${message}` };
}

function entriesOf(objects: ClusterObjects, kind: string): MirrorSetEntry[] {
  return objects.mirrorSets.filter((o) => o.kind === kind).flatMap((o) => o.entries);
}

function originsOf(conf: RegistriesConfValue): Record<string, MirrorOrigin[]> {
  const out: Record<string, MirrorOrigin[]> = {};
  for (const reg of conf.registries ?? []) {
    if (reg.mirrors.length === 0) continue;
    out[registryScope(reg)] = reg.mirrors.map((m) => ({
      mirror: m.location,
      pullFromMirror: m.pullFromMirror,
      objects: m.provenance.objects,
      ...(m.provenance.inheritedFrom !== undefined ? { inheritedFrom: m.provenance.inheritedFrom } : {}),
      ...(m.provenance.fromTemplate ? { fromTemplate: true } : {}),
    }));
  }
  return out;
}

/** The MCO does not check that CRI-O can load what it writes (e.g. a template mirror-by-digest-only
 * registry that now also has pull-from-mirror mirrors); a node then fails every pull. */
function nodeRefusal(text: string): string | null {
  try {
    assembleRegistriesConfig({ main: { path: REGISTRIES_CONF_PATH, text }, dropIns: [] });
    return null;
  } catch (err) {
    if (!(err instanceof MirrorscopeError)) throw err;
    return `containers/image (CRI-O, podman) refuses this rendered registries.conf, so every pull on the nodes would fail: ${err.upstream ?? err.message}`;
  }
}

function searchDropIn(list: readonly string[], profile: McoProfile): string {
  const conf = emptyRegistriesConf();
  conf.unqualifiedSearchRegistries = [...list];
  return encodeRegistriesConf(conf, { alsHelperField: profile.encodesAlsHelper });
}

function rejected(errors: RenderError[], warnings: string[]): RenderResult {
  return {
    registriesConf: null,
    registriesConfGenerated: false,
    policyJson: null,
    policyJsonText: null,
    searchRegistriesDropIn: null,
    sigstoreRegistriesYaml: null,
    namespacedPolicies: [],
    imagePolicyStatuses: [],
    errors,
    warnings,
    mirrorOrigins: {},
  };
}

/** The ClusterImagePolicy / ImagePolicy objects this MCO version reads, as scope maps. */
function imagePolicyScopes(objects: ClusterObjects, profile: McoProfile, warnings: string[]): ScopePolicies {
  const all = objects.imagePolicies ?? [];
  const read = all.filter((o) =>
    o.kind === 'ClusterImagePolicy' ? profile.clusterImagePolicies : profile.namespacedPolicies,
  );
  for (const o of all.filter((x) => !read.includes(x)))
    warnings.push(
      `${o.kind} "${o.namespace === null ? '' : `${o.namespace}/`}${o.ref.name}" is ignored: MCO ${profile.label} does not render ${o.kind} objects`,
    );
  return scopePolicies(read, profile.namespacedPolicies);
}

interface EditLists {
  readonly insecureScopes: readonly string[];
  readonly blockedScopes: readonly string[];
  readonly digestEntries: readonly MirrorSetEntry[];
  readonly tagEntries: readonly MirrorSetEntry[];
  readonly icspEntries: readonly MirrorSetEntry[];
}

/** `updateRegistriesConfig`: validation, then runtime-utils' edit of the decoded template. */
function editTemplate(
  conf: RegistriesConfValue,
  profile: McoProfile,
  lists: EditLists,
): { conf: RegistriesConfValue } | { error: RenderError } {
  try {
    if (profile.legacy) {
      validateScopesAndMirrorsLegacy(lists.insecureScopes, lists.blockedScopes, [], lists.icspEntries);
    } else {
      validateScopesAndMirrors(
        lists.insecureScopes,
        lists.blockedScopes,
        [],
        lists.digestEntries,
        lists.tagEntries,
      );
    }
    editRegistriesConfig(conf, { ...lists, legacy: profile.legacy });
    return { conf };
  } catch (err) {
    if (err instanceof McoValidationError || err instanceof EditError) {
      return { error: failure(err.message, 'could not update registries config with new changes: ') };
    }
    throw err;
  }
}

/** Renders; MCO rejections are returned in `errors`. Throws only for unreadable input (template). */
export function renderRegistries(objects: ClusterObjects, options: RenderOptions = {}): RenderResult {
  const profile = options.profile ?? CURRENT_MCO;
  const template = options.template ?? {
    path: '(MCO template registries.conf)',
    text: MCO_TEMPLATE_REGISTRIES_CONF,
  };
  const warnings: string[] = [];
  const sources = objects.image?.registrySources ?? {};

  const icspEntries = entriesOf(objects, 'ImageContentSourcePolicy');
  let idmsEntries = entriesOf(objects, 'ImageDigestMirrorSet');
  let itmsEntries = entriesOf(objects, 'ImageTagMirrorSet');
  if (profile.legacy) {
    for (const o of objects.mirrorSets.filter((m) => m.kind !== 'ImageContentSourcePolicy')) {
      warnings.push(
        `${o.kind} "${o.ref.name}" is ignored: MCO ${profile.label} reads only ImageContentSourcePolicy objects`,
      );
    }
    idmsEntries = [];
    itmsEntries = [];
  }
  const digestEntries = [...idmsEntries, ...icspEntries];

  const releaseImage = options.releaseImage ?? objects.releaseImage?.value ?? null;
  let split;
  try {
    split = validBlockedAndAllowed(releaseImage, sources, digestEntries);
  } catch (err) {
    if (err instanceof ReleaseImageError)
      return rejected(
        [{ message: err.message, mcoLog: `Error syncing image config openshift-config: ${err.message}` }],
        warnings,
      );
    throw err;
  }
  for (const w of split.warnings) warnings.push(w);

  // Registries: only when something asks for a change; otherwise the node keeps the template file.
  const insecure = sources.insecureRegistries;
  const wantsRegistries =
    insecure !== undefined ||
    split.registriesBlocked !== null ||
    digestEntries.length > 0 ||
    itmsEntries.length > 0;
  const decoded = decodeTemplate(template);
  for (const w of decoded.warnings) warnings.push(w);
  let registriesConf = template.text;
  let mirrorOrigins: Record<string, MirrorOrigin[]> = {};
  if (wantsRegistries) {
    const edited = editTemplate(decoded.value, profile, {
      insecureScopes: insecure ?? [],
      blockedScopes: split.registriesBlocked ?? [],
      digestEntries,
      tagEntries: itmsEntries,
      icspEntries,
    });
    if ('error' in edited) return rejected([edited.error], warnings);
    registriesConf = encodeRegistriesConf(edited.conf, { alsHelperField: profile.encodesAlsHelper });
    mirrorOrigins = originsOf(edited.conf);
    const refusal = nodeRefusal(registriesConf);
    if (refusal !== null) warnings.push(refusal);
  }

  const policies = imagePolicyScopes(objects, profile, warnings);
  let policyJson: PolicyDocument | null = null;
  let sigstoreYaml: string | null = null;
  const perNamespace: { namespace: string; path: string; text: string }[] = [];
  if (
    split.policyBlocked !== null ||
    split.allowed !== null ||
    policies.cluster.size > 0 ||
    policies.namespaced.size > 0
  ) {
    let payloadRepo: string | null = null;
    if (releaseImage !== null) payloadRepo = nameOf(parsePayload(releaseImage));
    try {
      policyJson = updatePolicyJson(MCO_TEMPLATE_POLICY, {
        blocked: split.policyBlocked,
        allowed: split.allowed,
        payloadRepo,
        legacy: profile.legacy,
        clusterScopes: policies.cluster,
      });
    } catch (err) {
      if (err instanceof PolicyError)
        return rejected([failure(err.message, 'could not update policy json with new changes: ')], warnings);
      throw err;
    }
    try {
      validateAgainstAllowedBlocked(
        policies.namespaced.keys(),
        'imagePolicy',
        split.allowed ?? [],
        split.policyBlocked ?? [],
      );
      // Each namespace file starts from the cluster policy.json (the template when that is unchanged).
      for (const [namespace, doc] of namespacedPolicies(
        policyJson ?? MCO_TEMPLATE_POLICY,
        policies.namespaced,
      ))
        perNamespace.push({
          namespace,
          path: `${CRIO_POLICIES_DIR}/${namespace}.json`,
          text: encodePolicyJson(doc, true),
        });
      sigstoreYaml = sigstoreRegistriesYaml(
        [...policies.cluster.keys(), ...policies.namespaced.keys()],
        wantsRegistries ? registriesConf : null,
        profile.sigstoreMirrors,
      );
    } catch (err) {
      if (!(err instanceof ScopePolicyError)) throw err;
      const wrapper = err.message.startsWith('imagePolicy configured')
        ? 'could not update namespace policy JSON from imagepolicy: '
        : '';
      return rejected([failure(err.message, wrapper)], warnings);
    }
  }
  const searchList = sources.containerRuntimeSearchRegistries;
  return {
    registriesConf,
    registriesConfGenerated: wantsRegistries,
    policyJson,
    policyJsonText: policyJson === null ? null : encodePolicyJson(policyJson, profile.indentPolicyJson),
    searchRegistriesDropIn: searchList === undefined ? null : searchDropIn(searchList, profile),
    sigstoreRegistriesYaml: sigstoreYaml,
    namespacedPolicies: perNamespace,
    imagePolicyStatuses: policies.statuses,
    errors: [],
    warnings,
    mirrorOrigins,
  };
}
