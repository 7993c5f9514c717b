// Reads ImageContentSourcePolicy, ImageDigestMirrorSet, ImageTagMirrorSet, `Image` (cluster) and
// ClusterVersion objects from YAML files (several documents, or `kind: List`). Field types and enums
// are checked as the API server would; the MCO's own validation lives in validate.ts.
import { configError, MirrorscopeError } from '../errors.js';
import type { ConfigFile } from '../registries/types.js';
import type {
  ClusterObjects,
  ImageConfig,
  InputNote,
  MirrorSetEntry,
  MirrorSetKind,
  MirrorSetObject,
  MirrorSourcePolicy,
  ObjectRef,
  RegistrySources,
  SourceLine,
} from './types.js';
import { didYouMeanClause } from '../suggest.js';
import {
  IMAGE_POLICY_API_VERSIONS,
  IMAGE_POLICY_KINDS,
  readImagePolicy,
  type ImagePolicyKind,
  type ImagePolicyObject,
} from './image-policies.js';
import { parseYamlDocuments, type Located } from './yaml-tree.js';

const MIRROR_KINDS: Readonly<Record<MirrorSetKind, { group: string; listField: string }>> = {
  ImageContentSourcePolicy: { group: 'operator.openshift.io/v1alpha1', listField: 'repositoryDigestMirrors' },
  ImageDigestMirrorSet: { group: 'config.openshift.io/v1', listField: 'imageDigestMirrors' },
  ImageTagMirrorSet: { group: 'config.openshift.io/v1', listField: 'imageTagMirrors' },
};

const POLICIES: readonly string[] = ['NeverContactSource', 'AllowContactingSource'];

/** The fields of each schema level the API server keeps; anything else is pruned on create. */
const OBJECT_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];
const ENTRY_FIELDS: Readonly<Record<MirrorSetKind, readonly string[]>> = {
  ImageContentSourcePolicy: ['source', 'mirrors'],
  ImageDigestMirrorSet: ['source', 'mirrors', 'mirrorSourcePolicy'],
  ImageTagMirrorSet: ['source', 'mirrors', 'mirrorSourcePolicy'],
};
const IMAGE_SPEC_FIELDS = [
  'allowedRegistriesForImport',
  'externalRegistryHostnames',
  'additionalTrustedCA',
  'registrySources',
  'imageStreamImportMode',
];
const REGISTRY_SOURCES_FIELDS = [
  'insecureRegistries',
  'blockedRegistries',
  'allowedRegistries',
  'containerRuntimeSearchRegistries',
];

/** Notes for the fields of `map` the API server would prune, each with the field probably meant. */
function prunedFields(
  r: Reader,
  acc: Collected,
  map: Map<string, Located>,
  known: readonly string[],
  path: string,
): void {
  for (const [key, node] of map) {
    if (known.includes(key)) continue;
    acc.notes.push({
      message: `${path}.${key}: unknown field; the API server prunes it, so it has no effect${didYouMeanClause(key, known)}`,
      file: r.file,
      line: node.keyLine ?? node.line,
      pruned: true,
    });
  }
}

class Reader {
  constructor(readonly file: string) {}

  fail(message: string, at: Located | number | null): never {
    const line = typeof at === 'number' || at === null ? at : at.line;
    throw configError(message, { file: this.file, line });
  }

  map(node: Located, what: string): Map<string, Located> {
    if (node.value instanceof Map) return node.value;
    return this.fail(`${what} must be a mapping`, node);
  }

  optionalMap(parent: Map<string, Located>, key: string, what: string): Map<string, Located> | undefined {
    const node = parent.get(key);
    if (node === undefined || node.value === null) return undefined;
    return this.map(node, what);
  }

  string(node: Located, what: string): string {
    if (typeof node.value === 'string') return node.value;
    return this.fail(`${what} must be a string, got ${describe(node)}`, node);
  }

  optionalString(parent: Map<string, Located>, key: string, what: string): string | undefined {
    const node = parent.get(key);
    if (node === undefined || node.value === null) return undefined;
    return this.string(node, what);
  }

  list(node: Located, what: string): Located[] {
    if (Array.isArray(node.value)) return node.value;
    return this.fail(`${what} must be a list, got ${describe(node)}`, node);
  }

