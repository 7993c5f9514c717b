// The objects admission decisions read, from YAML/JSON documents (several per file, or `kind: List`):
// Portieris ImagePolicy/ClusterImagePolicy, Secrets (keys, store credentials), Namespaces (labels for
// namespaceSelector), Gatekeeper ConstraintTemplates and constraints (with their audit status).
// Field types are checked as the CRD schemas make the API server check them; fields a schema does
// not have are pruned by the API server, so they are reported and dropped, never read.
import { configError, MirrorscopeError } from '../errors.js';
import type { ConfigFile } from '../registries/types.js';
import { locate, type ApiObject } from '../mco/parse-objects.js';
import { parseYamlDocuments, type Located } from '../mco/yaml-tree.js';
import type { ObjectSource } from './types.js';

export interface ObjectMeta {
  readonly kind: string;
  readonly name: string;
  /** As written; null when the object names none (`kubectl apply -n` would supply it). */
  readonly namespace: string | null;
  readonly labels: ReadonlyMap<string, string>;
  readonly source: ObjectSource;
}

export interface SignedIdentitySpec {
  readonly type: string;
  readonly dockerReference: string;
  readonly dockerRepository: string;
  readonly prefix: string;
  readonly signedPrefix: string;
}

export interface SimpleRequirementSpec {
  readonly type: string;
  readonly keySecret: string;
  readonly keySecretNamespace: string;
  readonly signedIdentity: SignedIdentitySpec;
  readonly line: number | null;
}

/** Portieris' `Policy` struct; absent pointers are null, absent strings "". */
export interface PortierisPolicySpec {
  readonly trust: {
    readonly enabled: boolean | null;
    readonly signerSecrets: readonly string[];
    readonly trustServer: string;
  };
  readonly simple: {
    readonly requirements: readonly SimpleRequirementSpec[];
    readonly storeURL: string;
    readonly storeSecret: string;
  };
  readonly vulnerability: { readonly iccrvaEnabled: boolean | null; readonly account: string };
  readonly mutateImage: boolean | null;
}

export interface PortierisRepository {
  readonly name: string;
  readonly line: number | null;
  readonly policy: PortierisPolicySpec;
}

export interface PortierisPolicyObject {
  readonly meta: ObjectMeta;
  readonly kind: 'ImagePolicy' | 'ClusterImagePolicy';
  readonly repositories: readonly PortierisRepository[];
}

export interface SecretObject {
  readonly meta: ObjectMeta;
  /** `data` decoded, overlaid with `stringData` as the API server does. Never printed. */
  readonly data: ReadonlyMap<string, Uint8Array>;
}

export interface NamespaceObject {
  readonly meta: ObjectMeta;
}

export interface ConstraintTemplateObject {
  readonly meta: ObjectMeta;
  /** The constraint kind it creates (`spec.crd.spec.names.kind`). */
  readonly constraintKind: string;
  /** Rego of the `admission.k8s.gatekeeper.sh` target; null when it has none (e.g. CEL only). */
  readonly rego: string | null;
  /** Engines of `code` entries (`K8sNativeValidation` is CEL). */
  readonly codeEngines: readonly string[];
}

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values: readonly string[] | null;
}

export interface LabelSelector {
  readonly matchLabels: ReadonlyMap<string, string>;
  readonly matchExpressions: readonly LabelSelectorRequirement[];
}

export interface ConstraintMatch {
  readonly kinds: readonly { readonly apiGroups: readonly string[]; readonly kinds: readonly string[] }[];
  readonly namespaces: readonly string[];
  readonly excludedNamespaces: readonly string[];
  readonly labelSelector: LabelSelector | null;
  readonly namespaceSelector: LabelSelector | null;
  readonly scope: string;
  readonly name: string;
  readonly source: string;
}

export interface AuditViolation {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | null;
  readonly message: string;
  readonly enforcementAction: string;
}

export interface ConstraintObject {
  readonly meta: ObjectMeta;
  readonly match: ConstraintMatch;
  /** `spec.parameters` as plain JSON values. */
  readonly parameters: unknown;
  readonly enforcementAction: string;
  /** Actions of `scopedEnforcementActions` that apply to the admission webhook. */
  readonly webhookActions: readonly string[];
  readonly violations: readonly AuditViolation[];
  readonly totalViolations: number | null;
  readonly auditTimestamp: string | null;
}

