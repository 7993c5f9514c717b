// The local HTTP endpoint (reached with `oc port-forward`): health, readiness, metrics, and the
// node's view: on-demand traces, current findings, effective configuration.
import { isNamespaceName } from '../core/crio/runtime-notes.js';
import { ERRORS, type ErrorBody, type ErrorCode } from '../core/errors.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpServerOptions } from '../protocol/http-limits.js';

export interface HttpHandlers {
  /** Alive: never depends on mirrors or the API. */
  healthy(): boolean;
  readiness(): { ready: boolean; reason: string };
  metrics(): Promise<{ contentType: string; body: string }>;
  trace(image: string, all: boolean, namespace?: string): Promise<unknown>;
  findings(): unknown;
  config(): unknown;
}

const MAX_CONCURRENT_TRACES = 2;

function send(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json',
): void {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'Content-Type': contentType,
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * `full`: everything (loopback, `oc port-forward`); `probes`: only what kubelet probes and Prometheus
 * need, for the pod IP — traces and the effective configuration stay off the network.
 */
export type HttpScope = 'full' | 'probes';

type HttpErrorCode = {
  [C in ErrorCode]: (typeof ERRORS)[C]['httpStatus'] extends number ? C : never;
}[ErrorCode];

/** `{"error":{code,message}}` with the status the catalogue gives the code. */
function sendError(res: http.ServerResponse, code: HttpErrorCode, message: string): void {
  const body: { error: ErrorBody } = { error: { code, message } };
  send(res, ERRORS[code].httpStatus, body);
}

const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export class AgentHttpServer {
  private readonly server: http.Server;
  private traces = 0;

  constructor(
    private readonly handlers: HttpHandlers,
    private readonly scope: HttpScope = 'full',
  ) {
    this.server = http.createServer(httpServerOptions(), (req, res) => {
      this.route(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, 'internal', (err as Error).message);
        else res.destroy();
      });
    });
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      setTimeout(() => this.server.closeAllConnections(), 500).unref();
    });
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://agent');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 'method-not-allowed', 'only GET is supported');
      return;
    }
    if (this.scope === 'probes' && !PROBE_PATHS.has(url.pathname)) {
      sendError(res, 'not-found', `this listener serves only ${[...PROBE_PATHS].join(', ')}`);
      return;
    }
    switch (url.pathname) {
      case '/healthz':
        send(res, this.handlers.healthy() ? 200 : 503, 'ok\n', 'text/plain; charset=utf-8');
        return;
      case '/readyz': {
        const r = this.handlers.readiness();
        send(res, r.ready ? 200 : 503, `${r.reason}\n`, 'text/plain; charset=utf-8');
        return;
      }
      case '/metrics': {
        const m = await this.handlers.metrics();
        send(res, 200, m.body, m.contentType);
        return;
      }
      case '/v1/findings':
        send(res, 200, this.handlers.findings());
        return;
      case '/v1/config':
        send(res, 200, this.handlers.config());
        return;
      case '/v1/trace': {
        const image = url.searchParams.get('image');
        const namespace = url.searchParams.get('namespace') ?? undefined;
        if (
          image === null ||
          image === '' ||
          image.length > 1024 ||
          (namespace !== undefined && !isNamespaceName(namespace))
        ) {
          sendError(res, 'usage', 'name the image: /v1/trace?image=REF[&all=1][&namespace=NS]');
          return;
        }
        if (this.traces >= MAX_CONCURRENT_TRACES) {
          res.setHeader('Retry-After', '1');
          sendError(res, 'busy', `at most ${MAX_CONCURRENT_TRACES} traces run at once`);
          return;
        }
        this.traces++;
        try {
          const all = ['1', 'true'].includes(url.searchParams.get('all') ?? '');
          send(res, 200, await this.handlers.trace(image, all, namespace));
        } finally {
          this.traces--;
        }
        return;
      }
      default:
        sendError(res, 'not-found', `no such endpoint ${url.pathname}`);
    }
  }
}
