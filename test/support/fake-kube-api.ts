// An HTTP fake of the Kubernetes API for the collector's tests: it serves real API object JSON (Pods,
// Nodes, Events — lists and watch streams —, a Pod by name, TokenReview, SubjectAccessReview,
// ConfigMaps) so the collector's production @kubernetes/client-node calls run unchanged against it
// (a kubeconfig with `insecure-skip-tls-verify` and a bearer token points at it). Not a Kubernetes:
// just enough of the wire behaviour (resourceVersions, watch replay, field/label selectors, Status
// errors) to be honest.
// With `openshift` on it also serves the cluster-scoped OpenShift custom resources the mirror
// diagnosis reads (ICSP, IDMS, ITMS, Image, ClusterVersion, MachineConfigPool, MachineConfig) under
// /apis/{group}/{version}/{plural}, and API discovery (/apis, /apis/{group}, /apis/{group}/{version}).
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeKubeWrites } from './fake-kube-writes.js';

/** A stored API object (what `upsert` takes and `get` returns). */
export type Obj = {
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
};
type CoreKind = 'pods' | 'nodes' | 'events' | 'configmaps' | 'secrets' | 'serviceaccounts';
/** The OpenShift custom resources the fake serves when `openshift` is on (imagepolicies namespaced). */
export type OpenShiftKind =
  | 'imagecontentsourcepolicies'
  | 'clusterimagepolicies'
  | 'imagepolicies'
  | 'imagedigestmirrorsets'
  | 'imagetagmirrorsets'
  | 'images'
  | 'clusterversions'
  | 'machineconfigpools'
  | 'machineconfigs';
export type Kind = CoreKind | OpenShiftKind;

interface KindInfo {
  readonly kind: string;
  readonly list: string;
  readonly namespaced: boolean;
  /** '' for the core group (served under /api/v1). */
  readonly group: string;
  readonly version: string;
  readonly singular: string;
  readonly shortNames?: readonly string[];
  /** Has a `status` subresource (listed in discovery as `<plural>/status`). */
  readonly status?: boolean;
}

const KIND_INFO: Record<Kind, KindInfo> = {
  pods: { kind: 'Pod', list: 'PodList', namespaced: true, group: '', version: 'v1', singular: 'pod' },
  nodes: { kind: 'Node', list: 'NodeList', namespaced: false, group: '', version: 'v1', singular: 'node' },
  events: { kind: 'Event', list: 'EventList', namespaced: true, group: '', version: 'v1', singular: 'event' },
  configmaps: {
    kind: 'ConfigMap',
    list: 'ConfigMapList',
    namespaced: true,
    group: '',
    version: 'v1',
    singular: 'configmap',
  },
  secrets: {
    kind: 'Secret',
    list: 'SecretList',
    namespaced: true,
    group: '',
    version: 'v1',
    singular: 'secret',
  },
  serviceaccounts: {
    kind: 'ServiceAccount',
    list: 'ServiceAccountList',
    namespaced: true,
    group: '',
    version: 'v1',
    singular: 'serviceaccount',
  },
  imagecontentsourcepolicies: {
    kind: 'ImageContentSourcePolicy',
    list: 'ImageContentSourcePolicyList',
    namespaced: false,
    group: 'operator.openshift.io',
    version: 'v1alpha1',
    singular: 'imagecontentsourcepolicy',
    status: true,
  },
  imagedigestmirrorsets: {
    kind: 'ImageDigestMirrorSet',
    list: 'ImageDigestMirrorSetList',
    namespaced: false,
    group: 'config.openshift.io',
    version: 'v1',
    singular: 'imagedigestmirrorset',
    shortNames: ['idms'],
    status: true,
  },
  imagetagmirrorsets: {
    kind: 'ImageTagMirrorSet',
    list: 'ImageTagMirrorSetList',
    namespaced: false,
    group: 'config.openshift.io',
    version: 'v1',
    singular: 'imagetagmirrorset',
    shortNames: ['itms'],
    status: true,
  },
  clusterimagepolicies: {
    kind: 'ClusterImagePolicy',
    list: 'ClusterImagePolicyList',
    namespaced: false,
    group: 'config.openshift.io',
    version: 'v1',
    singular: 'clusterimagepolicy',
    status: true,
  },
  imagepolicies: {
    kind: 'ImagePolicy',
    list: 'ImagePolicyList',
    namespaced: true,
    group: 'config.openshift.io',
    version: 'v1',
    singular: 'imagepolicy',
    status: true,
  },
  images: {
    kind: 'Image',
    list: 'ImageList',
    namespaced: false,
    group: 'config.openshift.io',
    version: 'v1',
    singular: 'image',
    status: true,
  },
  clusterversions: {
    kind: 'ClusterVersion',
    list: 'ClusterVersionList',
    namespaced: false,
    group: 'config.openshift.io',
    version: 'v1',
    singular: 'clusterversion',
    status: true,
  },
  machineconfigpools: {
    kind: 'MachineConfigPool',
    list: 'MachineConfigPoolList',
    namespaced: false,
    group: 'machineconfiguration.openshift.io',
    version: 'v1',
    singular: 'machineconfigpool',
    shortNames: ['mcp'],
    status: true,
  },
  machineconfigs: {
    kind: 'MachineConfig',
    list: 'MachineConfigList',
    namespaced: false,
    group: 'machineconfiguration.openshift.io',
    version: 'v1',
    singular: 'machineconfig',
    shortNames: ['mc'],
  },
};

