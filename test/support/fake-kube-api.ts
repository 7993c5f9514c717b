// An HTTP fake of the Kubernetes API for the collector's tests: it serves real API object JSON (Pods,
// Nodes, Events — lists and watch streams —, TokenReview, SubjectAccessReview, ConfigMaps) so the
// collector's production @kubernetes/client-node calls run unchanged against it (a kubeconfig with
// `insecure-skip-tls-verify` and a bearer token points at it). Not a Kubernetes: just enough of the
// wire behaviour (resourceVersions, watch replay, field/label selectors, Status errors) to be honest.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

type Obj = {
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
};
type Kind = 'pods' | 'nodes' | 'events' | 'configmaps';

const KIND_INFO: Record<Kind, { kind: string; list: string; namespaced: boolean }> = {
  pods: { kind: 'Pod', list: 'PodList', namespaced: true },
  nodes: { kind: 'Node', list: 'NodeList', namespaced: false },
  events: { kind: 'Event', list: 'EventList', namespaced: true },
  configmaps: { kind: 'ConfigMap', list: 'ConfigMapList', namespaced: true },
};

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

/** The audience of ordinary API tokens (what a TokenReview without spec.audiences checks). */
export const API_AUDIENCE = 'https://kubernetes.default.svc';

interface Watcher {
  readonly kind: Kind;
  readonly res: ServerResponse;
  readonly matches: (o: Obj) => boolean;
}

function status(code: number, reason: string, message: string): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function field(o: Obj, dotted: string): string | undefined {
  let cur: unknown = o;
  for (const part of dotted.split('.')) cur = (cur as Record<string, unknown> | undefined)?.[part];
  return cur === undefined || cur === null ? undefined : String(cur);
}

function selectorMatcher(fieldSelector: string | null, labelSelector: string | null): (o: Obj) => boolean {
  const fields = (fieldSelector ?? '')
    .split(',')
    .filter(Boolean)
    .map((r) => {
      const [k, v] = r.split(/!?==?/) as [string, string];
      const negate = r.includes('!=');
      return (o: Obj) => (field(o, k) === v) !== negate;
    });
  const labels = (labelSelector ?? '')
    .split(',')
    .filter(Boolean)
    .map((r) => {
      const [k, v] = r.split('=') as [string, string | undefined];
      return (o: Obj) => (v === undefined ? k in (o.metadata.labels ?? {}) : o.metadata.labels?.[k] === v);
    });
  return (o) => fields.every((f) => f(o)) && labels.every((l) => l(o));
}

export class FakeKubeApi {
  private server: Server | null = null;
  private rv = 1000;
  private readonly store: Record<Kind, Map<string, Obj>> = {
    pods: new Map(),
    nodes: new Map(),
    events: new Map(),
    configmaps: new Map(),
  };
  private readonly history: { kind: Kind; type: string; object: Obj; rv: number }[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly failures: { prefix: string; status: number; times: number }[] = [];
  readonly tokens = new Map<string, FakeToken>();
  readonly rules: FakeRule[] = [];
  /** `METHOD /path` → count, to see what the collector asked (and how often). */
  readonly requests = new Map<string, number>();
  url = '';

  constructor(readonly adminToken = 'collector-sa-token') {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) =>
        this.send(res, 500, status(500, 'InternalError', String(err))),
      );
    });
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

  upsert(kind: Kind, object: Obj): Obj {
    const existing = this.store[kind].get(this.key(object));
    const rv = ++this.rv;
    const stored: Obj = {
      apiVersion: 'v1',
      kind: KIND_INFO[kind].kind,
      ...object,
      metadata: {
        uid: `uid-${kind}-${object.metadata.name}`,
        creationTimestamp: new Date().toISOString(),
        ...object.metadata,
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
    if (req.headers.authorization !== `Bearer ${this.adminToken}`)
      return this.send(res, 401, status(401, 'Unauthorized', 'Unauthorized'));
    const failure = this.failures.find((f) => f.times > 0 && p.startsWith(f.prefix));
    if (failure !== undefined) {
      failure.times--;
      return this.send(res, failure.status, status(failure.status, 'InternalError', 'injected failure'));
    }

    if (method === 'POST' && p === '/apis/authentication.k8s.io/v1/tokenreviews')
      return this.tokenReview(req, res);
    if (method === 'POST' && p === '/apis/authorization.k8s.io/v1/subjectaccessreviews')
      return this.accessReview(req, res);

    const cluster = /^\/api\/v1\/(pods|nodes|events)$/.exec(p);
    if (method === 'GET' && cluster !== null) return this.listOrWatch(cluster[1] as Kind, url, res);
    const cm = /^\/api\/v1\/namespaces\/([^/]+)\/configmaps(?:\/([^/]+))?$/.exec(p);
    if (cm !== null) return this.configMap(method, cm[1]!, cm[2], req, res);
    return this.send(
      res,
      404,
      status(404, 'NotFound', `the server could not find the requested resource (${p})`),
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
      for (const h of this.history)
        if (h.kind === kind && h.rv > from && matches(h.object))
          res.write(`${JSON.stringify({ type: h.type, object: h.object })}\n`);
      const watcher: Watcher = { kind, res, matches };
      this.watchers.add(watcher);
      res.on('close', () => this.watchers.delete(watcher));
      return;
    }
    const items = [...this.store[kind].values()].filter(matches);
    this.send(res, 200, {
      apiVersion: 'v1',
      kind: KIND_INFO[kind].list,
      metadata: { resourceVersion: String(this.rv) },
      items,
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
