// Decodes the pool's template registries.conf as the MCO does (`toml.Decode` into
// V2RegistriesConf): v2 keys only — a v1 `[registries.*]` table is silently dropped — and a value of
// the wrong type is an error.
import { parse as parseToml, TomlError } from 'smol-toml';
import { configError } from '../errors.js';
import { decodeRegistriesFile, DecodeError, type RawEndpoint } from '../registries/decode.js';
import type { ConfigFile } from '../registries/types.js';
import { scanTomlPositions } from '../toml/positions.js';
import type { EndpointValue, RegistriesConfValue } from './registries-model.js';

/** `templates/*\/01-*-container-runtime/_base/files/container-registries.yaml`. */
export const MCO_TEMPLATE_REGISTRIES_CONF =
  "unqualified-search-registries = ['registry.access.redhat.com', 'docker.io']\n";

export interface DecodedTemplate {
  readonly value: RegistriesConfValue;
  readonly warnings: readonly string[];
}

function endpoint(raw: RawEndpoint): EndpointValue {
  return { location: raw.location, insecure: raw.insecure, pullFromMirror: raw.pullFromMirror };
}

export function decodeTemplate(file: ConfigFile): DecodedTemplate {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(file.text) as Record<string, unknown>;
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    const first = (err.message.split('\n')[0] ?? err.message).replace(/^Invalid TOML document: /, '');
    throw configError(`invalid TOML at column ${err.column}: ${first}`, { file: file.path, line: err.line });
  }
  let raw;
  try {
    raw = decodeRegistriesFile(file.path, doc, scanTomlPositions(file.text));
  } catch (err) {
    if (err instanceof DecodeError)
      throw configError(`the MCO cannot decode this template: ${err.message}`, {
        file: file.path,
        line: err.line,
      });
    throw err;
  }
  const warnings = raw.notes.map(
    (n) => `${n.origin.file}${n.origin.line === null ? '' : `:${n.origin.line}`}: ${n.message}`,
  );
  if (raw.v1.search !== undefined || raw.v1.insecure !== undefined || raw.v1.block !== undefined) {
    warnings.push(
      `${file.path}: the [registries.*] (v1) tables are dropped: the MCO decodes the template as v2 only`,
    );
  }
  const value: RegistriesConfValue = {
    registries:
      raw.registries?.map((r) => ({
        ...endpoint(r),
        prefix: r.prefix,
        blocked: r.blocked,
        mirrorByDigestOnly: r.mirrorByDigestOnly,
        mirrors: r.mirrors.map((m) => ({ ...endpoint(m), provenance: { objects: [], fromTemplate: true } })),
      })) ?? null,
    unqualifiedSearchRegistries: raw.unqualifiedSearchRegistries?.value ?? null,
    credentialHelpers: raw.credentialHelpers?.value ?? null,
    shortNameMode: raw.shortNameMode?.value ?? '',
    additionalLayerStoreAuthHelper: raw.additionalLayerStoreAuthHelper?.value ?? '',
    aliases: raw.aliases === undefined ? null : new Map([...raw.aliases].map(([k, v]) => [k, v.value])),
  };
  return { value, warnings };
}