const KINDS = Object.keys(KIND_INFO) as Kind[];
export const OPENSHIFT_KINDS: readonly OpenShiftKind[] = KINDS.filter(
  (k): k is OpenShiftKind => KIND_INFO[k].group !== '',
);

/** `v1` for core kinds, `group/version` for the others. */
export function apiVersionOf(kind: Kind): string {
  const info = KIND_INFO[kind];
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}

/** The Kubernetes `kind` (e.g. `MachineConfigPool`) stored for a plural. */
export function kindOf(kind: Kind): string {
  return KIND_INFO[kind].kind;
}

/** Built-in groups the fake serves whatever `openshift` says (discovery lists them as a real server does). */
const BUILTIN_GROUPS: Record<string, { version: string; resources: { name: string; kind: string }[] }> = {
  'authentication.k8s.io': { version: 'v1', resources: [{ name: 'tokenreviews', kind: 'TokenReview' }] },
  'authorization.k8s.io': {
    version: 'v1',
    resources: [{ name: 'subjectaccessreviews', kind: 'SubjectAccessReview' }],
  },
};

/** Verbs a real API server lists for a CRD's main resource and its status subresource. */
const CRD_VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];
const STATUS_VERBS = ['get', 'patch', 'update'];

/** A custom resource the fake lists (no watch), e.g. Portieris' imagepolicies. */
export interface CustomResourceDef {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

export interface FakeKubeApiOptions {
  /** Serve the OpenShift groups (default false: a plain Kubernetes, where they are unknown). */
  readonly openshift?: boolean;
}

export interface FakeToken {
  readonly username: string;
  readonly groups?: readonly string[];
  readonly audiences: readonly string[];
  readonly extra?: Record<string, string[]>;
}

export interface FakeRule {
  readonly user: string;
  readonly verb: string;
  readonly resource: string;
  readonly subresource?: string;
}

/** A Service the fake serves (GET) and proxies to (`…/services/[scheme:]name[:port]/proxy/…`). */
export interface FakeService {
  readonly namespace: string;
  readonly name: string;
  /** The Service's port (number and name), and the scheme its pods serve. */
  readonly port: number;
  readonly portName: string;
  readonly scheme: 'http' | 'https';
  /** Where its ready pods answer (http://127.0.0.1:…); null: no ready endpoints. */
  target: string | null;
  readonly annotations?: Record<string, string>;
}

/** What `pods/exec` runs: the pod, the container and the command; its output and exit code. */
export type FakeExec = (
  pod: Obj,
  container: string,
  command: readonly string[],
) => Promise<{ stdout: string; stderr: string; exitCode: number }>;

/** The audience of ordinary API tokens (what a TokenReview without spec.audiences checks). */
export const API_AUDIENCE = 'https://kubernetes.default.svc';
/** The agent DaemonSet's service account in the shipped namespace. */
export const AGENT_SA = 'system:serviceaccount:mirrorscope:mirrorscope-agent';

interface Watcher {
  readonly kind: Kind;
  readonly res: ServerResponse;
  readonly matches: (o: Obj) => boolean;
}

function status(code: number, reason: string, message: string, details?: object): object {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details === undefined ? {} : { details }),
    code,
  };
}

/** What a real API server answers for a path no installed group/resource serves. */
const UNKNOWN_RESOURCE = status(404, 'NotFound', 'the server could not find the requested resource', {});

function field(o: Obj, dotted: string): string | undefined {
  let cur: unknown = o;
  for (const part of dotted.split('.')) cur = (cur as Record<string, unknown> | undefined)?.[part];
  return cur === undefined || cur === null ? undefined : String(cur);
}

/** Splits a selector on the commas that are not inside `in (a,b)` value sets. */
function requirements(selector: string | null): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector ?? '') {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out.filter(Boolean);
}

function labelRequirement(r: string): (labels: Record<string, string>) => boolean {
  const set = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(r);
  if (set !== null) {
    const [, k, op, vs] = set as unknown as [string, string, string, string];
    const values = vs.split(',').map((v) => v.trim());
    return (l) => (op === 'in' ? k in l && values.includes(l[k]!) : !(k in l) || !values.includes(l[k]!));
  }
  if (r.startsWith('!')) return (l) => !(r.slice(1).trim() in l);
  const eq = /^([^!=]+?)\s*(!=|==|=)\s*(.*)$/.exec(r);
  if (eq === null) return (l) => r in l;
  const [, k, op, v] = eq as unknown as [string, string, string, string];
  return op === '!=' ? (l) => l[k] !== v : (l) => l[k] === v;
}

