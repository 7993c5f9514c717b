// policy.json parsing with containers/image's "paranoid" rules (`signature/policy_config*.go`):
// unknown and duplicate keys are errors, each object has exactly the fields its type allows, and the
// error texts are the upstream ones, prefixed by the file and line we found them at.
import { configError, type MirrorscopeError } from '../errors.js';
import { isDomain, splitName } from '../reference/grammar.js';
import { parseNormalizedNamed, InvalidReferenceError } from '../reference/reference.js';
import type { ConfigFile } from '../registries/types.js';
import { didYouMeanClause } from '../suggest.js';
import {
  goTokenText,
  jsonKindName,
  JsonSyntaxError,
  parseJsonTree,
  type JsonEntry,
  type JsonNode,
} from './json-tree.js';
import type {
  GpgKeyType,
  IdentityMatch,
  KeySource,
  Policy,
  Requirement,
  RequirementList,
  VersionedPolicyKey,
} from './types.js';

/** A policy error at a line; `message` is the upstream InvalidPolicyFormatError text. */
class PolicyFormatError extends Error {
  constructor(
    message: string,
    readonly line: number,
    /** Ours, not containers/image's: e.g. `; did you mean "keyPath"?`. */
    readonly hint = '',
  ) {
    super(message);
  }
}

const fail = (line: number, message: string, hint = ''): never => {
  throw new PolicyFormatError(message, line, hint);
};

/** `ParanoidUnmarshalJSONObject`: the entries of an object, refusing duplicates and unknown keys. */
// Like the Go decoder, each value is decoded as soon as its key is accepted, so which error wins
// depends on the order of the keys in the file.
function objectEntries(
  node: JsonNode,
  /** null: any key. */
  allowed: readonly string[] | null,
  decode?: (entry: JsonEntry) => void,
): readonly JsonEntry[] {
  if (node.kind !== 'object') return fail(node.line, `JSON object expected, got ${goTokenText(node)}`);
  const seen = new Set<string>();
  for (const entry of node.entries) {
    if (seen.has(entry.key)) fail(entry.keyLine, `Duplicate key "${entry.key}"`);
    seen.add(entry.key);
    if (allowed !== null && !allowed.includes(entry.key))
      fail(entry.keyLine, `Unknown key "${entry.key}"`, didYouMeanClause(entry.key, allowed));
    decode?.(entry);
  }
  return node.entries;
}

/** `ParanoidUnmarshalJSONObjectExactFields`. */
function exactFields(node: JsonNode, fields: readonly string[]): Map<string, JsonEntry> {
  const entries = objectEntries(node, fields);
  const byKey = new Map(entries.map((e) => [e.key, e]));
  for (const field of fields)
    if (!byKey.has(field)) fail(node.line, `Key "${field}" missing in a JSON object`);
  return byKey;
}

function goString(node: JsonNode): string {
  if (node.kind === 'null') return '';
  if (node.kind !== 'string')
    return fail(node.line, `json: cannot unmarshal ${jsonKindName(node)} into Go value of type string`);
  return node.value;
}

function goStringList(node: JsonNode): string[] | null {
  if (node.kind === 'null') return null;
  if (node.kind !== 'array')
    return fail(node.line, `json: cannot unmarshal ${jsonKindName(node)} into Go value of type []string`);
  return node.items.map(goString);
}

/** Go decodes a `[]byte` field from base64 (standard alphabet, padded). */
function goBytes(node: JsonNode): Uint8Array | null {
  if (node.kind === 'null') return null;
  if (node.kind !== 'string')
    return fail(node.line, `json: cannot unmarshal ${jsonKindName(node)} into Go value of type []uint8`);
  const text = node.value;
  const bad = /[^A-Za-z0-9+/=\r\n]/.exec(text);
  if (bad !== null) fail(node.line, `illegal base64 data at input byte ${bad.index}`);
  const clean = text.replace(/[\r\n]/g, '');
  if (clean.length % 4 !== 0 || /=[^=]/.test(clean))
    fail(
      node.line,
      `illegal base64 data at input byte ${Math.max(0, clean.length - (clean.length % 4 || 4))}`,
    );
  return new Uint8Array(Buffer.from(clean, 'base64'));
}