export interface AdmissionObjects {
  readonly portierisPolicies: readonly PortierisPolicyObject[];
  readonly secrets: readonly SecretObject[];
  readonly namespaces: readonly NamespaceObject[];
  readonly templates: readonly ConstraintTemplateObject[];
  readonly constraints: readonly ConstraintObject[];
  /** Objects or fields the controllers never see (pruned or not theirs), with where they are. */
  readonly notes: readonly {
    readonly file: string;
    readonly line: number | null;
    readonly message: string;
  }[];
}

type Fields = Map<string, Located>;

class ObjectReader {
  constructor(readonly file: string) {}

  fail(message: string, at: Located | null): never {
    throw configError(message, { file: this.file, line: at?.line ?? null });
  }

  fields(node: Located, what: string): Fields {
    if (node.value instanceof Map) return node.value;
    return this.fail(`${what} must be an object, got ${kindOf(node)}`, node);
  }

  /** Absent and null both read as "not set", as Go's JSON decoding does. */
  child(parent: Fields, key: string): Located | undefined {
    const node = parent.get(key);
    return node === undefined || node.value === null ? undefined : node;
  }

  /** A nested object; absent or null reads as an empty one (Go's zero struct). */
  object(parent: Fields, key: string, what: string): Fields {
    const node = this.child(parent, key);
    return node === undefined ? new Map<string, Located>() : this.fields(node, what);
  }

  text(parent: Fields, key: string, what: string): string {
    const node = this.child(parent, key);
    if (node === undefined) return '';
    if (typeof node.value !== 'string')
      this.fail(`${what}.${key} must be a string, got ${kindOf(node)}`, node);
    return node.value;
  }

  flag(parent: Fields, key: string, what: string): boolean | null {
    const node = this.child(parent, key);
    if (node === undefined) return null;
    if (typeof node.value !== 'boolean')
      this.fail(`${what}.${key} must be a boolean, got ${kindOf(node)}`, node);
    return node.value;
  }

  items(parent: Fields, key: string, what: string): Located[] {
    const node = this.child(parent, key);
    if (node === undefined) return [];
    if (!Array.isArray(node.value)) this.fail(`${what}.${key} must be a list, got ${kindOf(node)}`, node);
    return node.value;
  }

  strings(parent: Fields, key: string, what: string): string[] {
    return this.items(parent, key, what).map((item, i) => {
      if (typeof item.value !== 'string')
        this.fail(`${what}.${key}[${i}] must be a string, got ${kindOf(item)}`, item);
      return item.value;
    });
  }

  stringMap(parent: Fields, key: string, what: string): Map<string, string> {
    const node = this.child(parent, key);
    const out = new Map<string, string>();
    if (node === undefined) return out;
    for (const [k, v] of this.fields(node, `${what}.${key}`)) {
      if (typeof v.value !== 'string') this.fail(`${what}.${key}.${k} must be a string, got ${kindOf(v)}`, v);
      out.set(k, v.value);
    }
    return out;
  }
}

function kindOf(node: Located): string {
  const v = node.value;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Map) return 'an object';
  return typeof v;
}

export function plainValue(node: Located): unknown {
  const v = node.value;
  if (Array.isArray(v)) return v.map(plainValue);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, c]) => [k, plainValue(c)]));
  return v;
}

interface Collector {
  portierisPolicies: PortierisPolicyObject[];
  secrets: SecretObject[];
  namespaces: NamespaceObject[];
  templates: ConstraintTemplateObject[];
  constraints: ConstraintObject[];
  notes: { file: string; line: number | null; message: string }[];
}

function readMeta(r: ObjectReader, obj: Fields, kind: string, at: Located): ObjectMeta {
  const meta = r.object(obj, 'metadata', `${kind} metadata`);
  const name = r.text(meta, 'name', `${kind} metadata`);
  if (name === '') r.fail(`${kind} has no metadata.name`, at);
  const namespace = r.text(meta, 'namespace', `${kind} "${name}" metadata`);
  return {
    kind,
    name,
    namespace: namespace === '' ? null : namespace,
    labels: r.stringMap(meta, 'labels', `${kind} "${name}" metadata`),
    source: { file: r.file, line: at.line },
  };
}

/** Reports keys a CRD schema does not define: the API server prunes them, so nothing ever reads them. */
function notePruned(
  r: ObjectReader,
  acc: Collector,
  fields: Fields,
  known: readonly string[],
  what: string,
  why: string,
): void {
  for (const [key, node] of fields) {
    if (!known.includes(key)) {
      acc.notes.push({
        file: r.file,
        line: node.line,
        message: `${what}.${key} is not in the CRD schema: the API server prunes it and ${why}`,
      });
    }
  }
}

