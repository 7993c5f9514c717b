// Which checks could not run because an input did not load: their earlier findings are unknown, not
// resolved. A broken registries.d drop-in must not make "signature-storage-local-only" look fixed.
import type { MirrorscopeError } from '../errors.js';
import { CATALOGUE } from '../findings/catalogue.js';
import { MIRROR_FINDINGS } from '../findings/catalogue/mirror.js';
import type { Loaded, StaticCheckInput } from './static-check.js';

export interface SkippedCheck {
  /** Why, as a clause: "registries.d cannot be loaded (…)". */
  readonly reason: string;
  /** Finding ids that check produces. */
  readonly ids: ReadonlySet<string>;
}

/** Findings only a scan's probes raise (nothing is probed while the trace context cannot load). */
const PROBE_IDS: readonly string[] = [
  ...Object.keys(MIRROR_FINDINGS),
  'signature-missing',
  'signature-invalid',
  'signature-store-unreachable',
  'mirror-signature-missing',
];
const REGISTRIES_NOTE_IDS = [
  'config-unknown-key',
  'config-key-in-mirror-table',
  'config-duplicate-prefix',
  'config-toml-1.1-syntax',
  'config-v1-format',
  'config-drop-in-replaces-registry',
  'short-name-mode-ignored',
];
const POLICY_IDS = ['signature-key-missing', 'signature-storage-local-only', 'policy-rejects'];

function known(ids: readonly string[]): Set<string> {
  return new Set(ids.filter((id) => Object.hasOwn(CATALOGUE, id)));
}

function failed(loaded: Loaded<unknown> | null, what: string): string | null {
  return loaded === null || loaded.ok ? null : `${what} cannot be loaded (${loaded.error.message})`;
}

export function skippedChecks(input: StaticCheckInput, traceError: MirrorscopeError | null): SkippedCheck[] {
  const out: SkippedCheck[] = [];
  const add = (reason: string | null, ids: readonly string[]) => {
    if (reason !== null) out.push({ reason, ids: known(ids) });
  };
  add(failed(input.registries, 'registries.conf'), [
    ...REGISTRIES_NOTE_IDS,
    'signature-storage-local-only',
    'policy-rejects',
    ...PROBE_IDS,
  ]);
  add(failed(input.crio, 'crio.conf'), [...PROBE_IDS, 'short-name-mode-ignored']);
  add(failed(input.registriesD, 'registries.d'), ['signature-storage-local-only', ...PROBE_IDS]);
  for (const entry of input.policies) add(failed(entry.policy, entry.path), [...POLICY_IDS, ...PROBE_IDS]);
  if (traceError !== null && out.length === 0)
    add(`the pull configuration cannot be loaded (${traceError.message})`, PROBE_IDS);
  return out;
}