function goBytesList(node: JsonNode): Uint8Array[] | null {
  if (node.kind === 'null') return null;
  if (node.kind !== 'array')
    return fail(node.line, `json: cannot unmarshal ${jsonKindName(node)} into Go value of type [][]uint8`);
  return node.items.map((item) => goBytes(item) ?? new Uint8Array());
}

/** `prCommon`/`prmCommon` decoding: `type` from an object that may have other keys. */
function typeField(node: JsonNode): string {
  if (node.kind !== 'object') {
    return fail(
      node.line,
      `json: cannot unmarshal ${jsonKindName(node)} into Go value of type signature.prCommon`,
    );
  }
  // encoding/json: the last `type` wins, case-insensitively, and other keys are ignored here.
  let type = '';
  for (const e of node.entries) if (e.key.toLowerCase() === 'type') type = goString(e.value);
  return type;
}

function parseIdentity(node: JsonNode): IdentityMatch {
  const type = typeField(node);
  const expectType = (fields: Map<string, JsonEntry>): void => {
    const t = goString(fields.get('type')!.value);
    if (t !== type) fail(node.line, `Unexpected policy requirement type "${t}"`);
  };
  switch (type) {
    case 'matchExact':
    case 'matchRepoDigestOrExact':
    case 'matchRepository':
      expectType(exactFields(node, ['type']));
      return { type };
    case 'exactReference': {
      const f = exactFields(node, ['type', 'dockerReference']);
      expectType(f);
      const value = goString(f.get('dockerReference')!.value);
      try {
        const ref = parseNormalizedNamed(value);
        if (ref.tag === undefined && ref.digest === undefined) {
          fail(
            f.get('dockerReference')!.keyLine,
            `dockerReference "${value}" contains neither a tag nor digest`,
          );
        }
      } catch (err) {
        if (!(err instanceof InvalidReferenceError)) throw err;
        fail(
          f.get('dockerReference')!.keyLine,
          `Invalid format of dockerReference "${value}": ${err.message}`,
        );
      }
      return { type, dockerReference: value };
    }
    case 'exactRepository': {
      const f = exactFields(node, ['type', 'dockerRepository']);
      expectType(f);
      const value = goString(f.get('dockerRepository')!.value);
      try {
        parseNormalizedNamed(value);
      } catch (err) {
        if (!(err instanceof InvalidReferenceError)) throw err;
        fail(
          f.get('dockerRepository')!.keyLine,
          `Invalid format of dockerRepository "${value}": ${err.message}`,
        );
      }
      return { type, dockerRepository: value };
    }
    case 'remapIdentity': {
      const f = exactFields(node, ['type', 'prefix', 'signedPrefix']);
      expectType(f);
      const prefix = goString(f.get('prefix')!.value);
      const signedPrefix = goString(f.get('signedPrefix')!.value);
      if (!isValidRemapPrefix(prefix)) fail(f.get('prefix')!.keyLine, `prefix "${prefix}" is not valid`);
      if (!isValidRemapPrefix(signedPrefix))
        fail(f.get('signedPrefix')!.keyLine, `prefix "${signedPrefix}" is not valid`);
      return { type, prefix, signedPrefix };
    }
    default:
      return fail(node.line, `Unknown policy reference match type "${type}"`);
  }
}

/** `validateIdentityRemappingPrefix`: a bare domain, or a name that starts with `domain/`. */
export function isValidRemapPrefix(s: string): boolean {
  if (isDomain(s)) return true;
  const slash = s.indexOf('/');
  if (slash === -1 || !isDomain(s, 0, slash)) return false;
  const split = splitName(s);
  return split !== undefined && split.domain !== '';
}

const GPG_KEY_TYPES: readonly string[] = [
  'GPGKeys',
  'signedByGPGKeys',
  'X509Certificates',
  'signedByX509CAs',
];

