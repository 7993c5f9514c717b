// containers/image's credential lookup (`pkg/docker/config.GetCredentialsForRef`) for one physical
// reference: the helper order from registries.conf, then per auth file: credHelpers[registry], the
// repository-path hierarchy down to the host (the first EXISTING key wins, even if it is empty), and
// the normalised-host fallback. Credential helper programs are not run; the lookup says so.
import type { AuthEntry, AuthFile } from './auth-file.js';
import { Credentials } from './secret.js';

/** The reserved helper name meaning "the auth files". */
export const AUTH_FILE_HELPER = 'containers-auth.json';

/** One file in the search list; `file: null` when it does not exist (c/image treats that as empty). */
export interface AuthFileSlot {
  readonly path: string;
  readonly file: AuthFile | null;
}

export type LookupEvent =
  | { readonly kind: 'file-missing'; readonly file: string }
  | {
      readonly kind: 'key-empty';
      readonly file: string;
      readonly key: string;
      readonly problem: string | null;
    }
  | {
      readonly kind: 'cred-helper';
      readonly file: string | null;
      readonly helper: string;
      readonly registry: string;
    }
  | { readonly kind: 'no-match'; readonly file: string };

export interface CredentialMatch {
  readonly file: string;
  readonly key: string;
}

export interface CredentialLookup {
  /** `Name()` of the physical reference. */
  readonly key: string;
  readonly registry: string;
  /** Where non-empty credentials were found; null for an anonymous pull. */
  readonly match: CredentialMatch | null;
  /** Only for the HTTP layer. Anonymous when `match` is null. */
  readonly credentials: Credentials;
  readonly events: readonly LookupEvent[];
  /** `validateKey` failure, or an `auth` value c/image cannot decode: the lookup (and so the pull attempt) fails with it. */
  readonly error: string | null;
}

/** `normalizeRegistry`: the docker.io host names all mean index.docker.io in auth files. */
export function normalizeRegistry(registry: string): string {
  return registry === 'registry-1.docker.io' || registry === 'docker.io' ? 'index.docker.io' : registry;
}

/** `normalizeAuthFileKey`. */
export function normalizeAuthFileKey(key: string, legacy: boolean): string {
  let stripped = key;
  if (stripped.startsWith('http://')) stripped = stripped.slice('http://'.length);
  if (stripped.startsWith('https://')) stripped = stripped.slice('https://'.length);
  if (legacy || stripped !== key) stripped = stripped.split('/')[0]!;
  return normalizeRegistry(stripped);
}

/** `authKeyLookupOrder`: the full key, then each parent path, down to the host. */
export function authKeyLookupOrder(key: string, registry: string, legacy: boolean): string[] {
  if (legacy) return [registry];
  const keys: string[] = [];
  let k = key;
  for (;;) {
    keys.push(k);
    const slash = k.lastIndexOf('/');
    if (slash === -1) break;
    k = k.slice(0, slash);
  }
  return keys;
}

/** `validateKey`; null when the key is acceptable. */
export function validateKey(key: string): string | null {
  if (key.startsWith('http://') || key.startsWith('https://')) return `key ${key} contains http[s]:// prefix`;
  if (key.includes('@')) return `key ${key} contains a '@' character`;
  const firstSlash = key.indexOf('/');
  const rest = firstSlash === -1 ? '' : key.slice(firstSlash);
  if (rest.includes(':')) return `key ${key} contains a ':' character after host[:port]`;
  return null;
}

interface FileResult {
  readonly entryKey: string | null;
  readonly credentials: Credentials;
  /** c/image's lookup fails on this entry. */
  readonly error?: string;
}

/** The entry that matched: its credentials, or the decoding error that fails c/image's lookup. */
function matched(file: AuthFile, entry: AuthEntry, events: LookupEvent[]): FileResult {
  if (entry.decodeError !== null)
    return {
      entryKey: entry.key,
      credentials: Credentials.anonymous,
      error: `getting username and password: ${entry.decodeError}: the "auth" field of key "${entry.key}" in ${file.path} is not valid base64, so containers/image fails the credential lookup and this pull`,
    };
  if (entry.credentials.isEmpty)
    events.push({ kind: 'key-empty', file: file.path, key: entry.key, problem: entry.problem });
  return { entryKey: entry.key, credentials: entry.credentials };
}

