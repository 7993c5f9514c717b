// The MCO's `getValidBlockedAndAllowedRegistries`: a blocked scope that contains the release payload
// repository is dropped (non-fatal, logged) unless the payload has an unblocked digest mirror; then
// it stays blocked in registries.conf, is kept out of policy.json's reject list when it equals the
// payload repository, and the payload repository is added to the allow list.
import { assembleRegistriesConfig } from '../registries/assemble.js';
import { pullSourcesFromReference } from '../registries/pull-sources.js';
import { nameOf, parseCanonicalNamed, type ImageReference } from '../reference/reference.js';
import { RegistryIndex } from '../registries/registry-index.js';
import { editRegistriesConfig } from './edit-registries.js';
import { goQuote, goQuoteList } from './go-format.js';
import { emptyRegistriesConf } from './registries-model.js';
import { scopeIsNestedInsideScope } from './scopes.js';
import { encodeRegistriesConf } from './toml-encode.js';
import type { MirrorSetEntry, RegistrySources } from './types.js';

export class ReleaseImageError extends Error {
  override readonly name = 'ReleaseImageError';
  constructor() {
    super('error parsing reference of release image');
  }
}

export interface BlockedAndAllowed {
  readonly registriesBlocked: string[] | null;
  readonly policyBlocked: string[] | null;
  readonly allowed: string[] | null;
  readonly warnings: string[];
}

/** `getPayloadRepo`: `reference.ParseNamed` (canonical form required). */
export function parsePayload(releaseImage: string): ImageReference {
  try {
    return parseCanonicalNamed(releaseImage);
  } catch {
    throw new ReleaseImageError();
  }
}

function payloadHasUnblockedMirror(
  payload: ImageReference,
  sources: RegistrySources,
  digestEntries: readonly MirrorSetEntry[],
): boolean {
  const blocked = sources.blockedRegistries ?? [];
  const conf = emptyRegistriesConf();
  editRegistriesConfig(conf, {
    insecureScopes: sources.insecureRegistries ?? [],
    blockedScopes: blocked,
    digestEntries,
    tagEntries: [],
    legacy: false,
  });
  const text = encodeRegistriesConf(conf, { alsHelperField: true });
  const config = assembleRegistriesConfig({
    main: { path: '(MCO temporary registries.conf)', text },
    dropIns: [],
  });
  const registry = new RegistryIndex(config.registries).find(nameOf(payload));
  const physical =
    registry === undefined
      ? [payload]
      : pullSourcesFromReference(registry, payload).sources.map((s) => s.reference);
  return physical.some((ref) => !blocked.some((scope) => scopeIsNestedInsideScope(nameOf(ref), scope)));
}

/**
 * `releaseImage` null: no ClusterVersion was given; every blocked scope is kept (the real controller
 * always has one). `digestEntries`: IDMS entries then ICSP entries.
 */
export function validBlockedAndAllowed(
  releaseImage: string | null,
  sources: RegistrySources,
  digestEntries: readonly MirrorSetEntry[],
): BlockedAndAllowed {
  const userAllowed = sources.allowedRegistries ?? [];
  if (releaseImage === null) {
    const blocked =
      sources.blockedRegistries === undefined || sources.blockedRegistries.length === 0
        ? null
        : [...sources.blockedRegistries];
    return {
      registriesBlocked: blocked,
      policyBlocked: blocked,
      allowed: userAllowed.length === 0 ? null : [...userAllowed],
      warnings: [],
    };
  }
  const payload = parsePayload(releaseImage);
  const payloadRepo = nameOf(payload);
  let registriesBlocked: string[] | null = null;
  let policyBlocked: string[] | null = null;
  let allowed: string[] | null = null;
  const warnings: string[] = [];
  const refused: string[] = [];
  for (const reg of sources.blockedRegistries ?? []) {
    if (!scopeIsNestedInsideScope(payloadRepo, reg)) {
      (registriesBlocked ??= []).push(reg);
      (policyBlocked ??= []).push(reg);
      continue;
    }
    let hasMirror: boolean;
    try {
      hasMirror = payloadHasUnblockedMirror(payload, sources, digestEntries);
    } catch (err) {
      // The controller logs the error and goes on with no blocked or allowed registries at all.
      const message = err instanceof Error ? err.message : String(err);
      return {
        registriesBlocked: null,
        policyBlocked: null,
        allowed: null,
        warnings: [`${message}, skipping....`],
      };
    }
    if (!hasMirror) {
      refused.push(reg);
      continue;
    }
    warnings.push(
      `${goQuote(reg)} matches the payload repository, but will add it to the list of blocked registries as there are mirror rules configured for it`,
    );
    (registriesBlocked ??= []).push(reg);
    if (payloadRepo !== reg) (policyBlocked ??= []).push(reg);
    (allowed ??= []).push(payloadRepo);
  }
  if (refused.length > 0) {
    warnings.push(
      `error adding ${goQuoteList(refused)} to blocked registries, cannot block the repository being used by the payload, skipping....`,
    );
  }
  if (userAllowed.length > 0) allowed = [...(allowed ?? []), ...userAllowed];
  return { registriesBlocked, policyBlocked, allowed, warnings };
}