function readIdentity(r: ObjectReader, parent: Fields, what: string): SignedIdentitySpec {
  const w = `${what}.signedIdentity`;
  const f = r.object(parent, 'signedIdentity', w);
  return {
    type: r.text(f, 'type', w),
    dockerReference: r.text(f, 'dockerReference', w),
    dockerRepository: r.text(f, 'dockerRepository', w),
    prefix: r.text(f, 'prefix', w),
    signedPrefix: r.text(f, 'signedPrefix', w),
  };
}

function readPortierisPolicy(
  r: ObjectReader,
  acc: Collector,
  repo: Fields,
  what: string,
): PortierisPolicySpec {
  const f = r.object(repo, 'policy', what);
  notePruned(r, acc, f, ['trust', 'simple', 'vulnerability', 'mutateImage'], what, 'Portieris never sees it');
  const trust = r.object(f, 'trust', `${what}.trust`);
  const simple = r.object(f, 'simple', `${what}.simple`);
  const vuln = r.object(f, 'vulnerability', `${what}.vulnerability`);
  const va = r.object(vuln, 'ICCRVA', `${what}.vulnerability.ICCRVA`);
  const requirements = r.items(simple, 'requirements', `${what}.simple`).map((item, i) => {
    const w = `${what}.simple.requirements[${i}]`;
    const req = r.fields(item, w);
    return {
      type: r.text(req, 'type', w),
      keySecret: r.text(req, 'keySecret', w),
      keySecretNamespace: r.text(req, 'keySecretNamespace', w),
      signedIdentity: readIdentity(r, req, w),
      line: item.line,
    };
  });
  const signerSecrets = r
    .items(trust, 'signerSecrets', `${what}.trust`)
    .map((item, i) =>
      r.text(
        r.fields(item, `${what}.trust.signerSecrets[${i}]`),
        'name',
        `${what}.trust.signerSecrets[${i}]`,
      ),
    );
  return {
    trust: {
      enabled: r.flag(trust, 'enabled', `${what}.trust`),
      signerSecrets,
      trustServer: r.text(trust, 'trustServer', `${what}.trust`),
    },
    simple: {
      requirements,
      storeURL: r.text(simple, 'storeURL', `${what}.simple`),
      storeSecret: r.text(simple, 'storeSecret', `${what}.simple`),
    },
    vulnerability: {
      iccrvaEnabled: r.flag(va, 'enabled', `${what}.vulnerability.ICCRVA`),
      account: r.text(va, 'account', `${what}.vulnerability.ICCRVA`),
    },
    mutateImage: r.flag(f, 'mutateImage', what),
  };
}

function readPortieris(
  r: ObjectReader,
  acc: Collector,
  obj: Fields,
  kind: 'ImagePolicy' | 'ClusterImagePolicy',
  at: Located,
): void {
  const meta = readMeta(r, obj, kind, at);
  const what = `${kind} "${meta.name}" spec`;
  const spec = r.object(obj, 'spec', what);
  const repositories = r.items(spec, 'repositories', what).map((item, i) => {
    const w = `${what}.repositories[${i}]`;
    const repo = r.fields(item, w);
    notePruned(r, acc, repo, ['name', 'policy'], w, 'Portieris never sees it');
    return {
      name: r.text(repo, 'name', w),
      line: item.line,
      policy: readPortierisPolicy(r, acc, repo, `${w}.policy`),
    };
  });
  acc.portierisPolicies.push({
    meta: kind === 'ClusterImagePolicy' ? { ...meta, namespace: null } : meta,
    kind,
    repositories,
  });
}

function decodeBase64(r: ObjectReader, node: Located, what: string): Uint8Array {
  if (typeof node.value !== 'string') r.fail(`${what} must be a base64 string, got ${kindOf(node)}`, node);
  const text = node.value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0)
    r.fail(`${what} is not valid base64 (the API server refuses the Secret)`, node);
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function readSecret(r: ObjectReader, acc: Collector, obj: Fields, at: Located): void {
  const meta = readMeta(r, obj, 'Secret', at);
  const data = new Map<string, Uint8Array>();
  const dataNode = r.child(obj, 'data');
  if (dataNode !== undefined) {
    for (const [k, v] of r.fields(dataNode, `Secret "${meta.name}" data`))
      data.set(k, decodeBase64(r, v, `Secret "${meta.name}" data.${k}`));
  }
  for (const [k, v] of r.stringMap(obj, 'stringData', `Secret "${meta.name}"`))
    data.set(k, new TextEncoder().encode(v));
  acc.secrets.push({ meta, data });
}

