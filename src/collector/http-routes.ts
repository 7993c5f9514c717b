// The collector's HTTP API: the report (HTML, JSON, metrics), on-demand traces, health.
import { isNamespaceName } from '../core/crio/runtime-notes.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CATALOGUE } from '../core/findings/catalogue.js';
import { ERRORS, MirrorscopeError } from '../core/errors.js';
import {
  CAUSES_DOC_PATH,
  FINDINGS_DOC_PATH,
  renderCausesDocHtml,
  renderFindingsDocHtml,
} from '../core/report/render-docs-html.js';
import { renderReportHtml } from '../core/report/render-html.js';
import { digestOf } from '../core/report/summary.js';
import type { ClusterReport } from '../core/report/types.js';
import type { ResourceAction } from '../kube/access-review.js';
import type { AgentServer } from './agent-server.js';
import { READ_ACTION, TRACE_ACTION, type ApiAuthorizer } from './api-auth.js';
import { streamReport } from './json-stream.js';
import type { ReportHistory } from './report-history.js';
import { parseReportQuery, readPage, ReportQueryError, streamPage } from './report-query.js';
import { parseLabelSelector } from './label-selector.js';
import type { Log } from './log.js';
import type { CollectorMetrics } from './metrics.js';
import type { RateLimiter } from './rate-limiter.js';
import type { TraceBroker, TraceOutcome } from './trace-broker.js';
import { groupAnswers, mapBounded } from './trace-fanout.js';
import type { WhatIfService } from './what-if.js';
import { WHAT_IF_PATH, whatIfRoute } from './what-if-route.js';
import { withWhatIfSection } from '../core/what-if/render-html.js';
import type { PodCredentialSource, PodTraceCredentials } from './pod-pull-secrets.js';
import type { WirePullCredential } from '../protocol/messages.js';

export interface RouteDeps {
  readonly report: () => ClusterReport;
  /** The reports paged reads are going through (continue tokens). */
  readonly history: ReportHistory;
  /** Milliseconds the last report build took (sent as Server-Timing). */
  readonly lastBuildMs: () => number;
  readonly agents: AgentServer;
  readonly broker: TraceBroker;
  readonly api: ApiAuthorizer;
  /** Anyone may read the report (page, JSON, metrics); traces always need authorization. */
  readonly publicReport: boolean;
  readonly limiter: RateLimiter;
  readonly metrics: CollectorMetrics;
  readonly traceTimeoutMs: number;
  /** Labels of a Node object; undefined when the collector has no Kubernetes API. */
  readonly nodeLabels: ((node: string) => Readonly<Record<string, string>> | undefined) | null;
  readonly ready: () => boolean;
  readonly log: Log;
  /** POST /api/v1/what-if; absent: not offered. */
  readonly whatIf?: WhatIfService;
  /** The credentials the kubelet sends for a pod's pull (collector --pod-pull-secrets); null without. */
  readonly podCredentials?: PodCredentialSource | null;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

const FAN_OUT_CONCURRENCY = 64;
const MAX_IMAGE_LENGTH = 1024;

export function createRequestHandler(deps: RouteDeps): (req: IncomingMessage, res: ServerResponse) => void {
  async function authorize(req: IncomingMessage, action: ResourceAction): Promise<string> {
    const answer = await deps.api.authorize(req, action);
    if (!answer.ok) {
      deps.metrics.apiAuthFailures.inc({ status: String(answer.status) });
      throw new HttpError(
        answer.status,
        answer.reason,
        answer.status === 401
          ? { 'WWW-Authenticate': 'Bearer' }
          : answer.retryAfterSeconds !== undefined
            ? { 'Retry-After': String(answer.retryAfterSeconds) }
            : {},
      );
    }
    return answer.user;
  }

  async function read(req: IncomingMessage): Promise<void> {
    if (!deps.publicReport) await authorize(req, READ_ACTION);
  }

  function rateLimit(user: string, cost: number): void {
    const wait = deps.limiter.take(user, cost);
    if (wait > 0)
      throw new HttpError(429, `too many trace requests; retry in ${wait} s`, {
        'Retry-After': String(wait),
      });
  }

  function imageParam(url: URL): string {
    const image = url.searchParams.get('image');
    if (image === null || image === '') throw new HttpError(400, 'the "image" query parameter is required');
    if (image.length > MAX_IMAGE_LENGTH) throw new HttpError(400, 'the "image" query parameter is too long');
    return image;
  }

  /** `namespace`: the pod's namespace, which chooses CRI-O's per-namespace signature policy. */
  function namespaceParam(url: URL): string | null {
    const ns = url.searchParams.get('namespace');
    if (ns === null || ns === '') return null;
    if (!isNamespaceName(ns))
      throw new HttpError(400, 'the "namespace" query parameter must be a Kubernetes namespace name');
    return ns;
  }

  /** `pod`: trace the pull as the kubelet makes it for this pod (its pull secrets' credentials). */
  async function podParam(
    url: URL,
    namespace: string | null,
    image: string,
  ): Promise<Extract<PodTraceCredentials, { ok: true }> | null> {
    const pod = url.searchParams.get('pod');
    if (pod === null || pod === '') return null;
    if (namespace === null) throw new HttpError(400, 'the "pod" query parameter needs "namespace"');
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(pod))
      throw new HttpError(400, 'the "pod" query parameter must be a Kubernetes pod name');
    if (!deps.podCredentials)
      throw new HttpError(400, 'a trace for a pod needs the collector to run with --pod-pull-secrets');
    const answer = await deps.podCredentials(namespace, pod, image);
    if (!answer.ok) throw new HttpError(answer.status, answer.message);
    return answer;
  }