function selectorMatcher(fieldSelector: string | null, labelSelector: string | null): (o: Obj) => boolean {
  const fields = requirements(fieldSelector).map((r) => {
    const [k, v] = r.split(/!?==?/) as [string, string];
    const negate = r.includes('!=');
    return (o: Obj) => (field(o, k) === v) !== negate;
  });
  const labels = requirements(labelSelector).map(labelRequirement);
  return (o) => fields.every((f) => f(o)) && labels.every((l) => l(o.metadata.labels ?? {}));
}

export class FakeKubeApi {
  private server: Server | null = null;
  private rv = 1000;
  private readonly store = Object.fromEntries(KINDS.map((k) => [k, new Map<string, Obj>()])) as Record<
    Kind,
    Map<string, Obj>
  >;
  private readonly history: { kind: Kind; type: string; object: Obj; rv: number }[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly failures: { prefix: string; status: number; times: number }[] = [];
  readonly tokens = new Map<string, FakeToken>();
  readonly rules: FakeRule[] = [];
  /** `METHOD /path` → count, to see what the collector asked (and how often). */
  readonly requests = new Map<string, number>();
  url = '';
  /**
   * Other custom resources (Portieris, Gatekeeper, …), listed but not watched: `group/version/plural`
   * → definition and objects. Discovery lists them while they are here.
   */
  readonly customResources = new Map<string, { def: CustomResourceDef; items: Obj[] }>();
  /** Namespaces served at /api/v1/namespaces (list only). */
  readonly namespaces: Obj[] = [];
  /** `kind/namespace/name` answered 403 Forbidden, as RBAC would (e.g. `secrets/shop/creds`). */
  readonly forbidden = new Set<string>();
  /** Serve the OpenShift groups; may be flipped while running (discovery and paths follow at once). */
  openshift: boolean;
  /** Services by `namespace/name`, served and proxied with the caller's own identity and RBAC. */
  readonly services = new Map<string, FakeService>();
  /** Runs `pods/exec` (the channel.k8s.io WebSocket protocol); null: exec is refused. */
  exec: FakeExec | null = null;
  /** Requests that went through the service proxy: who, and the path the backend saw. */
  readonly proxied: { user: string; method: string; path: string; authorization: string | undefined }[] = [];
  /** nodes/status server-side apply, Event writes and writable CRDs (./fake-kube-writes.ts). */
  readonly writes = new FakeKubeWrites(this);

  /** `token` is an agent's projected token (audience `mirrorscope`) bound to a pod on `node`. */
  agentToken(token: string, node: string): void {
    this.tokens.set(token, {
      username: AGENT_SA,
      audiences: ['mirrorscope'],
      extra: { 'authentication.kubernetes.io/node-name': [node] },
    });
  }

  /** `token` is `user`'s (API audience), who may read the report and trace (get nodes, nodes/proxy). */
  traceUser(token: string, user: string): void {
    this.tokens.set(token, { username: user, audiences: [API_AUDIENCE] });
    this.rules.push(
      { user, verb: 'get', resource: 'nodes', subresource: 'proxy' },
      { user, verb: 'get', resource: 'nodes' },
    );
  }

  constructor(
    readonly adminToken = 'collector-sa-token',
    options: FakeKubeApiOptions = {},
  ) {
    this.openshift = options.openshift ?? false;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) =>
        this.send(res, 500, status(500, 'InternalError', String(err))),
      );
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.execUpgrade(req, socket, head),
    );
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server === null ? resolve() : this.server.close(() => resolve()),
    );
  }

  /** A kubeconfig file that points client-node at this fake with the collector's token. */
  writeKubeconfig(dir = mkdtempSync(path.join(tmpdir(), 'fake-kube-'))): string {
    const file = path.join(dir, 'kubeconfig');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: ${this.url}
    insecure-skip-tls-verify: true
users:
- name: collector
  user:
    token: ${this.adminToken}
contexts:
- name: fake
  context: {cluster: fake, user: collector, namespace: mirrorscope}
current-context: fake
`,
    );
    return file;
  }

  count(method: string, pathname: string): number {
    return this.requests.get(`${method} ${pathname}`) ?? 0;
  }

  /** The next `times` requests whose path starts with `prefix` fail with `statusCode`. */
  failNext(prefix: string, statusCode: number, times = 1): void {
    this.failures.push({ prefix, status: statusCode, times });
  }

  /** Ends every open watch stream (as an API server does on timeout or restart). */
  endWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  get openWatches(): number {
    return this.watchers.size;
  }

  // ---------- objects ----------

  private key(o: Obj): string {
    return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  }

  /**
   * Creates or replaces an object (watchers see ADDED or MODIFIED). The stored object always carries
   * the kind's own apiVersion and kind, as an API server stores it; custom resources also get a
   * metadata.generation that moves when their spec changes.
   */
  /** Serves `def` (discovery and list) with these objects, replacing what it served before. */
  serveCustom(def: CustomResourceDef, items: readonly Obj[]): void {
    const apiVersion = `${def.group}/${def.version}`;
    this.customResources.set(`${apiVersion}/${def.plural}`, {
      def,
      items: items.map((o) => ({ apiVersion, kind: def.kind, ...o })),
    });
  }

  upsert(kind: Kind, object: Obj): Obj {
    const existing = this.store[kind].get(this.key(object));
    const rv = ++this.rv;
    const info = KIND_INFO[kind];
    const generation =
      info.group === ''
        ? {}
        : {
            generation:
              existing === undefined
                ? 1
                : Number(existing.metadata.generation ?? 1) +
                  (JSON.stringify(existing.spec) === JSON.stringify(object.spec) ? 0 : 1),
          };
    const stored: Obj = {
      ...object,
      apiVersion: apiVersionOf(kind),
      kind: info.kind,
      metadata: {
        uid: existing?.metadata.uid ?? `uid-${kind}-${object.metadata.name}`,
        creationTimestamp: existing?.metadata.creationTimestamp ?? new Date().toISOString(),
        ...object.metadata,
        ...generation,
        resourceVersion: String(rv),
      },
    };
    this.store[kind].set(this.key(stored), stored);
    this.publish(kind, existing === undefined ? 'ADDED' : 'MODIFIED', stored, rv);
    return stored;
  }

  remove(kind: Kind, name: string, namespace?: string): void {
    const key = `${namespace ?? ''}/${name}`;
    const existing = this.store[kind].get(key);
    if (existing === undefined) return;
    this.store[kind].delete(key);
    const rv = ++this.rv;
    this.publish(
      kind,
      'DELETED',
      { ...existing, metadata: { ...existing.metadata, resourceVersion: String(rv) } },
      rv,
    );
  }

  get(kind: Kind, name: string, namespace?: string): Obj | undefined {
    return this.store[kind].get(`${namespace ?? ''}/${name}`);
  }

  /** Every stored object of a kind. */
  list(kind: Kind): Obj[] {
    return [...this.store[kind].values()];
  }

  private publish(kind: Kind, type: string, object: Obj, rv: number): void {
    this.history.push({ kind, type, object, rv });
    for (const w of this.watchers)
      if (w.kind === kind && w.matches(object)) w.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  // ---------- HTTP ----------

  private send(res: ServerResponse, code: number, body: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async body(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const p = url.pathname;
    const method = req.method ?? 'GET';
    const label = `${method} ${p}`;
    this.requests.set(label, (this.requests.get(label) ?? 0) + 1);
    if (/^\/api\/v1\/namespaces\/[^/]+\/services\//.test(p)) return this.serviceRequest(req, res, url);
    if (req.headers.authorization !== `Bearer ${this.adminToken}`)
      return this.send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    const failure = this.failures.find((f) => f.times > 0 && p.startsWith(f.prefix));
    if (failure !== undefined) {
      failure.times--;
      return this.send(res, failure.status, status(failure.status, 'InternalError', 'injected failure'));
    }
    if (await this.writes.handle(method, url, req, res)) return;

    if (method === 'POST' && p === '/apis/authentication.k8s.io/v1/tokenreviews')
      return this.tokenReview(req, res);
    if (method === 'POST' && p === '/apis/authorization.k8s.io/v1/subjectaccessreviews')
      return this.accessReview(req, res);

    if (method === 'GET' && p === '/api/v1/namespaces')
      return this.send(res, 200, {
        apiVersion: 'v1',
        kind: 'NamespaceList',
        metadata: { resourceVersion: String(this.rv) },
        items: this.namespaces,
      });
    const cluster = /^\/api\/v1\/(pods|nodes|events)$/.exec(p);
    if (method === 'GET' && cluster !== null) return this.listOrWatch(cluster[1] as Kind, url, res);
    const pod = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(p);
    if (method === 'GET' && pod !== null) {
      const object = this.get('pods', pod[2]!, pod[1]!);
      return object === undefined
        ? this.send(
            res,
            404,
            status(404, 'NotFound', `pods "${pod[2]}" not found`, { name: pod[2], kind: 'pods' }),
          )
        : this.send(res, 200, object);
    }
    // Secrets and ServiceAccounts: by name only (a list or watch is not served).
    const named = /^\/api\/v1\/namespaces\/([^/]+)\/(secrets|serviceaccounts)\/([^/]+)$/.exec(p);
    if (method === 'GET' && named !== null) {
      const [, ns, kind, name] = named as unknown as [string, string, 'secrets' | 'serviceaccounts', string];
      if (this.forbidden.has(`${kind}/${ns}/${name}`))
        return this.send(
          res,
          403,
          status(
            403,
            'Forbidden',
            `${kind} "${name}" is forbidden: User cannot get resource "${kind}" in API group "" in the namespace "${ns}"`,
            { name, kind },
          ),
        );
      const object = this.get(kind, name, ns);
      return object === undefined
        ? this.send(res, 404, status(404, 'NotFound', `${kind} "${name}" not found`, { name, kind }))
        : this.send(res, 200, object);
    }
    const cm = /^\/api\/v1\/namespaces\/([^/]+)\/configmaps(?:\/([^/]+))?$/.exec(p);
    if (cm !== null) return this.configMap(method, cm[1]!, cm[2], req, res);
    if (p === '/apis' || p.startsWith('/apis/')) return this.apis(method, p, url, res);
    return this.send(
      res,
      404,
      status(404, 'NotFound', `the server could not find the requested resource (${p})`),
    );
  }

  // ---------- /apis: discovery and the OpenShift custom resources ----------

  private servedKinds(): OpenShiftKind[] {
    return this.openshift ? [...OPENSHIFT_KINDS] : [];
  }

  /** group → version → resources, for everything this fake serves right now. */
  private servedGroups(): Map<string, { version: string; resources: object[] }> {
    const groups = new Map<string, { version: string; resources: object[] }>();
    for (const [name, g] of Object.entries(BUILTIN_GROUPS))
      groups.set(name, {
        version: g.version,
        resources: g.resources.map((r) => ({
          name: r.name,
          singularName: r.kind.toLowerCase(),
          namespaced: false,
          kind: r.kind,
          verbs: ['create'],
        })),
      });
    for (const { def } of this.customResources.values()) {
      const g = groups.get(def.group) ?? { version: def.version, resources: [] };
      g.resources.push({
        name: def.plural,
        singularName: def.kind.toLowerCase(),
        namespaced: def.namespaced,
        kind: def.kind,
        verbs: CRD_VERBS,
      });
      groups.set(def.group, g);
    }
    for (const k of this.servedKinds()) {
      const info = KIND_INFO[k];
      const g = groups.get(info.group) ?? { version: info.version, resources: [] };
      g.resources.push({
        name: k,
        singularName: info.singular,
        namespaced: info.namespaced,
        kind: info.kind,
        verbs: CRD_VERBS,
        ...(info.shortNames === undefined ? {} : { shortNames: info.shortNames }),
        storageVersionHash: Buffer.from(`${info.group}/${info.version}/${info.kind}`)
          .toString('base64')
          .slice(0, 11),
      });
      if (info.status === true)
        g.resources.push({
          name: `${k}/status`,
          singularName: '',
          namespaced: info.namespaced,
          kind: info.kind,
          verbs: STATUS_VERBS,
        });
      groups.set(info.group, g);
    }
    return groups;
  }

  private apiGroup(name: string, version: string): object {
    const gv = { groupVersion: `${name}/${version}`, version };
    return { name, versions: [gv], preferredVersion: gv };
  }

  private apis(method: string, p: string, url: URL, res: ServerResponse): void {
    const groups = this.servedGroups();
    const parts = p.split('/').slice(2); // ['', 'apis', ...rest]
    if (method !== 'GET') {
      const known = parts.length >= 3 && this.served(parts[0]!, parts[1]!, parts[2]!) !== undefined;
      return known
        ? this.send(
            res,
            405,
            status(
              405,
              'MethodNotAllowed',
              `the server does not allow this method on the requested resource`,
              {},
            ),
          )
        : this.send(res, 404, UNKNOWN_RESOURCE);
    }
    if (parts.length === 0)
      return this.send(res, 200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [...groups].map(([name, g]) => this.apiGroup(name, g.version)),
      });
    const [group, version, plural, name, ...rest] = parts as [string, ...(string | undefined)[]];
    const g = groups.get(group);
    if (g === undefined || rest.length > 0) return this.send(res, 404, UNKNOWN_RESOURCE);
    if (version === undefined)
      return this.send(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...this.apiGroup(group, g.version) });
    if (version !== g.version) return this.send(res, 404, UNKNOWN_RESOURCE);
    if (plural === undefined)
      return this.send(res, 200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: `${group}/${version}`,
        resources: g.resources,
      });
    const custom = this.customResources.get(`${group}/${version}/${plural}`);
    if (custom !== undefined && name === undefined)
      return this.send(res, 200, {
        apiVersion: `${group}/${version}`,
        kind: `${custom.def.kind}List`,
        metadata: { resourceVersion: String(this.rv) },
        items: custom.items,
      });
    const kind = this.served(group, version, plural);
    if (kind === undefined) return this.send(res, 404, UNKNOWN_RESOURCE);
    if (name === undefined) {
      const bad = requirements(url.searchParams.get('fieldSelector'))
        .map((r) => r.split(/!?==?/)[0]!)
        .find((f) => f !== 'metadata.name' && f !== 'metadata.namespace');
      if (bad !== undefined)
        return this.send(
          res,
          400,
          status(
            400,
            'BadRequest',
            `"${bad}" is not a known field selector: only "metadata.name", "metadata.namespace"`,
          ),
        );
      return this.listOrWatch(kind, url, res);
    }
    const object = this.get(kind, name);
    if (object === undefined)
      return this.send(
        res,
        404,
        status(404, 'NotFound', `${plural}.${group} "${name}" not found`, { name, group, kind: plural }),
      );
    return this.send(res, 200, object);
  }

  /** The kind served at /apis/{group}/{version}/{plural} right now, if any. */
  private served(group: string, version: string, plural: string): OpenShiftKind | undefined {
    return this.servedKinds().find(
      (k) => k === plural && KIND_INFO[k].group === group && KIND_INFO[k].version === version,
    );
  }

  private listOrWatch(kind: Kind, url: URL, res: ServerResponse): void {
    const matches = selectorMatcher(
      url.searchParams.get('fieldSelector'),
      url.searchParams.get('labelSelector'),
    );
    if (url.searchParams.get('watch') === 'true') {
      const from = Number(url.searchParams.get('resourceVersion') ?? '0');
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      // A real API server answers a watch's headers at once; without this, a client awaiting the
      // response (client-node's informer start()) would hang until the first event.
      res.flushHeaders();
      for (const h of this.history)
        if (h.kind === kind && h.rv > from && matches(h.object))
          res.write(`${JSON.stringify({ type: h.type, object: h.object })}\n`);
      const watcher: Watcher = { kind, res, matches };
      this.watchers.add(watcher);
      res.on('close', () => this.watchers.delete(watcher));
      return;
    }
    const items = [...this.store[kind].values()].filter(matches);
    // Paged with `limit`: each page names the next (`continue`), and every page of one list carries
    // the first page's resourceVersion, as a real API server serves them from one snapshot.
    const limit = Number(url.searchParams.get('limit') ?? '0');
    const token = url.searchParams.get('continue');
    const { rv, offset } = token
      ? (JSON.parse(Buffer.from(token, 'base64url').toString()) as { rv: number; offset: number })
      : { rv: this.rv, offset: 0 };
    const end = limit > 0 ? offset + limit : items.length;
    const next =
      end < items.length ? Buffer.from(JSON.stringify({ rv, offset: end })).toString('base64url') : undefined;
    this.send(res, 200, {
      apiVersion: apiVersionOf(kind),
      kind: KIND_INFO[kind].list,
      metadata: {
        resourceVersion: String(rv),
        ...(next !== undefined ? { continue: next, remainingItemCount: items.length - end } : {}),
      },
      items: items.slice(offset, end),
    });
  }

  private async configMap(
    method: string,
    namespace: string,
    name: string | undefined,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    if (method === 'GET' && name !== undefined) {
      const cm = this.get('configmaps', name, namespace);
      return cm === undefined
        ? this.send(res, 404, status(404, 'NotFound', `configmaps "${name}" not found`))
        : this.send(res, 200, cm);
    }
    if (method === 'POST' && name === undefined) {
      const body = (await this.body(req)) as Obj;
      if (this.get('configmaps', body.metadata.name, namespace) !== undefined)
        return this.send(
          res,
          409,
          status(409, 'AlreadyExists', `configmaps "${body.metadata.name}" already exists`),
        );
      return this.send(
        res,
        201,
        this.upsert('configmaps', { ...body, metadata: { ...body.metadata, namespace } }),
      );
    }
    if (method === 'PUT' && name !== undefined) {
      const body = (await this.body(req)) as Obj;
      if (this.get('configmaps', name, namespace) === undefined)
        return this.send(res, 404, status(404, 'NotFound', `configmaps "${name}" not found`));
      return this.send(
        res,
        200,
        this.upsert('configmaps', { ...body, metadata: { ...body.metadata, name, namespace } }),
      );
    }
    return this.send(res, 405, status(405, 'MethodNotAllowed', `${method} is not allowed`));
  }

  private async tokenReview(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await this.body(req)) as { spec?: { token?: string; audiences?: string[] } };
    const token = this.tokens.get(body.spec?.token ?? '');
    const wanted = body.spec?.audiences ?? [API_AUDIENCE];
    const audiences = token?.audiences.filter((a) => wanted.includes(a)) ?? [];
    const ok = token !== undefined && audiences.length > 0;
    this.send(res, 201, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      metadata: { creationTimestamp: null },
      spec: { audiences: body.spec?.audiences },
      status: ok
        ? {
            authenticated: true,
            audiences,
            user: {
              username: token.username,
              uid: `uid-${token.username}`,
              groups: [...(token.groups ?? [])],
              extra: token.extra ?? {},
            },
          }
        : {
            user: {},
            error:
              token === undefined
                ? '[invalid bearer token, token lookup failed]'
                : 'token audiences do not match',
          },
    });
  }

  // ---------- pods/exec over WebSocket (v4.channel.k8s.io: 1 stdout, 2 stderr, 3 status) ----------

  private execUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', this.url);
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    const pod = m === null ? undefined : this.get('pods', m[2]!, m[1]!);
    const refuse = (code: number, text: string) => {
      socket.end(`HTTP/1.1 ${code} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    this.requests.set(`EXEC ${url.pathname}`, (this.requests.get(`EXEC ${url.pathname}`) ?? 0) + 1);
    if (req.headers.authorization !== `Bearer ${this.adminToken}`) return refuse(401, 'Unauthorized');
    if (pod === undefined) return refuse(404, 'Not Found');
    const exec = this.exec;
    if (exec === null) return refuse(403, 'Forbidden');
    const wss = new WebSocketServer({ noServer: true, handleProtocols: () => 'v4.channel.k8s.io' });
    wss.handleUpgrade(req, socket, head, (ws) => {
      const frame = (channel: number, data: string) =>
        Buffer.concat([Buffer.from([channel]), Buffer.from(data)]);
      exec(pod, url.searchParams.get('container') ?? '', url.searchParams.getAll('command'))
        .then(({ stdout, stderr, exitCode }) => {
          if (stdout !== '') ws.send(frame(1, stdout));
          if (stderr !== '') ws.send(frame(2, stderr));
          const status =
            exitCode === 0
              ? { metadata: {}, status: 'Success' }
              : {
                  metadata: {},
                  status: 'Failure',
                  message: `command terminated with non-zero exit code: ${exitCode}`,
                  reason: 'NonZeroExitCode',
                  details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
                };
          ws.send(frame(3, JSON.stringify(status)));
          ws.close();
        })
        .catch((err: unknown) => {
          ws.send(frame(3, JSON.stringify({ metadata: {}, status: 'Failure', message: String(err) })));
          ws.close();
        });
    });
  }

  // ---------- services and the service proxy, as any user (their token, their RBAC) ----------

  /** The caller of a request: the admin token, or a token of `tokens` valid for the API audience. */
  private caller(req: IncomingMessage): string | null {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (m === null) return null;
    if (m[1] === this.adminToken) return 'admin';
    const token = this.tokens.get(m[1]!);
    return token !== undefined && token.audiences.includes(API_AUDIENCE) ? token.username : null;
  }

  private allows(user: string, verb: string, resource: string, subresource = ''): boolean {
    return (
      user === 'admin' ||
      this.rules.some(
        (r) =>
          r.user === user &&
          r.verb === verb &&
          r.resource === resource &&
          (r.subresource ?? '') === subresource,
      )
    );
  }

  private async serviceRequest(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)(\/proxy(\/.*)?)?$/.exec(url.pathname);
    if (m === null) return this.send(res, 404, UNKNOWN_RESOURCE);
    const [, namespace, spec, proxy, rest] = m as unknown as [string, string, string, string?, string?];
    const user = this.caller(req);
    if (user === null) return this.send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    // The service part of a proxy path is [scheme:]name[:port] (port by name or number).
    const parts = decodeURIComponent(spec).split(':');
    const scheme = parts.length > 1 && (parts[0] === 'http' || parts[0] === 'https') ? parts.shift()! : null;
    const [name, port] = parts as [string, string?];
    const method = req.method ?? 'GET';
    // RBAC verbs of the proxy subresource follow the HTTP method, as the API server maps them.
    const verb =
      proxy === undefined
        ? 'get'
        : method === 'POST'
          ? 'create'
          : method === 'GET'
            ? 'get'
            : method.toLowerCase();
    const subresource = proxy === undefined ? '' : 'proxy';
    if (!this.allows(user, verb, 'services', subresource))
      return this.send(
        res,
        403,
        status(
          403,
          'Forbidden',
          `services${subresource ? '/proxy' : ''} "${name}" is forbidden: User "${user}" cannot ${verb} resource "services${subresource ? '/proxy' : ''}" in API group "" in the namespace "${namespace}"`,
          { name, kind: 'services' },
        ),
      );
    const service = this.services.get(`${namespace}/${name}`);
    if (service === undefined)
      return this.send(
        res,
        404,
        status(404, 'NotFound', `services "${name}" not found`, { name, kind: 'services' }),
      );
    if (proxy === undefined) {
      if (method !== 'GET') return this.send(res, 405, status(405, 'MethodNotAllowed', method));
      return this.send(res, 200, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace, ...(service.annotations ? { annotations: service.annotations } : {}) },
        spec: {
          ports: [
            { name: service.portName, port: service.port, protocol: 'TCP', targetPort: service.portName },
          ],
        },
      });
    }
    if (port !== undefined && port !== service.portName && port !== String(service.port))
      return this.send(
        res,
        503,
        status(503, 'ServiceUnavailable', `no endpoints available for service "${name}:${port}"`),
      );
    if (service.target === null)
      return this.send(
        res,
        503,
        status(503, 'ServiceUnavailable', `no endpoints available for service "${name}"`),
      );
    if ((scheme ?? 'http') !== service.scheme)
      return this.send(
        res,
        502,
        status(502, 'InternalError', `error trying to reach service: the server speaks ${service.scheme}`),
      );
    // As the real API server: the caller's Authorization header is consumed here, never forwarded.
    const headers = { ...req.headers };
    delete headers.authorization;
    delete headers.host;
    const backendPath = `${rest ?? '/'}${url.search}`;
    this.proxied.push({ user, method, path: backendPath, authorization: req.headers.authorization });
    const target = new URL(backendPath, service.target);
    await new Promise<void>((resolve) => {
      const upstream = request(target, { method, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', resolve);
      });
      upstream.on('error', (err) => {
        this.send(
          res,
          503,
          status(503, 'ServiceUnavailable', `error trying to reach service: ${err.message}`),
        );
        resolve();
      });
      req.pipe(upstream);
    });
  }

  private async accessReview(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await this.body(req)) as {
      spec?: {
        user?: string;
        resourceAttributes?: { verb?: string; resource?: string; subresource?: string };
      };
    };
    const attrs = body.spec?.resourceAttributes ?? {};
    const allowed = this.rules.some(
      (r) =>
        r.user === body.spec?.user &&
        r.verb === attrs.verb &&
        r.resource === attrs.resource &&
        (r.subresource ?? '') === (attrs.subresource ?? ''),
    );
    this.send(res, 201, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: body.spec,
      status: { allowed, ...(allowed ? { reason: 'fake RBAC rule' } : {}) },
    });
  }
}