  /** `undefined` when absent or null (Go nil); `[]` when written as an empty list. */
  optionalStringList(parent: Map<string, Located>, key: string, what: string): string[] | undefined {
    const node = parent.get(key);
    if (node === undefined || node.value === null) return undefined;
    return this.list(node, what).map((item, i) => this.string(item, `${what}[${i}]`));
  }
}

function describe(node: Located): string {
  const v = node.value;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Map) return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

interface Collected {
  mirrorSets: MirrorSetObject[];
  image: ImageConfig | null;
  releaseImage: ClusterObjects['releaseImage'];
  notes: InputNote[];
  seen: Map<string, ObjectRef>;
  imagePolicies: ImagePolicyObject[];
}

function objectName(r: Reader, obj: Map<string, Located>, kind: string, at: Located): string {
  const metadata = r.optionalMap(obj, 'metadata', `${kind} metadata`);
  const name =
    metadata === undefined ? undefined : r.optionalString(metadata, 'name', `${kind} metadata.name`);
  if (name === undefined || name === '') r.fail(`${kind} has no metadata.name`, at);
  return name;
}

function remember(r: Reader, acc: Collected, ref: ObjectRef, at: Located): void {
  const key = `${ref.kind}/${ref.name}`;
  const earlier = acc.seen.get(key);
  if (earlier !== undefined) {
    r.fail(
      `${key} is defined twice (also at ${earlier.file}${earlier.line === null ? '' : `:${earlier.line}`}); a cluster holds one object per name`,
      at,
    );
  }
  acc.seen.set(key, ref);
}

function readMirrorSet(
  r: Reader,
  obj: Map<string, Located>,
  kind: MirrorSetKind,
  at: Located,
  acc: Collected,
): void {
  const name = objectName(r, obj, kind, at);
  const ref: ObjectRef = { kind, name, file: r.file, line: at.line };
  remember(r, acc, ref, at);
  const { listField } = MIRROR_KINDS[kind];
  const spec = obj.get('spec');
  if (spec === undefined || spec.value === null) {
    if (kind === 'ImageContentSourcePolicy') r.fail(`${kind} "${name}": spec: Required value`, at);
    acc.mirrorSets.push({ ref, kind, entries: [] });
    return;
  }
  const specMap = r.map(spec, `${kind} "${name}" spec`);
  prunedFields(r, acc, specMap, [listField], `${kind} "${name}" spec`);
  const listNode = specMap.get(listField);
  const items =
    listNode === undefined || listNode.value === null ? [] : r.list(listNode, `spec.${listField}`);
  const entries: MirrorSetEntry[] = items.map((item, i) => {
    const path = `${kind} "${name}" spec.${listField}[${i}]`;
    const entry = r.map(item, path);
    prunedFields(
      r,
      acc,
      new Map([...entry].filter(([k]) => k !== 'mirrorSourcePolicy' || kind !== 'ImageContentSourcePolicy')),
      ENTRY_FIELDS[kind],
      path,
    );
    const sourceNode = entry.get('source');
    if (sourceNode === undefined || sourceNode.value === null) r.fail(`${path}.source: Required value`, item);
    const source = r.string(sourceNode, `${path}.source`);
    const mirrors = r.optionalStringList(entry, 'mirrors', `${path}.mirrors`) ?? [];
    let policy: MirrorSourcePolicy = '';
    if (kind !== 'ImageContentSourcePolicy') {
      // `mirrors` is a listType=set in the IDMS/ITMS CRDs (not in the ICSP one).
      const duplicate = mirrors.find((m, j) => mirrors.indexOf(m) !== j);
      if (duplicate !== undefined) {
        acc.notes.push({
          message: `${path}.mirrors: Duplicate value: "${duplicate}" (the API server rejects this object; the MCO would accept it)`,
          file: r.file,
          line: entry.get('mirrors')!.line,
        });
      }
      const p = r.optionalString(entry, 'mirrorSourcePolicy', `${path}.mirrorSourcePolicy`) ?? '';
      if (p !== '' && !POLICIES.includes(p)) {
        r.fail(
          `${path}.mirrorSourcePolicy: Unsupported value: "${p}": supported values: "NeverContactSource", "AllowContactingSource"`,
          entry.get('mirrorSourcePolicy')!,
        );
      }
      policy = p as MirrorSourcePolicy;
    } else if (entry.has('mirrorSourcePolicy')) {
      acc.notes.push({
        message: `${path}.mirrorSourcePolicy is not an ImageContentSourcePolicy field; the API server drops it`,
        file: r.file,
        line: entry.get('mirrorSourcePolicy')!.line,
      });
    }
    return { source, mirrors, policy, object: ref, line: item.line };
  });
  acc.mirrorSets.push({ ref, kind, entries });
}