  async function traceOn(
    node: string,
    image: string,
    all: boolean,
    namespace: string | null,
    pullCredentials?: readonly WirePullCredential[],
  ): Promise<TraceOutcome> {
    const conn = deps.agents.connection(node);
    if (conn === undefined) throw new HttpError(404, `no agent is connected for node ${node}`);
    const { requestId, result } = deps.broker.open(conn.id, deps.traceTimeoutMs);
    const sent = conn.send({
      v: 1,
      type: 'trace-request',
      requestId,
      image,
      all,
      timeoutMs: Math.max(1000, deps.traceTimeoutMs - 1000),
      ...(namespace !== null ? { namespace } : {}),
      ...(pullCredentials !== undefined ? { pullCredentials } : {}),
    });
    if (!sent) {
      deps.broker.cancel(requestId);
      throw new HttpError(503, `the agent on node ${node} is not keeping up; try again`);
    }
    return result;
  }

  function sendHtml(res: ServerResponse, html: string, headers: Record<string, string> = {}): void {
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(html),
      ...headers,
    });
    res.end(html);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://collector');
    const path = url.pathname;
    if (path === WHAT_IF_PATH && deps.whatIf !== undefined) {
      const answer = await whatIfRoute(req, deps.whatIf, {
        authorize: (action) => authorize(req, action),
        read: () => read(req),
        rateLimit,
      });
      return sendJson(res, answer.status, answer.body);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      throw new HttpError(405, `${req.method} is not supported`, { Allow: 'GET, HEAD' });
    if (path === '/healthz') return sendJson(res, 200, { ok: true });
    if (path === '/readyz') return sendJson(res, deps.ready() ? 200 : 503, { ready: deps.ready() });
    if (path === '/') {
      await read(req);
      const page = withWhatIfSection(renderReportHtml(deps.report()), deps.whatIf?.last() ?? null);
      return sendHtml(res, page, { 'Cache-Control': 'no-store' });
    }
    if (path === CAUSES_DOC_PATH || path === FINDINGS_DOC_PATH) {
      await read(req);
      return sendHtml(res, path === CAUSES_DOC_PATH ? renderCausesDocHtml() : renderFindingsDocHtml());
    }
    if (path === '/metrics') {
      await read(req);
      const text = await deps.metrics.registry.metrics();
      res.writeHead(200, { 'Content-Type': deps.metrics.registry.contentType });
      res.end(text);
      return;
    }
    if (path === '/api/v1/report') {
      await read(req);
      const headers = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' };
      let page;
      try {
        const query = parseReportQuery(url.searchParams);
        page = query === null ? null : readPage(query, deps.report, deps.history);
      } catch (err) {
        if (err instanceof ReportQueryError) throw new HttpError(err.status, err.message);
        throw err;
      }
      res.writeHead(200, headers);
      await (page === null ? streamReport(res, deps.report()) : streamPage(res, page));
      return;
    }
    if (path === '/api/v1/summary') {
      await read(req);
      const digest = digestOf(deps.report());
      return sendJson(res, 200, digest, { 'Server-Timing': `report;dur=${deps.lastBuildMs().toFixed(1)}` });
    }
    if (path === '/api/v1/catalogue') return sendJson(res, 200, CATALOGUE);
    const nodeTrace = /^\/api\/v1\/nodes\/([^/]+)\/trace$/.exec(path);
    if (nodeTrace !== null) {
      const user = await authorize(req, TRACE_ACTION);
      const node = decodeURIComponent(nodeTrace[1]!);
      const image = imageParam(url);
      const namespace = namespaceParam(url);
      rateLimit(user, 1);
      const pod = await podParam(url, namespace, image);
      const all = url.searchParams.get('all') === '1';
      const outcome = await traceOn(node, image, all, namespace, pod?.credentials);
      if (outcome.kind === 'timeout')
        throw new HttpError(504, `the agent on node ${node} did not answer within ${deps.traceTimeoutMs} ms`);
      if (outcome.kind === 'disconnected')
        throw new HttpError(502, `the agent on node ${node} disconnected before answering`);
      const { message } = outcome;
      if (message.error !== null) return sendJson(res, 502, { node, image, error: message.error });
      // Secret and key names only: the credentials went to the agent and nowhere else.
      const agentUsedThem =
        typeof message.trace === 'object' && message.trace !== null && 'kubelet' in message.trace;
      const notes = agentUsedThem
        ? (pod?.notes ?? [])
        : [
            ...(pod?.notes ?? []),
            `the agent on node ${node} predates traces for a pod: it traced without the pod's credentials`,
          ];
      const podJson =
        pod === null
          ? {}
          : { pod: { namespace, name: url.searchParams.get('pod'), credentials: pod.used, notes } };
      return sendJson(res, 200, { node, image, ...podJson, trace: message.trace });
    }
    if (path === '/api/v1/trace') {
      const user = await authorize(req, TRACE_ACTION);
      const image = imageParam(url);
      const namespace = namespaceParam(url);
      // A pod runs on one node: its credentials go to that node's agent only.
      if (url.searchParams.has('pod'))
        throw new HttpError(400, 'a trace for a pod runs on its node: /api/v1/nodes/{node}/trace?…&pod=P');
      const selector = url.searchParams.get('labelSelector');
      let nodes = deps.agents.connectedNodes().sort();
      if (selector !== null && selector !== '') {
        if (deps.nodeLabels === null)
          throw new HttpError(400, 'labelSelector needs the Kubernetes API (the collector runs without one)');
        let matches;
        try {
          matches = parseLabelSelector(selector);
        } catch (err) {
          throw new HttpError(400, (err as Error).message);
        }
        nodes = nodes.filter((n) => matches(deps.nodeLabels!(n) ?? {}));
      }
      rateLimit(user, Math.min(10, 1 + Math.floor(nodes.length / 100)));
      const all = url.searchParams.get('all') === '1';
      const answers = await mapBounded(nodes, FAN_OUT_CONCURRENCY, async (node) => {
        try {
          return { node, outcome: await traceOn(node, image, all, namespace) };
        } catch {
          return { node, outcome: { kind: 'disconnected' } as TraceOutcome };
        }
      });
      return sendJson(res, 200, { image, nodes: nodes.length, groups: groupAnswers(answers) });
    }
    throw new HttpError(404, `no route for ${path}`);
  }

  return (req, res) => {
    route(req, res).catch((err: unknown) => {
      const status =
        err instanceof HttpError
          ? err.status
          : err instanceof MirrorscopeError
            ? (ERRORS[err.code].httpStatus ?? 400)
            : 500;
      if (status === 500) deps.log.error(`${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(
        res,
        status,
        { error: err instanceof HttpError || status !== 500 ? (err as Error).message : 'internal error' },
        err instanceof HttpError ? err.headers : {},
      );
    });
  };
}