function readTemplate(r: ObjectReader, acc: Collector, obj: Fields, at: Located): void {
  const meta = readMeta(r, obj, 'ConstraintTemplate', at);
  const what = `ConstraintTemplate "${meta.name}" spec`;
  const spec = r.object(obj, 'spec', what);
  const crd = r.object(spec, 'crd', `${what}.crd`);
  const crdSpec = r.object(crd, 'spec', `${what}.crd.spec`);
  const names = r.object(crdSpec, 'names', `${what}.crd.spec.names`);
  const constraintKind = r.text(names, 'kind', `${what}.crd.spec.names`);
  if (constraintKind === '') r.fail(`${what}.crd.spec.names.kind: Required value`, at);
  let rego: string | null = null;
  const codeEngines: string[] = [];
  for (const [i, item] of r.items(spec, 'targets', what).entries()) {
    const w = `${what}.targets[${i}]`;
    const target = r.fields(item, w);
    if (r.text(target, 'target', w) !== 'admission.k8s.gatekeeper.sh') continue;
    const text = r.text(target, 'rego', w);
    if (text !== '') rego = text;
    for (const [j, code] of r.items(target, 'code', w).entries())
      codeEngines.push(r.text(r.fields(code, `${w}.code[${j}]`), 'engine', `${w}.code[${j}]`));
  }
  acc.templates.push({ meta: { ...meta, namespace: null }, constraintKind, rego, codeEngines });
}

function readSelector(r: ObjectReader, parent: Fields, key: string, what: string): LabelSelector | null {
  const node = r.child(parent, key);
  if (node === undefined) return null;
  const f = r.fields(node, `${what}.${key}`);
  return {
    matchLabels: r.stringMap(f, 'matchLabels', `${what}.${key}`),
    matchExpressions: r.items(f, 'matchExpressions', `${what}.${key}`).map((item, i) => {
      const w = `${what}.${key}.matchExpressions[${i}]`;
      const e = r.fields(item, w);
      return {
        key: r.text(e, 'key', w),
        operator: r.text(e, 'operator', w),
        values: r.child(e, 'values') === undefined ? null : r.strings(e, 'values', w),
      };
    }),
  };
}

function readMatch(r: ObjectReader, spec: Fields, what: string): ConstraintMatch {
  const w = `${what}.match`;
  const f = r.object(spec, 'match', w);
  return {
    kinds: r.items(f, 'kinds', w).map((item, i) => {
      const k = r.fields(item, `${w}.kinds[${i}]`);
      return {
        apiGroups: r.strings(k, 'apiGroups', `${w}.kinds[${i}]`),
        kinds: r.strings(k, 'kinds', `${w}.kinds[${i}]`),
      };
    }),
    namespaces: r.strings(f, 'namespaces', w),
    excludedNamespaces: r.strings(f, 'excludedNamespaces', w),
    labelSelector: readSelector(r, f, 'labelSelector', w),
    namespaceSelector: readSelector(r, f, 'namespaceSelector', w),
    scope: r.text(f, 'scope', w),
    name: r.text(f, 'name', w),
    source: r.text(f, 'source', w),
  };
}

/** The actions of `scopedEnforcementActions` whose enforcement points include the admission webhook. */
function readScopedActions(r: ObjectReader, spec: Fields, what: string): string[] {
  const actions: string[] = [];
  for (const [i, item] of r.items(spec, 'scopedEnforcementActions', what).entries()) {
    const w = `${what}.scopedEnforcementActions[${i}]`;
    const f = r.fields(item, w);
    const points = r
      .items(f, 'enforcementPoints', w)
      .map((p, j) =>
        r.text(r.fields(p, `${w}.enforcementPoints[${j}]`), 'name', `${w}.enforcementPoints[${j}]`),
      );
    if (points.includes('validation.gatekeeper.sh') || points.includes('*'))
      actions.push(r.text(f, 'action', w));
  }
  return actions;
}