function parseSignedBy(node: JsonNode, line: number): Requirement {
  const fields = ['type', 'keyType', 'keyPath', 'keyPaths', 'keyData', 'signedIdentity'];
  const entries = objectEntries(node, fields);
  const get = (k: string): JsonEntry | undefined => entries.find((e) => e.key === k);
  const type = get('type') ? goString(get('type')!.value) : '';
  const keyTypeEntry = get('keyType');
  const keyType = keyTypeEntry ? goString(keyTypeEntry.value) : '';
  if (keyTypeEntry && !GPG_KEY_TYPES.includes(keyType))
    fail(keyTypeEntry.keyLine, `Unrecognized keyType value "${keyType}"`);
  const keyPath = get('keyPath');
  const keyPaths = get('keyPaths');
  const keyData = get('keyData');
  const paths = keyPaths ? goStringList(keyPaths.value) : null;
  const data = keyData ? goBytes(keyData.value) : null;
  const path = keyPath ? goString(keyPath.value) : '';
  if (type !== 'signedBy') fail(line, `Unexpected policy requirement type "${type}"`);
  const identityEntry = get('signedIdentity');
  const signedIdentity: IdentityMatch = identityEntry
    ? parseIdentity(identityEntry.value)
    : { type: 'matchRepoDigestOrExact' };
  const present = [keyPath, keyPaths, keyData].filter((e) => e !== undefined);
  if (present.length === 0)
    fail(line, 'Exactly one of keyPath, keyPaths and keyData must be specified, none of them present');
  if (present.length > 1)
    fail(
      present[1]!.keyLine,
      'Exactly one of keyPath, keyPaths and keyData must be specified, more than one present',
    );
  if (!GPG_KEY_TYPES.includes(keyType)) fail(keyTypeEntry?.keyLine ?? line, `invalid keyType "${keyType}"`);
  // newPRSignedBy counts sources by value: an empty keyPath or a null keyPaths/keyData is "none".
  const sourceCount = (path !== '' ? 1 : 0) + (paths !== null ? 1 : 0) + (data !== null ? 1 : 0);
  if (sourceCount !== 1)
    fail(present[0]!.keyLine, 'exactly one of keyPath, keyPaths and keyData must be specified');
  let keys: KeySource;
  if (keyPath) keys = { kind: 'keyPath', path, line: keyPath.keyLine };
  else if (keyPaths) keys = { kind: 'keyPaths', paths: paths!, line: keyPaths.keyLine };
  else keys = { kind: 'keyData', data: data!, line: keyData!.keyLine };
  return { type: 'signedBy', line, keyType: keyType as GpgKeyType, keys, signedIdentity };
}

const FULCIO_FIELDS = ['caPath', 'caData', 'oidcIssuer', 'subjectEmail'];
const PKI_FIELDS = [
  'caRootsPath',
  'caRootsData',
  'caIntermediatesPath',
  'caIntermediatesData',
  'subjectEmail',
  'subjectHostname',
];

function checkFulcio(node: JsonNode): void {
  const e = objectEntries(node, FULCIO_FIELDS);
  const has = (k: string): boolean => e.some((x) => x.key === k && x.value.kind !== 'null');
  if (has('caPath') && has('caData')) fail(node.line, 'caPath and caData cannot be used simultaneously');
  if (!has('caPath') && !has('caData'))
    fail(node.line, 'At least one of caPath and caData must be specified');
  if (!has('oidcIssuer')) fail(node.line, 'oidcIssuer not specified');
  if (!has('subjectEmail')) fail(node.line, 'subjectEmail not specified');
}

function checkPki(node: JsonNode): void {
  const e = objectEntries(node, PKI_FIELDS);
  const has = (k: string): boolean => e.some((x) => x.key === k && x.value.kind !== 'null');
  if (has('caRootsPath') && has('caRootsData'))
    fail(node.line, 'caRootsPath and caRootsData cannot be used simultaneously');
  if (!has('caRootsPath') && !has('caRootsData'))
    fail(node.line, 'At least one of caRootsPath and caRootsData must be specified');
  if (has('caIntermediatesPath') && has('caIntermediatesData')) {
    fail(node.line, 'caIntermediatesPath and caIntermediatesData cannot be used simultaneously');
  }
  if (!has('subjectEmail') && !has('subjectHostname'))
    fail(node.line, 'At least one of subjectEmail, subjectHostname must be specified');
}