/** The name of a cluster singleton, or null (with a note) for any other object of that kind. */
function singletonName(
  r: Reader,
  obj: Map<string, Located>,
  kind: 'Image' | 'ClusterVersion',
  expected: string,
  at: Located,
  acc: Collected,
): string | null {
  const name = objectName(r, obj, kind, at);
  if (name === expected) return name;
  acc.notes.push({
    message: `${kind} "${name}" is ignored: the MCO reads only the object named "${expected}"`,
    file: r.file,
    line: at.line,
  });
  return null;
}

function readImage(r: Reader, obj: Map<string, Located>, at: Located, acc: Collected): void {
  const name = singletonName(r, obj, 'Image', 'cluster', at, acc);
  if (name === null) return;
  const ref: ObjectRef = { kind: 'Image', name, file: r.file, line: at.line };
  remember(r, acc, ref, at);
  const spec = r.optionalMap(obj, 'spec', 'Image spec');
  if (spec !== undefined) prunedFields(r, acc, spec, IMAGE_SPEC_FIELDS, `Image "${name}" spec`);
  const sourcesMap =
    spec === undefined ? undefined : r.optionalMap(spec, 'registrySources', 'spec.registrySources');
  let registrySources: RegistrySources = {};
  if (sourcesMap !== undefined) {
    prunedFields(r, acc, sourcesMap, REGISTRY_SOURCES_FIELDS, `Image "${name}" spec.registrySources`);
    const list = (key: string) => r.optionalStringList(sourcesMap, key, `spec.registrySources.${key}`);
    const insecureRegistries = list('insecureRegistries');
    const blockedRegistries = list('blockedRegistries');
    const allowedRegistries = list('allowedRegistries');
    const containerRuntimeSearchRegistries = list('containerRuntimeSearchRegistries');
    registrySources = {
      ...(insecureRegistries !== undefined ? { insecureRegistries } : {}),
      ...(blockedRegistries !== undefined ? { blockedRegistries } : {}),
      ...(allowedRegistries !== undefined ? { allowedRegistries } : {}),
      ...(containerRuntimeSearchRegistries !== undefined ? { containerRuntimeSearchRegistries } : {}),
    };
  }
  acc.image = { ref, registrySources };
}

function readClusterVersion(r: Reader, obj: Map<string, Located>, at: Located, acc: Collected): void {
  const name = singletonName(r, obj, 'ClusterVersion', 'version', at, acc);
  if (name === null) return;
  remember(r, acc, { kind: 'ClusterVersion', name, file: r.file, line: at.line }, at);
  const status = r.optionalMap(obj, 'status', 'ClusterVersion status');
  const desired = status === undefined ? undefined : r.optionalMap(status, 'desired', 'status.desired');
  const imageNode = desired?.get('image');
  if (imageNode === undefined || imageNode.value === null) return;
  const origin: SourceLine = { file: r.file, line: imageNode.line };
  acc.releaseImage = { value: r.string(imageNode, 'status.desired.image'), origin };
}

