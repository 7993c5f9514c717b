// The scope strings policy.json and registries.d are keyed by, as containers/image's
// `docker/policyconfiguration` computes them for a docker reference.
import { familiarString, nameOf, type ImageReference } from './reference.js';

/**
 * `PolicyConfigurationIdentity`: `name:tag` or `name@digest`. A reference with both is refused
 * upstream; one with neither only occurs for an unknown digest and gives the bare name.
 */
export function policyConfigurationIdentity(ref: ImageReference): string {
  const name = nameOf(ref);
  if (ref.tag !== undefined && ref.digest !== undefined) {
    throw new Error(`Unexpected Docker reference ${familiarString(ref)} with both a name and a digest`);
  }
  if (ref.tag !== undefined) return `${name}:${ref.tag}`;
  if (ref.digest !== undefined) return `${name}@${ref.digest}`;
  return name;
}

/**
 * `PolicyConfigurationNamespaces`: the repository, each parent namespace up to `host[:port]`, then
 * `*.`-wildcards of the host without its port, dropping one leading label at a time.
 */
export function policyConfigurationNamespaces(ref: ImageReference): string[] {
  const scopes: string[] = [];
  let name = nameOf(ref);
  for (;;) {
    scopes.push(name);
    const slash = name.lastIndexOf('/');
    if (slash === -1) break;
    name = name.slice(0, slash);
  }
  const colon = name.indexOf(':');
  if (colon !== -1) name = name.slice(0, colon);
  for (;;) {
    const dot = name.indexOf('.');
    if (dot === -1) break;
    name = name.slice(dot + 1);
    scopes.push(`*.${name}`);
  }
  return scopes;
}

/** Identity first, then the namespaces: the order both policy.json and registries.d search. */
export function policyScopeSearchOrder(ref: ImageReference): string[] {
  const identity = policyConfigurationIdentity(ref);
  const namespaces = policyConfigurationNamespaces(ref);
  return identity === namespaces[0] ? namespaces : [identity, ...namespaces];
}
