// The writes of the fake Kubernetes API (./fake-kube-api.ts), as the API server answers them:
//  - PATCH /api/v1/nodes/NAME/status with server-side apply (application/apply-patch+yaml, a
//    fieldManager, optional force): conditions are a map list keyed by `type`; each apply manager
//    owns the types it applied, and a type it stops applying is deleted unless another manager owns
//    it. Conditions written otherwise (the kubelet, `upsert`) belong to no apply manager and stay.
//  - core/v1 Events: POST (the legacy namespace rules: a Node's events live in `default`), GET, and
//    PATCH (strategic-merge or merge patch of the top-level fields, as the event correlator sends).
//  - SelfSubjectAccessReview: allowed unless `forbidden` names the verb and resource; a request on a
//    served CRD's objects whose verb `forbidden` names is refused with 403, as RBAC would.
//  - writable custom resources (the wgpolicyk8s.io and openreports.io report CRDs): list (label selectors), get,
//    create, replace, delete and server-side apply, listed in discovery while they are served.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomResourceDef, FakeKubeApi, Obj } from './fake-kube-api.js';

const APPLY = 'application/apply-patch+yaml';
const MERGE_TYPES = new Set(['application/strategic-merge-patch+json', 'application/merge-patch+json']);

function statusBody(code: number, reason: string, message: string): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function contentType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim();
}

/** Refuses a PATCH that is not a server-side apply naming its field manager; null when it is one. */
function refuseUnlessApply(req: IncomingMessage, url: URL, res: ServerResponse, what: string): true | null {
  const type = contentType(req);
  if (type !== APPLY)
    return refuse(
      res,
      415,
      'UnsupportedMediaType',
      `the fake applies ${what} with ${APPLY} only, got ${type}`,
    );
  if (!url.searchParams.get('fieldManager'))
    return refuse(res, 400, 'BadRequest', 'PATCH requests must specify fieldManager');
  return null;
}

/** Answers with a Status failure, as the API server does. */
function refuse(res: ServerResponse, code: number, reason: string, message: string): true {
  return send(res, code, statusBody(code, reason, message));
}

function send(res: ServerResponse, code: number, body: unknown): true {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
  return true;
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
  } catch {
    return null;
  }
}