/** `inherited`: the item kind of a typed list (`ImageDigestMirrorSetList` items may omit kind). */
function readObject(
  r: Reader,
  node: Located,
  acc: Collected,
  inherited: { readonly kind?: string; readonly apiVersion?: string } | null,
): void {
  const obj = r.map(node, 'a Kubernetes object');
  const kind = r.optionalString(obj, 'kind', 'kind') ?? inherited?.kind;
  const apiVersion = r.optionalString(obj, 'apiVersion', 'apiVersion') ?? inherited?.apiVersion ?? '';
  if (kind === undefined) r.fail('object has no kind', node);
  if (kind.endsWith('List')) {
    if (inherited !== null) r.fail(`a ${kind} inside a List`, node);
    const itemKind = kind === 'List' ? {} : { kind: kind.slice(0, -'List'.length), apiVersion };
    const items = obj.get('items');
    for (const item of items === undefined || items.value === null ? [] : r.list(items, `${kind} items`))
      readObject(r, item, acc, itemKind);
    return;
  }
  const mirrorKind = MIRROR_KINDS[kind as MirrorSetKind];
  if (mirrorKind !== undefined) {
    if (apiVersion !== mirrorKind.group) {
      r.fail(`${kind} must have apiVersion ${mirrorKind.group}, got "${apiVersion}"`, node);
    }
    prunedFields(r, acc, obj, OBJECT_FIELDS, kind);
    readMirrorSet(r, obj, kind as MirrorSetKind, node, acc);
  } else if (IMAGE_POLICY_KINDS.includes(kind) && IMAGE_POLICY_API_VERSIONS.includes(apiVersion)) {
    const policy = readImagePolicy(r.file, obj, kind as ImagePolicyKind, apiVersion, node);
    const name = policy.namespace === null ? policy.ref.name : `${policy.namespace}/${policy.ref.name}`;
    remember(r, acc, { ...policy.ref, name }, node);
    acc.imagePolicies.push(policy);
  } else if (kind === 'Image' && apiVersion === 'config.openshift.io/v1') {
    readImage(r, obj, node, acc);
  } else if (kind === 'ClusterVersion' && apiVersion === 'config.openshift.io/v1') {
    readClusterVersion(r, obj, node, acc);
  } else {
    acc.notes.push({
      message: `${apiVersion || '(no apiVersion)'} ${kind} is not read by the MCO's registries rendering; ignored${didYouMeanClause(kind, [...Object.keys(MIRROR_KINDS), 'Image', 'ClusterVersion'])}`,
      file: r.file,
      line: node.line,
    });
  }
}

function collecting(): Collected {
  return { mirrorSets: [], image: null, releaseImage: null, notes: [], seen: new Map(), imagePolicies: [] };
}

function collected(acc: Collected): ClusterObjects {
  const { mirrorSets, image, releaseImage, notes, imagePolicies } = acc;
  return { mirrorSets, image, releaseImage, notes, imagePolicies };
}

/** Reads every object of every file, in order. Throws `config-invalid` naming file and line. */
export function parseClusterObjects(files: readonly ConfigFile[]): ClusterObjects {
  const acc = collecting();
  for (const file of files) {
    const r = new Reader(file.path);
    for (const doc of parseYamlDocuments(file)) {
      if (doc.root.value === null) continue;
      readObject(r, doc.root, acc, null);
    }
  }
  return collected(acc);
}

/** JSON as the API serves it, in the tree the readers take (API objects have no lines). */
export function locate(value: unknown, depth: number): Located {
  if (depth > 64) return { value: null, line: null };
  if (Array.isArray(value)) return { value: value.map((v) => locate(v, depth + 1)), line: null };
  if (typeof value === 'object' && value !== null) {
    const map = new Map<string, Located>();
    for (const [k, v] of Object.entries(value)) map.set(k, locate(v, depth + 1));
    return { value: map, line: null };
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return { value, line: null };
  return { value: null, line: null };
}

export interface ApiObject {
  readonly object: unknown;
  /** How messages name it, e.g. `imagedigestmirrorsets/mirrors`. */
  readonly label: string;
  /** The kind and apiVersion of the resource it was listed from (list items may omit them). */
  readonly kind: string;
  readonly apiVersion: string;
}

/**
 * Objects read from the API server. One malformed object (the API server validates, but a CRD may
 * be older or newer than ours) becomes a note and is left out; the others still render.
 */
export function clusterObjectsFromApi(objects: readonly ApiObject[]): ClusterObjects {
  const acc = collecting();
  for (const o of objects) {
    try {
      readObject(new Reader(o.label), locate(o.object, 0), acc, { kind: o.kind, apiVersion: o.apiVersion });
    } catch (err) {
      if (!(err instanceof MirrorscopeError)) throw err;
      // The note names the object itself; the error's own "label: " prefix would repeat it.
      const text = err.message.startsWith(`${o.label}: `)
        ? err.message.slice(o.label.length + 2)
        : err.message;
      acc.notes.push({ message: `left out: ${text}`, file: o.label, line: null });
    }
  }
  return collected(acc);
}
