// The Go `sysregistriesv2.V2RegistriesConf` value the MCO decodes its template into, edits and
// encodes again. `null` stands for a Go nil slice or map (not written), `[]` for an empty one.
import type { ObjectRef } from './types.js';

/** Bookkeeping for `mirrorOrigins`; never encoded. */
export interface MirrorProvenance {
  readonly objects: readonly ObjectRef[];
  readonly inheritedFrom?: string;
  readonly fromTemplate?: boolean;
}

export interface EndpointValue {
  location: string;
  insecure: boolean;
  pullFromMirror: string;
}

export interface MirrorValue extends EndpointValue {
  provenance: MirrorProvenance;
}

export interface RegistryValue extends EndpointValue {
  prefix: string;
  mirrors: MirrorValue[];
  blocked: boolean;
  mirrorByDigestOnly: boolean;
}

export interface RegistriesConfValue {
  registries: RegistryValue[] | null;
  unqualifiedSearchRegistries: string[] | null;
  credentialHelpers: string[] | null;
  shortNameMode: string;
  additionalLayerStoreAuthHelper: string;
  aliases: Map<string, string> | null;
}

export function emptyRegistriesConf(): RegistriesConfValue {
  return {
    registries: null,
    unqualifiedSearchRegistries: null,
    credentialHelpers: null,
    shortNameMode: '',
    additionalLayerStoreAuthHelper: '',
    aliases: null,
  };
}

/** `registryScope`: the prefix when set, else the location. */
export function registryScope(reg: RegistryValue): string {
  return reg.prefix !== '' ? reg.prefix : reg.location;
}