function labelsMatch(selector: string | null, labels: Record<string, string> | undefined): boolean {
  if (selector === null || selector === '') return true;
  return selector.split(',').every((req) => {
    const [k, v] = req.split('=') as [string, string | undefined];
    return v === undefined ? k in (labels ?? {}) : labels?.[k] === v;
  });
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const CONDITION_STATUSES = new Set(['True', 'False', 'Unknown']);

interface Served {
  readonly def: CustomResourceDef;
  readonly objects: Map<string, Obj>;
}

export class FakeKubeWrites {
  /** node → apply manager → the condition types it owns. */
  readonly conditionOwners = new Map<string, Map<string, Set<string>>>();
  /** Every nodes/status apply, in order: when it came and for which node (the rate tests read it). */
  readonly statusApplies: { atMs: number; node: string; manager: string }[] = [];
  private readonly served = new Map<string, Served>();
  private rv = 5_000_000;

  constructor(private readonly api: FakeKubeApi) {}

  /** Serves a CRD (discovery, CRUD, apply) until `unserve`; its objects start empty. */
  serveCrd(def: CustomResourceDef): void {
    const objects = new Map<string, Obj>();
    this.served.set(`${def.group}/${def.version}/${def.plural}`, { def, objects });
    // Discovery lists what customResources holds; the objects themselves are answered here.
    this.api.serveCustom(def, []);
  }

  unserve(def: CustomResourceDef): void {
    this.served.delete(`${def.group}/${def.version}/${def.plural}`);
    this.api.customResources.delete(`${def.group}/${def.version}/${def.plural}`);
  }

  /** The stored objects of a served CRD, namespace first. */
  objects(def: CustomResourceDef): Obj[] {
    return [...(this.served.get(`${def.group}/${def.version}/${def.plural}`)?.objects.values() ?? [])];
  }

  /** `verb group/resource` the caller may not do, as its SelfSubjectAccessReviews answer (default: all allowed). */
  readonly forbidden = new Set<string>();

  /** Handles the request when it is one of the writes above (or a read of a served CRD). */
  async handle(method: string, url: URL, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const p = url.pathname;
    if (method === 'POST' && p === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews') {
      const body = (await readBody(req)) as { spec?: { resourceAttributes?: Record<string, string> } } | null;
      const a = body?.spec?.resourceAttributes ?? {};
      const allowed = !this.forbidden.has(`${a.verb} ${a.group ?? ''}/${a.resource}`);
      return send(res, 201, {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: body?.spec ?? {},
        status: { allowed },
      });
    }
    const nodeStatus = /^\/api\/v1\/nodes\/([^/]+)\/status$/.exec(p);
    if (nodeStatus !== null && method === 'PATCH') return this.applyNodeStatus(nodeStatus[1]!, url, req, res);
    const event = /^\/api\/v1\/namespaces\/([^/]+)\/events(?:\/([^/]+))?$/.exec(p);
    if (event !== null) return this.event(method, event[1]!, event[2], req, res);
    const cr = /^\/apis\/([^/]+)\/([^/]+)\/(?:namespaces\/([^/]+)\/)?([^/]+)(?:\/([^/]+))?$/.exec(p);
    if (cr !== null) {
      const served = this.served.get(`${cr[1]}/${cr[2]}/${cr[4]}`);
      if (served !== undefined) return this.custom(served, method, cr[3], cr[5], url, req, res);
    }
    return false;
  }

  // ---------- nodes/status, server-side apply ----------

  private async applyNodeStatus(
    name: string,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<true> {
    const notApply = refuseUnlessApply(req, url, res, 'nodes/status');
    if (notApply !== null) return notApply;
    const manager = url.searchParams.get('fieldManager')!;
    const force = url.searchParams.get('force') === 'true';
    const body = await readBody(req);
    const node = this.api.get('nodes', name);
    if (node === undefined) return refuse(res, 404, 'NotFound', `nodes "${name}" not found`);
    const meta = body?.metadata as { name?: unknown } | undefined;
    if (body === null || body.apiVersion !== 'v1' || body.kind !== 'Node' || meta?.name !== name)
      return refuse(res, 400, 'BadRequest', 'an apply body needs apiVersion v1, kind Node and metadata.name');
    const status = (body.status ?? {}) as Record<string, unknown>;
    const extra = Object.keys(status).filter((k) => k !== 'conditions');
    if (extra.length > 0)
      return refuse(res, 422, 'Invalid', `the fake applies status.conditions only, not ${extra.join(', ')}`);
    const applied = (status.conditions ?? []) as Record<string, unknown>[];
    for (const c of applied) {
      const bad =
        typeof c.type !== 'string' || c.type === ''
          ? 'type is required'
          : !CONDITION_STATUSES.has(String(c.status))
            ? `status "${String(c.status)}" is not True, False or Unknown`
            : ['lastHeartbeatTime', 'lastTransitionTime'].find(
                (t) => c[t] !== undefined && !RFC3339.test(String(c[t])),
              );
      if (bad !== undefined)
        return refuse(res, 422, 'Invalid', `Node "${name}" is invalid: status.conditions: ${bad}`);
    }
    const owners = this.conditionOwners.get(name) ?? new Map<string, Set<string>>();
    const types = new Set(applied.map((c) => c.type as string));
    for (const [other, owned] of owners)
      if (other !== manager && [...types].some((t) => owned.has(t))) {
        if (!force)
          return refuse(
            res,
            409,
            'Conflict',
            `Apply failed with 1 conflict: conflict with "${other}" using v1: .status.conditions`,
          );
        for (const t of types) owned.delete(t);
      }
    const before = owners.get(manager) ?? new Set<string>();
    const ownedByOthers = (t: string): boolean =>
      [...owners].some(([m, owned]) => m !== manager && owned.has(t));
    const released = [...before].filter((t) => !types.has(t) && !ownedByOthers(t));
    const current = (
      (node.status as { conditions?: Record<string, unknown>[] } | undefined)?.conditions ?? []
    ).filter((c) => !released.includes(c.type as string));
    for (const c of applied) {
      const i = current.findIndex((x) => x.type === c.type);
      if (i >= 0) current[i] = { ...current[i], ...c };
      else current.push(c);
    }
    owners.set(manager, types);
    this.conditionOwners.set(name, owners);
    this.statusApplies.push({ atMs: Date.now(), node: name, manager });
    const managedFields = [...owners]
      .filter(([, owned]) => owned.size > 0)
      .map(([m, owned]) => ({
        manager: m,
        operation: 'Apply',
        apiVersion: 'v1',
        subresource: 'status',
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:status': {
            'f:conditions': Object.fromEntries([...owned].map((t) => [`k:{"type":"${t}"}`, {}])),
          },
        },
      }));
    const stored = this.api.upsert('nodes', {
      ...node,
      metadata: { ...node.metadata, managedFields },
      status: { ...(node.status as object), conditions: current },
    });
    return send(res, 200, stored);
  }

  // ---------- core/v1 Events ----------

  private async event(
    method: string,
    namespace: string,
    name: string | undefined,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<true> {
    if (method === 'GET' && name !== undefined) {
      const e = this.api.get('events', name, namespace);
      return e === undefined ? refuse(res, 404, 'NotFound', `events "${name}" not found`) : send(res, 200, e);
    }
    if (method === 'POST' && name === undefined) {
      const body = (await readBody(req)) as Obj | null;
      const invalid = body === null ? 'the body is not JSON' : this.invalidEvent(body, namespace);
      if (invalid !== null) return refuse(res, 422, 'Invalid', `Event is invalid: ${invalid}`);
      if (this.api.get('events', body!.metadata.name, namespace) !== undefined)
        return refuse(res, 409, 'AlreadyExists', `events "${body!.metadata.name}" already exists`);
      return send(
        res,
        201,
        this.api.upsert('events', { ...body!, metadata: { ...body!.metadata, namespace } }),
      );
    }
    if (method === 'PATCH' && name !== undefined) {
      const type = contentType(req);
      if (!MERGE_TYPES.has(type))
        return refuse(res, 415, 'UnsupportedMediaType', `the fake merges event patches, not ${type}`);
      const existing = this.api.get('events', name, namespace);
      if (existing === undefined) return refuse(res, 404, 'NotFound', `events "${name}" not found`);
      const patch = (await readBody(req)) ?? {};
      const { metadata: _ignored, ...fields } = patch;
      return send(
        res,
        200,
        this.api.upsert('events', { ...existing, ...fields, metadata: existing.metadata }),
      );
    }
    return refuse(res, 405, 'MethodNotAllowed', `${method} is not allowed on events`);
  }

  /** What a real API server's legacy (core/v1) Event validation refuses, or null. */
  private invalidEvent(e: Obj, namespace: string): string | null {
    const involved = e.involvedObject as { kind?: string; namespace?: string; name?: string } | undefined;
    if (!e.metadata?.name) return 'metadata.name: Required value';
    if (involved?.kind === undefined || involved.name === undefined) return 'involvedObject: Required value';
    const objectNamespace = involved.namespace ?? '';
    if (objectNamespace === '' ? namespace !== 'default' : namespace !== objectNamespace)
      return `involvedObject.namespace: Invalid value: "${objectNamespace}": does not match event.namespace`;
    if (e.type !== 'Normal' && e.type !== 'Warning') return `type: Unsupported value: "${String(e.type)}"`;
    if (typeof e.reason !== 'string' || e.reason === '') return 'reason: Required value';
    return null;
  }

  // ---------- writable custom resources ----------

  private key(def: CustomResourceDef, namespace: string | undefined, name: string): string {
    return `${def.namespaced ? (namespace ?? '') : ''}/${name}`;
  }

  private async custom(
    served: Served,
    method: string,
    namespace: string | undefined,
    name: string | undefined,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<true> {
    const { def, objects } = served;
    const apiVersion = `${def.group}/${def.version}`;
    const verb = rbacVerb(method, name);
    if (this.forbidden.has(`${verb} ${def.group}/${def.plural}`))
      return refuse(res, 403, 'Forbidden', `${def.plural}.${def.group} is forbidden: cannot ${verb}`);
    if (!def.namespaced && namespace !== undefined)
      return refuse(res, 404, 'NotFound', 'the server could not find the requested resource');
    if (name === undefined && method === 'GET')
      return send(res, 200, {
        apiVersion,
        kind: `${def.kind}List`,
        metadata: { resourceVersion: String(this.rv) },
        items: [...objects.values()].filter(
          (o) =>
            (namespace === undefined || o.metadata.namespace === namespace) &&
            labelsMatch(url.searchParams.get('labelSelector'), o.metadata.labels),
        ),
      });
    if (def.namespaced && namespace === undefined)
      return refuse(res, 405, 'MethodNotAllowed', 'a namespaced resource is written in its namespace');
    const notFound = (n: string): true =>
      refuse(res, 404, 'NotFound', `${def.plural}.${def.group} "${n}" not found`);
    const store = (o: Obj): Obj => {
      const existing = objects.get(this.key(def, namespace, o.metadata.name));
      const stored: Obj = {
        ...o,
        apiVersion,
        kind: def.kind,
        metadata: {
          ...o.metadata,
          ...(def.namespaced ? { namespace } : {}),
          uid: existing?.metadata.uid ?? `uid-${def.plural}-${namespace ?? ''}-${o.metadata.name}`,
          creationTimestamp: existing?.metadata.creationTimestamp ?? new Date().toISOString(),
          resourceVersion: String(++this.rv),
        },
      };
      objects.set(this.key(def, namespace, o.metadata.name), stored);
      return stored;
    };
    if (name === undefined && method === 'POST') {
      const body = (await readBody(req)) as Obj | null;
      if (body?.metadata?.name === undefined)
        return refuse(res, 422, 'Invalid', 'metadata.name: Required value');
      if (objects.has(this.key(def, namespace, body.metadata.name)))
        return refuse(
          res,
          409,
          'AlreadyExists',
          `${def.plural}.${def.group} "${body.metadata.name}" already exists`,
        );
      return send(res, 201, store(body));
    }
    if (name === undefined) return refuse(res, 405, 'MethodNotAllowed', `${method} needs a name`);
    const existing = objects.get(this.key(def, namespace, name));
    if (method === 'GET') return existing === undefined ? notFound(name) : send(res, 200, existing);
    if (method === 'DELETE') {
      if (existing === undefined) return notFound(name);
      objects.delete(this.key(def, namespace, name));
      return send(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name, group: def.group, kind: def.plural },
      });
    }
    if (method === 'PUT') {
      const body = (await readBody(req)) as Obj | null;
      if (existing === undefined) return notFound(name);
      if (body === null || body.metadata?.name !== name)
        return refuse(res, 400, 'BadRequest', 'the name in the body does not match');
      const rv = body.metadata.resourceVersion;
      if (rv !== undefined && rv !== existing.metadata.resourceVersion)
        return refuse(
          res,
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${def.plural}.${def.group} "${name}": the object has been modified`,
        );
      return send(res, 200, store(body));
    }
    if (method === 'PATCH') {
      const notApply = refuseUnlessApply(req, url, res, 'custom resources');
      if (notApply !== null) return notApply;
      const body = (await readBody(req)) as Obj | null;
      if (
        body === null ||
        body.apiVersion !== apiVersion ||
        body.kind !== def.kind ||
        body.metadata?.name !== name
      )
        return refuse(
          res,
          400,
          'BadRequest',
          `an apply body needs apiVersion ${apiVersion}, kind ${def.kind} and metadata.name ${name}`,
        );
      // One manager writes these objects whole: its apply is the object (server-managed metadata kept).
      return send(res, existing === undefined ? 201 : 200, store(body));
    }
    return refuse(res, 405, 'MethodNotAllowed', `${method} is not allowed`);
  }
}

/** The wgpolicyk8s.io v1alpha2 report CRDs as Kyverno and Policy Reporter install them. */
export const POLICY_REPORT_CRD: CustomResourceDef = {
  group: 'wgpolicyk8s.io',
  version: 'v1alpha2',
  plural: 'policyreports',
  kind: 'PolicyReport',
  namespaced: true,
};
export const CLUSTER_POLICY_REPORT_CRD: CustomResourceDef = {
  group: 'wgpolicyk8s.io',
  version: 'v1alpha2',
  plural: 'clusterpolicyreports',
  kind: 'ClusterPolicyReport',
  namespaced: false,
};

/** The openreports.io v1alpha1 report CRDs (github.com/openreports/reports-api). */
export const REPORT_CRD: CustomResourceDef = {
  group: 'openreports.io',
  version: 'v1alpha1',
  plural: 'reports',
  kind: 'Report',
  namespaced: true,
};
export const CLUSTER_REPORT_CRD: CustomResourceDef = {
  group: 'openreports.io',
  version: 'v1alpha1',
  plural: 'clusterreports',
  kind: 'ClusterReport',
  namespaced: false,
};

/** The RBAC verb of a request on a resource (a GET without a name lists). */
function rbacVerb(method: string, name: string | undefined): string {
  const verbs: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
  return method === 'GET' ? (name === undefined ? 'list' : 'get') : (verbs[method] ?? method.toLowerCase());
}
