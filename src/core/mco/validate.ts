// `validateRegistriesConfScopes` of the MCO (pkg/controller/container-runtime-config/helpers.go):
// the checks run before anything is rendered, with the exact error texts. The first failure
// aborts the render for every pool.
import { goQuote } from './go-format.js';
import { isValidRegistriesConfScope, MIRROR_PATTERN, SOURCE_PATTERN } from './scopes.js';
import type { MirrorSetEntry, MirrorSourcePolicy } from './types.js';

export class McoValidationError extends Error {
  override readonly name = 'McoValidationError';
}

function checkScopes(
  insecure: readonly string[],
  blocked: readonly string[],
  allowed: readonly string[],
): void {
  for (const [list, what] of [
    [insecure, 'insecure'],
    [blocked, 'blocked'],
    [allowed, 'allowed'],
  ] as const) {
    for (const scope of list) {
      if (!isValidRegistriesConfScope(scope))
        throw new McoValidationError(`invalid entry for ${what} registries ${goQuote(scope)}`);
    }
  }
}

/**
 * Current MCO (4.16+). `digestEntries` are the IDMS entries followed by the ICSP entries (the MCO
 * appends ICSPs converted to IDMS after the IDMS objects); one policy map spans all three kinds.
 */
export function validateScopesAndMirrors(
  insecure: readonly string[],
  blocked: readonly string[],
  allowed: readonly string[],
  digestEntries: readonly MirrorSetEntry[],
  tagEntries: readonly MirrorSetEntry[],
): void {
  checkScopes(insecure, blocked, allowed);
  const sourcePolicy = new Map<string, MirrorSourcePolicy>();
  for (const entry of [...digestEntries, ...tagEntries]) {
    const { source } = entry;
    if (!SOURCE_PATTERN.test(source))
      throw new McoValidationError(`invalid format for source ${goQuote(source)}`);
    const policy = entry.policy === '' ? 'AllowContactingSource' : entry.policy;
    const earlier = sourcePolicy.get(source);
    if (earlier === undefined) sourcePolicy.set(source, policy);
    else if (earlier !== policy) {
      throw new McoValidationError(
        `conflicting mirrorSourcePolicy is set for the same source ${goQuote(source)} in imagedigestmirrorsets, imagetagmirrorsets, or imagecontentsourcepolicies`,
      );
    }
    for (const mirror of entry.mirrors) {
      if (!MIRROR_PATTERN.test(mirror))
        throw new McoValidationError(`invalid format for mirror ${goQuote(mirror)}`);
      if (policy === 'NeverContactSource' && mirror === source) {
        throw new McoValidationError(
          `cannot set mirrorSourcePolicy: NeverContactSource if the source ${goQuote(source)} is one of the mirrors`,
        );
      }
    }
  }
}

/** MCO ≤ 4.12: ICSP only, and only empty strings and wildcards are refused. */
export function validateScopesAndMirrorsLegacy(
  insecure: readonly string[],
  blocked: readonly string[],
  allowed: readonly string[],
  icspEntries: readonly MirrorSetEntry[],
): void {
  checkScopes(insecure, blocked, allowed);
  for (const { source, mirrors } of icspEntries) {
    if (source === '') throw new McoValidationError('invalid empty entry for source configuration');
    if (source.includes('*'))
      throw new McoValidationError(
        `wildcard entries are not supported with mirror configuration ${goQuote(source)}`,
      );
    for (const mirror of mirrors) {
      if (mirror === '') throw new McoValidationError('invalid empty entry for mirror configuration');
      if (mirror.includes('*'))
        throw new McoValidationError(
          `wildcard entries are not supported with mirror configuration ${goQuote(mirror)}`,
        );
    }
  }
}
