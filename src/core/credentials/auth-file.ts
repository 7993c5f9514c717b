// Parsing of containers-auth.json / docker config.json / legacy .dockercfg files, as
// containers/image's `pkg/docker/config` reads them: only `auth` and `identitytoken` count.
import { configError } from '../errors.js';
import { JsonTextError, lineAndColumn, parseJsonText } from '../json-text.js';
import type { ConfigFile } from '../registries/types.js';
import { Credentials } from './secret.js';

export interface AuthEntry {
  readonly key: string;
  readonly credentials: Credentials;
  /** Why the entry decodes to empty credentials, when it does (c/image logs a warning). */
  readonly problem: string | null;
  /** c/image fails the credential lookup on this entry (base64 it cannot decode). */
  readonly decodeError: string | null;
}

export interface AuthFile {
  readonly path: string;
  /** `.dockercfg` format: the `auths` map at the top level; only host keys are looked up. */
  readonly legacy: boolean;
  /** In file order; Go keeps a map, so where order matters we use the first key (documented). */
  readonly auths: readonly AuthEntry[];
  /** registry host → helper name (`docker-credential-<name>`). */
  readonly credHelpers: ReadonlyMap<string, string>;
}

function lineOfKey(text: string, key: string): number | null {
  const offset = text.indexOf(JSON.stringify(key));
  return offset === -1 ? null : lineAndColumn(text, offset).line;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const NO_CREDENTIALS = (key: string, problem: string | null): AuthEntry => ({
  key,
  credentials: Credentials.anonymous,
  problem,
  decodeError: null,
});

/**
 * `decodeDockerAuth` (containers/image pkg/docker/config, v5.23.1 a3bfb869 to v5.36.1 dc805b9e):
 * padded standard base64 of `user:password` (newlines ignored), password NULs trimmed. The identity
 * token counts only beside a valid `user:password`: an entry without one yields no credentials at all,
 * and `auth` that is not base64 fails the whole lookup.
 */
function decodeAuth(key: string, raw: unknown, identityToken: string): AuthEntry {
  const auth = (typeof raw === 'string' ? raw : '').replace(/[\r\n]/g, '');
  const ignoredToken = identityToken === '' ? '' : '; its "identitytoken" is ignored without one';
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(auth) || auth.length % 4 !== 0) {
    return {
      ...NO_CREDENTIALS(key, 'the "auth" field is not valid base64'),
      decodeError: 'illegal base64 data',
    };
  }
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) {
    return NO_CREDENTIALS(
      key,
      decoded === ''
        ? `the "auth" field is empty${ignoredToken}`
        : `the "auth" field has no ":" between user and password${ignoredToken}`,
    );
  }
  const username = decoded.slice(0, colon);
  // eslint-disable-next-line no-control-regex
  const password = decoded.slice(colon + 1).replace(/^\u0000+|\u0000+$/g, '');
  return {
    key,
    credentials: new Credentials({ username, password, identityToken }),
    problem: null,
    decodeError: null,
  };
}

/**
 * Parses one auth file. Malformed JSON or a wrongly typed section is an error naming file and line,
 * as c/image fails with `reading JSON file "<path>": …`.
 */
export function parseAuthFile(file: ConfigFile, options: { legacy?: boolean } = {}): AuthFile {
  const legacy = options.legacy === true;
  const upstream = (detail: string) =>
    `reading JSON file "${file.path}": unmarshaling JSON at "${file.path}": ${detail}`;
  let doc: unknown;
  try {
    doc = parseJsonText(file.text);
  } catch (err) {
    if (!(err instanceof JsonTextError)) throw err;
    // Position only: the text around the error may be part of a password or token.
    throw configError(
      `invalid JSON: ${err.message}`,
      { file: file.path, line: err.line },
      upstream(`invalid JSON: ${err.message}`),
    );
  }
  if (!isObject(doc)) {
    throw configError(
      'an auth file must be a JSON object',
      { file: file.path, line: 1 },
      upstream('cannot unmarshal into Go value'),
    );
  }
  const authsValue = legacy ? doc : doc.auths;
  const helpersValue = legacy ? undefined : doc.credHelpers;
  if (authsValue !== undefined && authsValue !== null && !isObject(authsValue)) {
    throw configError(
      '"auths" must be an object',
      { file: file.path, line: lineOfKey(file.text, 'auths') },
      upstream('cannot unmarshal "auths"'),
    );
  }
  if (helpersValue !== undefined && helpersValue !== null && !isObject(helpersValue)) {
    throw configError(
      '"credHelpers" must be an object',
      { file: file.path, line: lineOfKey(file.text, 'credHelpers') },
      upstream('cannot unmarshal "credHelpers"'),
    );
  }
  const auths: AuthEntry[] = [];
  for (const [key, value] of Object.entries(authsValue ?? {})) {
    if (value === null) {
      auths.push(NO_CREDENTIALS(key, 'the entry is null'));
      continue;
    }
    if (!isObject(value)) {
      throw configError(
        `auths["${key}"] must be an object`,
        { file: file.path, line: lineOfKey(file.text, key) },
        upstream(`cannot unmarshal auths["${key}"]`),
      );
    }
    for (const field of ['auth', 'identitytoken'] as const) {
      if (value[field] !== undefined && value[field] !== null && typeof value[field] !== 'string') {
        throw configError(
          `auths["${key}"].${field} must be a string`,
          { file: file.path, line: lineOfKey(file.text, key) },
          upstream(`cannot unmarshal auths["${key}"].${field}`),
        );
      }
    }
    const identityToken = typeof value.identitytoken === 'string' ? value.identitytoken : '';
    auths.push(decodeAuth(key, value.auth, identityToken));
  }
  const credHelpers = new Map<string, string>();
  for (const [host, helper] of Object.entries(helpersValue ?? {})) {
    if (typeof helper !== 'string') {
      throw configError(
        `credHelpers["${host}"] must be a string`,
        { file: file.path, line: lineOfKey(file.text, host) },
        upstream(`cannot unmarshal credHelpers["${host}"]`),
      );
    }
    credHelpers.set(host, helper);
  }
  return { path: file.path, legacy, auths, credHelpers };
}
