// What the MCO should have generated for a pool — `99-<pool>-generated-registries`, rendered from
// the pool's template registries.conf and the mirror objects — and whether it did, and whether the
// pool's rendered config still carries it or a later MachineConfig replaced its files.
import { MirrorscopeError } from '../errors.js';
import {
  POLICY_JSON_PATH,
  REGISTRIES_CONF_PATH,
  renderRegistries,
  SEARCH_REGISTRIES_DROP_IN_PATH,
} from '../mco/render.js';
import { CRIO_POLICIES_DIR, SIGSTORE_REGISTRIES_D_PATH } from '../mco/sigstore-render.js';
import type { ClusterObjects, RenderResult } from '../mco/types.js';
import { CURRENT_MCO, mcoProfile, type McoProfile } from '../mco/versions.js';
import { contentDifference } from './file-equivalence.js';
import type { MachineConfigView } from './machine-config.js';
import type { MachineConfigs } from './machine-config-lookup.js';
import type { GeneratedState, PoolState } from './types.js';

/** Custom pools get the worker pool's generated config (they select worker MachineConfigs). */
export function generatorPool(pool: PoolState): string {
  return pool.builtIn ? pool.name : 'worker';
}

export function generatedConfigName(generator: string): string {
  return `99-${generator}-generated-registries`;
}

/** The MCO renders `templates/<role>/01-<role>-container-runtime/`, registries.conf included, into this. */
export function templateConfigName(generator: string): string {
  return `01-${generator}-container-runtime`;
}

/** The MCO rendering of the cluster's version, and a note when it is only an approximation. */
export function profileFor(clusterVersion: string | null): { profile: McoProfile; note: string | null } {
  const minor = clusterVersion === null ? null : /^4\.(\d+)(?:\.|$)/.exec(clusterVersion)?.[1];
  if (minor === undefined || minor === null)
    return {
      profile: CURRENT_MCO,
      note:
        clusterVersion === null
          ? null
          : `OpenShift ${clusterVersion}: compared with the current MCO's rendering`,
    };
  const n = Number(minor);
  if (n <= 12) return { profile: mcoProfile(`4.${n}`), note: null };
  if (n < 16)
    return {
      profile: mcoProfile('4.16'),
      note: `OpenShift ${clusterVersion}: the 4.13–4.15 MCO rendering is compared as 4.16 renders it (same registries semantics, other validation texts)`,
    };
  return { profile: mcoProfile(`4.${n}`), note: null };
}

export interface PoolIntent {
  readonly generator: string;
  readonly result: RenderResult;
  readonly warnings: readonly string[];
  /** The ClusterImagePolicy / ImagePolicy objects were read, so their files can be compared. */
  readonly policyFilesKnown: boolean;
}

/** undefined while template MachineConfigs are still to be fetched. */
export function renderIntent(
  objects: ClusterObjects,
  generator: string,
  configs: MachineConfigs,
  profile: McoProfile,
): PoolIntent | undefined {
  const mc = configs.get(templateConfigName(generator));
  if (mc === undefined) return undefined;
  const policyFilesKnown = objects.imagePolicies !== undefined;
  const template: MachineConfigView | null = mc?.files.has(REGISTRIES_CONF_PATH) ? mc : null;
  if (template === null)
    return { generator, result: renderRegistries(objects, { profile }), warnings: [], policyFilesKnown };
  const file = template.files.get(REGISTRIES_CONF_PATH)!;
  try {
    const result = renderRegistries(objects, {
      profile,
      template: { path: `MachineConfig ${template.name}: ${file.path}`, text: file.text },
    });
    return { generator, result, warnings: [], policyFilesKnown };
  } catch (err) {
    if (!(err instanceof MirrorscopeError)) throw err;
    return {
      generator,
      result: renderRegistries(objects, { profile }),
      warnings: [
        `the template registries.conf of ${template.name} cannot be read (${err.message}); rendered from the MCO's built-in template instead`,
      ],
      policyFilesKnown,
    };
  }
}

/**
 * The files the generated MachineConfig should hold (null: must not hold it). policy.json only when
 * the objects call for one (with only ImagePolicies the MCO copies the template's bytes). The
 * signature policy files only when the collector read the (Cluster)ImagePolicies: otherwise it
 * cannot tell what the MCO wrote there.
 */