/** sigstoreSigned keys by the containers/image feature that introduced them (5.24, 5.33, 5.35). */
const VERSIONED_KEYS: Readonly<Record<string, VersionedPolicyKey['feature']>> = {
  fulcio: 'fulcio',
  rekorPublicKeyPath: 'fulcio',
  rekorPublicKeyData: 'fulcio',
  keyPaths: 'multipleKeys',
  keyDatas: 'multipleKeys',
  rekorPublicKeyPaths: 'multipleKeys',
  rekorPublicKeyDatas: 'multipleKeys',
  pki: 'pki',
};

function parseSigstoreSigned(node: JsonNode, line: number): Requirement {
  const fields = [
    'type', 'keyPath', 'keyPaths', 'keyData', 'keyDatas', 'fulcio', 'pki', 'signedIdentity',
    'rekorPublicKeyPath', 'rekorPublicKeyPaths', 'rekorPublicKeyData', 'rekorPublicKeyDatas',
  ]; // prettier-ignore
  const entries = objectEntries(node, fields);
  const get = (k: string): JsonEntry | undefined => entries.find((e) => e.key === k);
  const type = get('type') ? goString(get('type')!.value) : '';
  for (const list of ['keyPaths', 'rekorPublicKeyPaths']) {
    const e = get(list);
    if (e && goStringList(e.value)?.length === 0)
      fail(e.keyLine, `"${list === 'keyPaths' ? 'keyPaths' : 'rekorPublickeyPaths'}" contains no entries`);
  }
  for (const list of ['keyDatas', 'rekorPublicKeyDatas']) {
    const e = get(list);
    if (e && goBytesList(e.value)?.length === 0)
      fail(e.keyLine, `"${list === 'keyDatas' ? 'keyDatas' : 'rekorPublickeyDatas'}" contains no entries`);
  }
  if (type !== 'sigstoreSigned') fail(line, `Unexpected policy requirement type "${type}"`);
  const identityEntry = get('signedIdentity');
  const signedIdentity: IdentityMatch = identityEntry
    ? parseIdentity(identityEntry.value)
    : { type: 'matchRepoDigestOrExact' };
  const fulcio = get('fulcio');
  const pki = get('pki');
  if (fulcio) checkFulcio(fulcio.value);
  if (pki) checkPki(pki.value);
  const keyEntries = ['keyPath', 'keyPaths', 'keyData', 'keyDatas', 'fulcio', 'pki'].filter((k) => {
    const e = get(k);
    return e !== undefined && e.value.kind !== 'null' && !(k === 'keyPath' && goString(e.value) === '');
  });
  if (keyEntries.length !== 1)
    fail(line, 'exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, and pki must be specified');
  const rekor = [
    'rekorPublicKeyPath',
    'rekorPublicKeyPaths',
    'rekorPublicKeyData',
    'rekorPublicKeyDatas',
  ].filter((k) => {
    const e = get(k);
    return (
      e !== undefined && e.value.kind !== 'null' && !(k === 'rekorPublicKeyPath' && goString(e.value) === '')
    );
  });
  if (rekor.length > 1) {
    fail(
      line,
      'at most one of rekorPublickeyPath, rekorPublicKeyPaths, rekorPublickeyData and rekorPublicKeyDatas can be used simultaneously',
    );
  }
  if (fulcio && rekor.length === 0) {
    fail(
      line,
      'At least one of rekorPublickeyPath, rekorPublicKeyPaths, rekorPublickeyData and rekorPublicKeyDatas must be specified if fulcio is used',
    );
  }
  if (pki && rekor.length > 0) {
    fail(
      line,
      'rekorPublickeyPath, rekorPublicKeyPaths, rekorPublickeyData and rekorPublicKeyDatas are not supported for pki',
    );
  }
  const which = keyEntries[0]!;
  const entry = get(which)!;
  let keys: KeySource | null = null;
  if (which === 'keyPath') keys = { kind: 'keyPath', path: goString(entry.value), line: entry.keyLine };
  else if (which === 'keyPaths')
    keys = { kind: 'keyPaths', paths: goStringList(entry.value)!, line: entry.keyLine };
  else if (which === 'keyData') keys = { kind: 'keyData', data: goBytes(entry.value)!, line: entry.keyLine };
  else if (which === 'keyDatas')
    keys = { kind: 'keyDatas', datas: goBytesList(entry.value)!, line: entry.keyLine };
  const certificateBased = which === 'fulcio' || which === 'pki' ? which : null;
  const versionedKeys = entries.flatMap((e): VersionedPolicyKey[] => {
    const feature = VERSIONED_KEYS[e.key];
    return feature === undefined ? [] : [{ key: e.key, feature, line: e.keyLine }];
  });
  return { type: 'sigstoreSigned', line, keys, certificateBased, signedIdentity, versionedKeys };
}