function readConstraint(r: ObjectReader, acc: Collector, obj: Fields, kind: string, at: Located): void {
  const meta = readMeta(r, obj, kind, at);
  const what = `${kind} "${meta.name}" spec`;
  const spec = r.object(obj, 'spec', what);
  const sw = `${kind} "${meta.name}" status`;
  const status = r.object(obj, 'status', sw);
  const violations = r.items(status, 'violations', sw).map((item, i) => {
    const w = `${sw}.violations[${i}]`;
    const v = r.fields(item, w);
    const namespace = r.text(v, 'namespace', w);
    return {
      kind: r.text(v, 'kind', w),
      name: r.text(v, 'name', w),
      namespace: namespace === '' ? null : namespace,
      message: r.text(v, 'message', w),
      enforcementAction: r.text(v, 'enforcementAction', w),
    };
  });
  const total = r.child(status, 'totalViolations');
  const paramsNode = r.child(spec, 'parameters');
  acc.constraints.push({
    meta: { ...meta, namespace: null },
    match: readMatch(r, spec, what),
    parameters: paramsNode === undefined ? undefined : plainValue(paramsNode),
    enforcementAction: r.text(spec, 'enforcementAction', what) || 'deny',
    webhookActions: readScopedActions(r, spec, what),
    violations,
    totalViolations: total !== undefined && typeof total.value === 'number' ? total.value : null,
    auditTimestamp: r.text(status, 'auditTimestamp', sw) || null,
  });
}

function readObject(
  r: ObjectReader,
  acc: Collector,
  node: Located,
  inherited: { readonly kind: string; readonly apiVersion: string } | null,
): void {
  const obj = r.fields(node, 'a document');
  const kind = r.text(obj, 'kind', 'object') || inherited?.kind || '';
  const apiVersion = r.text(obj, 'apiVersion', 'object') || inherited?.apiVersion || '';
  if (kind === '') r.fail('object has no kind', node);
  if (kind.endsWith('List')) {
    if (inherited !== null) r.fail(`a ${kind} inside a List`, node);
    const itemKind = kind === 'List' ? { kind: '', apiVersion: '' } : { kind: kind.slice(0, -4), apiVersion };
    for (const item of r.items(obj, 'items', kind)) readObject(r, acc, item, itemKind);
    return;
  }
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (group === 'portieris.cloud.ibm.com' && (kind === 'ImagePolicy' || kind === 'ClusterImagePolicy'))
    readPortieris(r, acc, obj, kind, node);
  else if (apiVersion === 'v1' && kind === 'Secret') readSecret(r, acc, obj, node);
  else if (apiVersion === 'v1' && kind === 'Namespace')
    acc.namespaces.push({ meta: { ...readMeta(r, obj, kind, node), namespace: null } });
  else if (group === 'templates.gatekeeper.sh' && kind === 'ConstraintTemplate')
    readTemplate(r, acc, obj, node);
  else if (group === 'constraints.gatekeeper.sh') readConstraint(r, acc, obj, kind, node);
  else
    acc.notes.push({
      file: r.file,
      line: node.line,
      message: `${apiVersion || '(no apiVersion)'} ${kind} is not read for admission decisions; ignored`,
    });
}

export function emptyAdmissionObjects(): AdmissionObjects {
  return collector();
}

function collector(): Collector {
  return { portierisPolicies: [], secrets: [], namespaces: [], templates: [], constraints: [], notes: [] };
}

/** Every object of every file; throws `config-invalid` naming the file and line of the first bad one. */
export function parseAdmissionObjects(files: readonly ConfigFile[]): AdmissionObjects {
  const acc = collector();
  for (const file of files) {
    const r = new ObjectReader(file.path);
    for (const doc of parseYamlDocuments(file)) {
      // An empty document (`---` with nothing after it) is skipped, as kubectl skips it.
      if (doc.root.value !== null) readObject(r, acc, doc.root, null);
    }
  }
  return acc;
}

/**
 * Objects listed from the API server. One the API server should have refused is skipped with a
 * note instead of stopping the others.
 */
export function admissionObjectsFromApi(objects: readonly ApiObject[]): AdmissionObjects {
  const acc = collector();
  for (const o of objects) {
    try {
      readObject(new ObjectReader(o.label), acc, locate(o.object, 0), {
        kind: o.kind,
        apiVersion: o.apiVersion,
      });
    } catch (err) {
      if (!(err instanceof MirrorscopeError)) throw err;
      acc.notes.push({ file: o.label, line: null, message: `${err.message}; skipped` });
    }
  }
  return acc;
}