function expectedFiles(intent: PoolIntent, generated: MachineConfigView | null): [string, string | null][] {
  const result = intent.result;
  const files: [string, string | null][] = [
    [REGISTRIES_CONF_PATH, result.registriesConfGenerated ? result.registriesConf : null],
    [SEARCH_REGISTRIES_DROP_IN_PATH, result.searchRegistriesDropIn],
  ];
  if (result.policyJsonText !== null) files.push([POLICY_JSON_PATH, result.policyJsonText]);
  if (!intent.policyFilesKnown) return files;
  files.push([SIGSTORE_REGISTRIES_D_PATH, result.sigstoreRegistriesYaml]);
  const expected = new Set<string>();
  for (const p of result.namespacedPolicies) {
    files.push([p.path, p.text]);
    expected.add(p.path);
  }
  // A namespace file the objects no longer call for must be gone too.
  for (const path of generated?.files.keys() ?? [])
    if (path.startsWith(`${CRIO_POLICIES_DIR}/`) && !expected.has(path)) files.push([path, null]);
  return files;
}

export interface GeneratedCheck {
  readonly state: GeneratedState;
  /** For `differs`/`pending`/`missing`: what differs, in words. */
  readonly difference: string | null;
}

export function checkGenerated(
  intent: PoolIntent,
  generated: MachineConfigView | null | undefined,
  withinGrace: boolean,
): GeneratedCheck {
  if (intent.result.errors.length > 0) return { state: 'render-failed', difference: null };
  if (generated === undefined) return { state: 'unknown', difference: null };
  const expected = expectedFiles(intent, generated);
  const lagging: GeneratedState = withinGrace ? 'pending' : 'differs';
  if (generated === null) {
    const wanted = expected.filter(([, text]) => text !== null).map(([path]) => path);
    if (wanted.length === 0) return { state: 'matches', difference: null };
    return {
      state: withinGrace ? 'pending' : 'missing',
      difference: `it does not exist, but the objects call for ${wanted.join(', ')}`,
    };
  }
  for (const [path, text] of expected) {
    const difference = contentDifference(path, text, generated.files.get(path)?.text ?? null);
    if (difference !== null) return { state: lagging, difference: `${path}: ${difference}` };
  }
  return { state: 'matches', difference: null };
}

export interface OverrideCheck {
  /** Generated paths whose bytes the target does not carry. */
  readonly paths: readonly string[];
  /** The MachineConfigs whose version of those paths the target carries (merge order). */
  readonly by: readonly string[];
}

/**
 * Which generated files the pool's target replaced, and by which MachineConfig: the render controller
 * merges a pool's configs by name (worker-role ones before a custom pool's own) and the last file
 * with a path wins. undefined while source MachineConfigs are still to be fetched.
 */
export function checkOverride(
  pool: PoolState,
  generated: MachineConfigView,
  target: MachineConfigView,
  configs: MachineConfigs,
): OverrideCheck | undefined {
  const paths = [...generated.files.values()]
    .filter((f) => target.files.get(f.path)?.sha256 !== f.sha256)
    .map((f) => f.path)
    .sort();
  if (paths.length === 0) return { paths, by: [] };
  const sources: MachineConfigView[] = [generated];
  let pending = false;
  for (const name of pool.targetSources) {
    if (name === generated.name) continue;
    const mc = configs.get(name);
    if (mc === undefined) pending = true;
    else if (mc !== null) sources.push(mc);
  }
  if (pending) return undefined;
  const ownLast = (mc: MachineConfigView): number => (!pool.builtIn && mc.role === pool.name ? 1 : 0);
  sources.sort((a, b) => ownLast(a) - ownLast(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // Only a config merged after the generated one can replace its files.
  const later = sources.slice(sources.indexOf(generated) + 1);
  const by = new Set<string>();
  for (const path of paths) {
    const carried = target.files.get(path)?.sha256;
    const winner = later.filter((mc) => mc.files.get(path)?.sha256 === carried).pop();
    if (winner !== undefined) by.add(winner.name);
  }
  return { paths, by: [...by] };
}