const REQUIREMENT_TYPES = [
  'insecureAcceptAnything',
  'reject',
  'signedBy',
  'signedBaseLayer',
  'sigstoreSigned',
];

function parseRequirement(node: JsonNode): Requirement {
  const type = typeField(node);
  const line = node.line;
  switch (type) {
    case 'insecureAcceptAnything':
    case 'reject': {
      const t = goString(exactFields(node, ['type']).get('type')!.value);
      if (t !== type) fail(line, `Unexpected policy requirement type "${t}"`);
      return { type, line };
    }
    case 'signedBy':
      return parseSignedBy(node, line);
    case 'signedBaseLayer': {
      const f = exactFields(node, ['type', 'baseLayerIdentity']);
      parseIdentity(f.get('baseLayerIdentity')!.value);
      return { type, line };
    }
    case 'sigstoreSigned':
      return parseSigstoreSigned(node, line);
    default:
      return fail(
        line,
        `Unknown policy requirement type "${type}"`,
        didYouMeanClause(type, REQUIREMENT_TYPES),
      );
  }
}

function parseRequirementList(
  node: JsonNode,
  scope: string,
  isDefault: boolean,
  line: number,
): RequirementList {
  if (node.kind !== 'array' && node.kind !== 'null') {
    fail(node.line, `json: cannot unmarshal ${jsonKindName(node)} into Go value of type []json.RawMessage`);
  }
  const items = node.kind === 'array' ? node.items : [];
  if (items.length === 0) fail(node.line, 'List of verification policy requirements must not be empty');
  return { scope, isDefault, line, requirements: items.map(parseRequirement) };
}

function parseTree(root: JsonNode, file: string): Policy {
  let defaultList: RequirementList | null = null;
  const transports = new Map<string, Map<string, RequirementList>>();
  objectEntries(root, ['default', 'transports'], (entry) => {
    if (entry.key === 'default') {
      defaultList = parseRequirementList(entry.value, 'default', true, entry.keyLine);
      return;
    }
    if (entry.value.kind === 'null') return;
    objectEntries(entry.value, null, (transport) => {
      const scopes = new Map<string, RequirementList>();
      transports.set(transport.key, scopes);
      if (transport.value.kind === 'null') return;
      objectEntries(transport.value, null, (scope) => {
        scopes.set(scope.key, parseRequirementList(scope.value, scope.key, false, scope.keyLine));
      });
    });
  });
  if (defaultList === null) fail(root.line, 'Default policy is missing');
  return { file, default: defaultList!, transports };
}

/** Parses policy.json; errors are `config-invalid` with the file and line and the upstream text. */
export function parsePolicy(file: ConfigFile): Policy {
  let root: JsonNode;
  try {
    root = parseJsonTree(file.text);
    return parseTree(root, file.path);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw policyError(file.path, err.line, err.message);
    if (err instanceof PolicyFormatError) throw policyError(file.path, err.line, err.message, err.hint);
    throw err;
  }
}

function policyError(path: string, line: number, message: string, hint = ''): MirrorscopeError {
  return configError(`${message}${hint}`, { file: path, line }, `invalid policy in "${path}": ${message}`);
}