function findInFile(key: string, registry: string, slot: AuthFileSlot, events: LookupEvent[]): FileResult {
  const file = slot.file;
  if (file === null) {
    events.push({ kind: 'file-missing', file: slot.path });
    return { entryKey: null, credentials: Credentials.anonymous };
  }
  const helper = file.credHelpers.get(registry);
  if (helper !== undefined) {
    events.push({ kind: 'cred-helper', file: file.path, helper, registry });
    return { entryKey: null, credentials: Credentials.anonymous };
  }
  const byKey = new Map(file.auths.map((e) => [e.key, e] as const));
  for (const candidate of authKeyLookupOrder(key, registry, file.legacy)) {
    const entry = byKey.get(candidate);
    if (entry !== undefined) return matched(file, entry, events);
  }
  // Go iterates a map here, so the winner among several keys normalising to the same host is
  // random; we take the first in file order.
  const normalized = normalizeRegistry(registry);
  const entry = file.auths.find((e) => normalizeAuthFileKey(e.key, file.legacy) === normalized);
  if (entry !== undefined) return matched(file, entry, events);
  events.push({ kind: 'no-match', file: file.path });
  return { entryKey: null, credentials: Credentials.anonymous };
}

/**
 * Credentials for the physical reference name `key` (e.g. `quay.io/ns/img`).
 * `helpers` is registries.conf `credential-helpers` (empty means the default, the auth files only).
 */
export function lookupCredentials(
  key: string,
  helpers: readonly string[],
  files: readonly AuthFileSlot[],
): CredentialLookup {
  const slash = key.indexOf('/');
  const registry = slash === -1 ? key : key.slice(0, slash);
  const events: LookupEvent[] = [];
  const error = validateKey(key);
  if (error !== null)
    return { key, registry, match: null, credentials: Credentials.anonymous, events, error };
  const order = helpers.length === 0 ? [AUTH_FILE_HELPER] : helpers;
  for (const helper of order) {
    if (helper !== AUTH_FILE_HELPER) {
      events.push({ kind: 'cred-helper', file: null, helper, registry });
      continue;
    }
    for (const slot of files) {
      const found = findInFile(key, registry, slot, events);
      if (found.error !== undefined)
        return { key, registry, match: null, credentials: Credentials.anonymous, events, error: found.error };
      if (!found.credentials.isEmpty) {
        return {
          key,
          registry,
          match: { file: slot.path, key: found.entryKey! },
          credentials: found.credentials,
          events,
          error: null,
        };
      }
    }
  }
  return { key, registry, match: null, credentials: Credentials.anonymous, events, error: null };
}

/** One line per event, for the trace; never includes a secret. */
export function describeLookup(lookup: CredentialLookup): string {
  if (lookup.error !== null) return lookup.error;
  const notes = lookup.events.flatMap((e): string[] => {
    switch (e.kind) {
      case 'key-empty':
        return [
          `key "${e.key}" in ${e.file} matches but holds no credentials${e.problem ? ` (${e.problem})` : ''}, so it hides any broader key there`,
        ];
      case 'cred-helper':
        return [
          `credential helper docker-credential-${e.helper} would be asked for ${e.registry}${e.file ? ` (credHelpers in ${e.file})` : ' (credential-helpers in registries.conf)'}; mirrorscope does not run helpers`,
        ];
      default:
        return [];
    }
  });
  const head = lookup.match
    ? `Found credentials for ${lookup.key} in ${lookup.match.file} (key "${lookup.match.key}")`
    : `No credentials for ${lookup.key} found`;
  return notes.length === 0 ? head : `${head}; ${notes.join('; ')}`;
}
