// `/v1/config`: the configuration this agent diagnoses with, each setting with the file and line it
// comes from. Credentials never appear: only which auth file is searched and the names of its keys.
import { where } from '../core/resolve/types.js';
import type { HostConfig } from './host-config.js';

export function effectiveConfig(
  config: HostConfig,
  meta: { node: string; generation: number; loadedAt: string },
): unknown {
  const trace = config.trace;
  const registries = trace?.resolver.config;
  return {
    node: meta.node,
    root: config.root.root,
    generation: meta.generation,
    loadedAt: meta.loadedAt,
    configHash: config.files.hash,
    files: config.files.files,
    error: config.loadError?.toJSON() ?? null,
    registries:
      registries === undefined
        ? null
        : {
            files: registries.files,
            unqualifiedSearchRegistries: {
              value: registries.unqualifiedSearchRegistries,
              origin: registries.unqualifiedSearchRegistriesOrigin
                ? where(registries.unqualifiedSearchRegistriesOrigin)
                : null,
            },
            shortNameMode: {
              value: registries.shortNameMode,
              origin: registries.shortNameModeOrigin ? where(registries.shortNameModeOrigin) : null,
            },
            credentialHelpers: {
              value: registries.credentialHelpers,
              origin: trace?.credentialHelpersAt ?? null,
            },
            registries: registries.registries.map((r) => ({
              prefix: r.prefix,
              location: r.location,
              origin: where(r.origin),
              blocked: r.blocked,
              blockedOrigin: r.blockedOrigin ? where(r.blockedOrigin) : null,
              insecure: r.insecure,
              insecureOrigin: r.insecureOrigin ? where(r.insecureOrigin) : null,
              mirrorByDigestOnly: r.mirrorByDigestOnly,
              mirrors: r.mirrors.map((m) => ({
                location: m.location,
                origin: where(m.origin),
                insecure: m.insecure,
                pullFromMirror: m.pullFromMirror || null,
                pullFromMirrorOrigin: m.pullFromMirrorOrigin ? where(m.pullFromMirrorOrigin) : null,
              })),
            })),
          },
    credentials:
      trace === null
        ? null
        : {
            authFile: trace.authFile.path,
            why: trace.authFile.why,
            exists: trace.authSlot.file !== null,
            // Key names only; every credential is redacted.
            keys: config.authKeys.map((key) => ({ key, credentials: '[redacted]' })),
          },
    signatures:
      config.signatures === null
        ? null
        : {
            policy: config.signatures.policyLocation.path,
            policyChosenBy: config.signatures.policyLocation.chosenBy
              ? where(config.signatures.policyLocation.chosenBy)
              : config.signatures.policyLocation.reason,
            policyError: config.signatures.policy instanceof Error ? config.signatures.policy.message : null,
            registriesDError:
              config.signatures.registriesD instanceof Error ? config.signatures.registriesD.message : null,
          },
  };
}
