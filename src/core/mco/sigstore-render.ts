// What the MCO writes for ClusterImagePolicy / ImagePolicy (pkg/controller/container-runtime-config,
// MCO main 7ff337a4ff; 4.16 introduced the cluster policies, 4.17 their mirrors in registries.d
// (861d9aff1, OCPBUGS-36344), 4.18 the per-namespace policies (963c6f46d)):
// - the scope → requirements maps of `getValidScopePolicies`, with the ImagePolicy status of scopes
//   nested in a cluster scope (they are left out);
// - `/etc/containers/registries.d/sigstore-registries.yaml` (`generateSigstoreRegistriesdConfig`);
// - `/etc/crio/policies/<namespace>.json` (`updateNamespacedPolicyJSONs`).
import {
  nameOf,
  parseReference,
  InvalidReferenceError,
  type ImageReference,
} from '../reference/reference.js';
import { assembleRegistriesConfig } from '../registries/assemble.js';
import { pullSourcesFromReference, RewriteError } from '../registries/pull-sources.js';
import { RegistryIndex } from '../registries/registry-index.js';
import type { Registry } from '../registries/types.js';
import { goQuoteList } from './go-format.js';
import type { ImagePolicyObject } from './image-policies.js';
import { scopeIsNestedInsideScope } from './scopes.js';
import type { PolicyDocument, PolicyRequirement } from './types.js';

export const SIGSTORE_REGISTRIES_D_PATH = '/etc/containers/registries.d/sigstore-registries.yaml';
export const CRIO_POLICIES_DIR = '/etc/crio/policies';

export type ScopeRequirements = Map<string, PolicyRequirement[]>;

/** The status condition the MCO writes on an ImagePolicy whose scopes a ClusterImagePolicy covers. */
export interface ImagePolicyStatus {
  readonly namespace: string;
  readonly name: string;
  readonly type: 'Pending';
  readonly status: 'False';
  readonly reason: 'ConflictScopes';
  readonly message: string;
  /** The scopes left out, in the object's order. */
  readonly scopes: readonly string[];
}

export interface ScopePolicies {
  readonly cluster: ScopeRequirements;
  /** scope → namespace → requirements. */
  readonly namespaced: Map<string, ScopeRequirements>;
  readonly statuses: readonly ImagePolicyStatus[];
}