// ---------- object builders (real API shapes) ----------

export function nodeObject(name: string, role = 'worker'): Obj {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, [`node-role.kubernetes.io/${role}`]: '' } },
    spec: {},
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

export function podObject(
  namespace: string,
  name: string,
  node: string,
  images: { containers: string[]; init?: string[]; ephemeral?: string[] },
  phase = 'Running',
): Obj {
  return {
    metadata: { name, namespace },
    spec: {
      nodeName: node,
      containers: images.containers.map((image, i) => ({ name: `c${i}`, image })),
      ...(images.init
        ? { initContainers: images.init.map((image, i) => ({ name: `init${i}`, image })) }
        : {}),
      ...(images.ephemeral
        ? { ephemeralContainers: images.ephemeral.map((image, i) => ({ name: `debug${i}`, image })) }
        : {}),
    },
    status: { phase },
  };
}

/** A kubelet pull-failure Event exactly as kubelet writes it. */
export function pullFailedEvent(
  namespace: string,
  pod: string,
  node: string,
  image: string,
  error: string,
  at = new Date(),
): Obj {
  return {
    metadata: { name: `${pod}.${Math.random().toString(16).slice(2, 10)}`, namespace },
    involvedObject: { kind: 'Pod', namespace, name: pod, apiVersion: 'v1', fieldPath: 'spec.containers{c0}' },
    reason: 'Failed',
    message: `Failed to pull image "${image}": ${error}`,
    source: { component: 'kubelet', host: node },
    firstTimestamp: at.toISOString(),
    lastTimestamp: at.toISOString(),
    count: 3,
    type: 'Warning',
    reportingComponent: 'kubelet',
    reportingInstance: node,
  };
}

/** A `kubernetes.io/dockerconfigjson` Secret as `oc create secret docker-registry` writes it. */
export function dockerConfigSecret(
  namespace: string,
  name: string,
  auths: Record<string, { username: string; password: string }>,
): Obj {
  const entries = Object.fromEntries(
    Object.entries(auths).map(([key, a]) => [
      key,
      {
        username: a.username,
        password: a.password,
        auth: Buffer.from(`${a.username}:${a.password}`).toString('base64'),
      },
    ]),
  );
  return {
    metadata: { name, namespace },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths: entries })).toString('base64') },
  };
}

/** A pod that names pull secrets (`spec.imagePullSecrets`), as the ServiceAccount admission plugin leaves it. */
export function withPullSecrets(pod: Obj, names: readonly string[]): Obj {
  return { ...pod, spec: { ...(pod.spec as object), imagePullSecrets: names.map((name) => ({ name })) } };
}