function byName(a: ImagePolicyObject, b: ImagePolicyObject): number {
  const ka = `${a.namespace ?? ''}/${a.ref.name}`;
  const kb = `${b.namespace ?? ''}/${b.ref.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function append<K>(map: Map<K, PolicyRequirement[]>, key: K, req: PolicyRequirement): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [req]);
  else list.push(req);
}

/**
 * `getValidScopePolicies`. The MCO takes the objects in its informer cache's order (unspecified);
 * requirements of one scope are all required whatever their order, so this takes them by name.
 */
export function scopePolicies(objects: readonly ImagePolicyObject[], withNamespaced: boolean): ScopePolicies {
  const cluster: ScopeRequirements = new Map();
  for (const cip of objects.filter((o) => o.kind === 'ClusterImagePolicy').sort(byName))
    for (const scope of cip.scopes) append(cluster, scope.value, cip.requirement);
  const namespaced = new Map<string, ScopeRequirements>();
  const statuses: ImagePolicyStatus[] = [];
  if (!withNamespaced) return { cluster, namespaced, statuses };
  for (const ip of objects.filter((o) => o.kind === 'ImagePolicy').sort(byName)) {
    const namespace = ip.namespace!;
    const conflicts: string[] = [];
    for (const { value: scope } of ip.scopes) {
      if ([...cluster.keys()].some((c) => scopeIsNestedInsideScope(scope, c))) {
        conflicts.push(scope);
        continue;
      }
      let perNamespace = namespaced.get(scope);
      if (perNamespace === undefined) namespaced.set(scope, (perNamespace = new Map()));
      append(perNamespace, namespace, ip.requirement);
    }
    if (conflicts.length > 0)
      statuses.push({
        namespace,
        name: ip.ref.name,
        type: 'Pending',
        status: 'False',
        reason: 'ConflictScopes',
        message: `has conflicting scope(s) ${goQuoteList(conflicts)} that equal to or nest inside existing clusterimagepolicy, only policy from clusterimagepolicy scope(s) will be applied`,
        scopes: conflicts,
      });
  }
  return { cluster, namespaced, statuses };
}

export class ScopePolicyError extends Error {
  override readonly name = 'ScopePolicyError';
}

/** `validateImagePolicyWithAllowedBlockedRegistries`; Go visits the scopes in map order, we sorted. */
export function validateAgainstAllowedBlocked(
  scopes: Iterable<string>,
  what: 'clusterimagePolicy' | 'imagePolicy',
  allowed: readonly string[],
  blocked: readonly string[],
): void {
  if (allowed.length === 0 && blocked.length === 0) return;
  const sorted = [...scopes].sort();
  for (const scope of sorted)
    if (allowed.length > 0 && !allowed.some((reg) => scopeIsNestedInsideScope(scope, reg)))
      throw new ScopePolicyError(
        `${what} configured for the scope ${scope} is not nested inside allowedRegistries`,
      );
  for (const scope of sorted)
    if (blocked.some((reg) => scopeIsNestedInsideScope(scope, reg)))
      throw new ScopePolicyError(
        `${what} configured for the scope ${scope} is nested inside blockedRegistries`,
      );
}

/** `updateNamespacedPolicyJSONs`: the cluster policy plus each namespace's scopes, docker and atomic. */
export function namespacedPolicies(
  clusterPolicy: PolicyDocument,
  namespaced: ReadonlyMap<string, ScopeRequirements>,
): Map<string, PolicyDocument> {
  const perNamespace = new Map<string, Map<string, PolicyRequirement[]>>();
  for (const [scope, byNamespace] of namespaced)
    for (const [namespace, reqs] of byNamespace) {
      let scopes = perNamespace.get(namespace);
      if (scopes === undefined) perNamespace.set(namespace, (scopes = new Map()));
      scopes.set(scope, [...(scopes.get(scope) ?? []), ...reqs]);
    }
  const out = new Map<string, PolicyDocument>();
  for (const namespace of [...perNamespace.keys()].sort()) {
    const scopes = perNamespace.get(namespace)!;
    const docker: Record<string, readonly PolicyRequirement[]> = { ...clusterPolicy.transports.docker };
    const atomic: Record<string, readonly PolicyRequirement[]> = { ...clusterPolicy.transports.atomic };
    for (const [scope, reqs] of scopes) {
      docker[scope] = [...(docker[scope] ?? []), ...reqs];
      // The atomic transport cannot express scopes with three or more `/`.
      if (scope.split('/').length - 1 < 3) atomic[scope] = [...(atomic[scope] ?? []), ...reqs];
    }
    out.set(namespace, {
      default: clusterPolicy.default,
      transports: { ...clusterPolicy.transports, docker, atomic },
    });
  }
  return out;
}

const DUMMY_DIGEST = `sha256:${'a'.repeat(64)}`;

/**
 * `addScopeMirrorsSigstoreRegistriesdConfig`: every endpoint (mirrors, and the primary location
 * unless it is a wildcard entry's) a pull of `scope` by tag or by digest can use.
 */
function scopeEndpoints(scope: string, registry: Registry): string[] {
  let name = scope.startsWith('*.') ? `matched${scope.slice(1)}` : scope;
  const dummyPath = !name.includes('/');
  if (dummyPath) name += '/a';
  let repo: ImageReference;
  try {
    const parsed = parseReference(name);
    repo = { domain: parsed.domain, path: parsed.path, tag: undefined, digest: undefined };
  } catch (err) {
    if (err instanceof InvalidReferenceError)
      throw new ScopePolicyError(`error parsing scope ${name}: ${err.message}`);
    throw err;
  }
  const out: string[] = [];
  for (const ref of [
    { ...repo, digest: DUMMY_DIGEST },
    { ...repo, tag: 'aaa' },
  ]) {
    let plan;
    try {
      plan = pullSourcesFromReference(registry, ref);
    } catch (err) {
      if (err instanceof RewriteError)
        throw new ScopePolicyError(`error getting sources for scope ${name}: ${err.upstream}`);
      throw err;
    }
    for (const s of plan.sources) {
      if (s.endpoint.location === '') continue;
      const endpoint = nameOf(s.reference);
      out.push(dummyPath && endpoint.endsWith('/a') ? endpoint.slice(0, -2) : endpoint);
    }
  }
  return out;
}

/**
 * `generateSigstoreRegistriesdConfig`: `use-sigstore-attachments: true` for every policy scope and,
 * from 4.17 and when the MCO rendered a registries.conf, for every mirror a pull of the scope (or of a
 * registry scope nested in it) can go to. Null when there is no policy scope.
 */
export function sigstoreRegistriesYaml(
  policyScopes: readonly string[],
  registriesConf: string | null,
  withMirrors: boolean,
): string | null {
  if (policyScopes.length === 0) return null;
  const scopes = new Set<string>();
  const registries =
    withMirrors && registriesConf !== null
      ? assembleRegistriesConfig({
          main: { path: '/etc/containers/registries.conf', text: registriesConf },
          dropIns: [],
        }).registries
      : null;
  const index = registries === null ? null : new RegistryIndex(registries);
  for (const policyScope of policyScopes) {
    scopes.add(policyScope);
    if (index === null || registries === null) continue;
    const parent = index.find(policyScope);
    if (parent !== undefined) for (const e of scopeEndpoints(policyScope, parent)) scopes.add(e);
    for (const reg of registries) {
      const scope = reg.prefix || reg.location;
      if (scope === policyScope || !scopeIsNestedInsideScope(scope, policyScope)) continue;
      const nested = index.find(scope);
      if (nested !== undefined) for (const e of scopeEndpoints(scope, nested)) scopes.add(e);
    }
  }
  const lines = ['docker:'];
  for (const scope of [...scopes].sort(yamlKeyOrder))
    lines.push(`  ${yamlKey(scope)}:`, '    use-sigstore-attachments: true');
  return `${lines.join('\n')}\n`;
}

/** gopkg.in/yaml.v2 `keyList.Less` for string keys (ghodss/yaml marshals through it). */
export function yamlKeyOrder(a: string, b: string): number {
  const ar = [...a];
  const br = [...b];
  const letter = (c: string) => /\p{L}/u.test(c);
  const digit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = letter(ar[i]!);
    const bl = letter(br[i]!);
    if (al && bl) return ar[i]! < br[i]! ? -1 : 1;
    if (al || bl) return bl ? -1 : 1;
    let an = 0;
    let bn = 0;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && digit(ar[j]); j--)
        if (ar[j] !== '0') {
          an = 1;
          bn = 1;
          break;
        }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && digit(ar[ai]); ai++) an = an * 10 + Number(ar[ai]);
    for (; bi < br.length && digit(br[bi]); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an < bn ? -1 : 1;
    if (ai !== bi) return ai < bi ? -1 : 1;
    return ar[i]! < br[i]! ? -1 : 1;
  }
  return ar.length - br.length;
}

/** A mapping key as yaml.v2 emits it: plain when it can be, else single-quoted. */
function yamlKey(key: string): string {
  // A string that would read back as a number, bool or null is double-quoted by the encoder.
  if (/^(?:true|false|yes|no|on|off|y|n|null|~|[-+]?(?:\d[\d_]*)?\.?\d+(?:e[-+]?\d+)?)$/i.test(key))
    return `"${key}"`;
  const plain = /^[A-Za-z0-9_./-][^\s#'"]*$/.test(key) && !/:\s|:$/.test(key);
  return plain ? key : `'${key.replaceAll("'", "''")}'`;
}
