// The kubectl plugin's way to the collector: the API server's service proxy
// (`/api/v1/namespaces/NS/services/SCHEME:NAME:PORT/proxy/…`), with the user's kubeconfig, so no
// port-forward is needed and the user's own RBAC applies (`get services/proxy`, `create` for POST).
// Every refusal is turned into a sentence in the user's terms: not installed, which verb on which
// resource is missing, the API server refusing the credentials, no ready collector pod.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { MirrorscopeError } from '../../core/errors.js';
import { FORWARDED_TOKEN_HEADER } from '../../collector/bearer-token.js';

export interface CollectorLocation {
  readonly namespace: string;
  readonly service: string;
}

export const DEFAULT_LOCATION: CollectorLocation = {
  namespace: 'mirrorscope',
  service: 'mirrorscope-collector',
};

export const INSTALL_HINT =
  'install it with `oc apply -k https://github.com/mirrorscope/mirrorscope/daemonset/overlays/openshift` ' +
  '(OpenShift) or `kubectl apply -k https://github.com/mirrorscope/mirrorscope/daemonset/base`';

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The API server's own error document (not the collector's `{"error": …}`). */
interface KubeStatus {
  readonly kind: 'Status';
  readonly message?: string;
  readonly reason?: string;
}

function kubeStatus(answer: Answer): KubeStatus | null {
  try {
    const doc = JSON.parse(answer.body.toString('utf8')) as { kind?: unknown };
    return doc.kind === 'Status' ? (doc as KubeStatus) : null;
  } catch {
    return null;
  }
}

function collectorError(answer: Answer): string {
  const text = answer.body.toString('utf8').trim();
  try {
    const e = (JSON.parse(text) as { error?: unknown }).error;
    if (typeof e === 'string') return e;
    // A trace the agent could not run: {"error": {"code": …, "message": …}}.
    const message = (e as { message?: unknown } | undefined)?.message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: the text as is (bounded)
  }
  return text.slice(0, 300);
}

/** A refusal for people: exit status 2, no usage text. */
function fail(message: string): MirrorscopeError {
  return new MirrorscopeError('input-invalid', message);
}

/** The RBAC verb the API server checks for a proxied request with this method. */
export function proxyVerb(method: string): string {
  return method === 'POST' ? 'create' : method === 'GET' || method === 'HEAD' ? 'get' : method.toLowerCase();
}

export class CollectorProxy {
  /** `scheme:name:port` once found (from the Service, else by trying). */
  private target: Promise<string[]> | null = null;

  private constructor(
    private readonly config: k8s.KubeConfig,
    private readonly server: URL,
    readonly location: CollectorLocation,
  ) {}

  /** The user's kubeconfig: --kubeconfig, else $KUBECONFIG / ~/.kube/config / in-cluster (client-node's chain). */
  static load(options: {
    kubeconfig: string | null;
    context: string | null;
    location: CollectorLocation;
  }): CollectorProxy {
    const config = new k8s.KubeConfig();
    try {
      if (options.kubeconfig !== null) config.loadFromFile(options.kubeconfig);
      else config.loadFromDefault();
      if (options.context !== null) {
        if (config.getContextObject(options.context) === null)
          throw new Error(`context "${options.context}" is not in the kubeconfig`);
        config.setCurrentContext(options.context);
      }
    } catch (err) {
      throw fail(`cannot load your kubeconfig: ${(err as Error).message}`);
    }
    const cluster = config.getCurrentCluster();
    if (cluster === null)
      throw fail('your kubeconfig names no current cluster (`kubectl config use-context NAME`)');
    let server: URL;
    try {
      server = new URL(cluster.server);
    } catch {
      throw fail(`the kubeconfig's server "${cluster.server}" is not a URL`);
    }
    return new CollectorProxy(config, server, options.location);
  }

  /** The loaded kubeconfig (for client-node's own clients, e.g. pods/exec). */
  get kubeConfig(): k8s.KubeConfig {
    return this.config;
  }

  /** One request to the API server at `apiPath` with the user's credentials. */
  async raw(
    method: string,
    apiPath: string,
    body?: Buffer,
    extra: Record<string, string> = {},
  ): Promise<Answer> {
    const options: RequestOptions = { method, headers: { Accept: 'application/json', ...extra } };
    try {
      await this.config.applyToHTTPSOptions(options);
    } catch (err) {
      // Exec credential plugins that fail, certificate files that are missing, …
      throw fail(
        `cannot use the credentials of kubeconfig context "${this.config.getCurrentContext()}": ${(err as Error).message}`,
      );
    }
    const headers = options.headers as Record<string, string>;
    // Through the proxy the API server consumes Authorization; the collector needs the token too.
    const token = /^Bearer\s+(\S+)$/i.exec(headers.Authorization ?? headers.authorization ?? '')?.[1];
    if (token !== undefined && apiPath.includes('/proxy/')) headers[FORWARDED_TOKEN_HEADER] = token;
    if (body !== undefined) headers['Content-Length'] = String(body.length);
    const url = new URL(apiPath, this.server);
    // client-node builds a TLS agent; a plain-HTTP API server (a test's, kubectl proxy's) takes none.
    if (url.protocol === 'http:') delete options.agent;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      });
      req.setTimeout(120_000, () => req.destroy(new Error('no answer within 120 s')));
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(fail(`cannot reach the API server at ${this.server.origin}: ${err.code ?? err.message}`)),
      );
      req.end(body);
    });
  }

  /** `scheme:name:port` candidates: what the Service says, else https then http on port "http". */
  private locate(): Promise<string[]> {
    this.target ??= (async () => {
      const { namespace, service } = this.location;
      const answer = await this.raw('GET', `/api/v1/namespaces/${namespace}/services/${service}`);
      if (answer.status === 404)
        throw fail(
          `the mirrorscope collector is not installed in this cluster: there is no Service ${service} in namespace ${namespace} (${INSTALL_HINT}; or name where it runs with -n NAMESPACE / --service NAME)`,
        );
      if (answer.status === 401) throw this.refusal('GET', answer, 'services');
      if (answer.status === 200) {
        const svc = JSON.parse(answer.body.toString('utf8')) as {
          metadata?: { annotations?: Record<string, string> };
          spec?: { ports?: { name?: string; port: number }[] };
        };
        const port = svc.spec?.ports?.[0];
        if (port === undefined) throw fail(`Service ${service} in namespace ${namespace} has no port`);
        // OpenShift's service CA gives the collector its serving certificate: it then speaks TLS.
        const tls =
          svc.metadata?.annotations?.['service.beta.openshift.io/serving-cert-secret-name'] !== undefined ||
          port.name === 'https';
        return [`${tls ? 'https' : 'http'}:${service}:${port.port}`];
      }
      // May not read Services (403): the proxy may still be allowed. The shipped port is named http.
      return [`https:${service}:http`, `http:${service}:http`];
    })();
    return this.target;
  }

  /** A request to the collector at `path` (with query) through the service proxy; refusals throw. */
  async request(
    method: string,
    path: string,
    body?: Buffer,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const candidates = await this.locate();
    let answer: Answer | null = null;
    for (const target of candidates) {
      answer = await this.raw(method, this.proxyPath(target, path), body, headers);
      // A wrong scheme guess answers 502/503 from the API server: try the next one.
      if (
        candidates.length > 1 &&
        (answer.status === 502 || answer.status === 503) &&
        kubeStatus(answer) !== null
      )
        continue;
      if (candidates.length > 1) this.target = Promise.resolve([target]);
      break;
    }
    if (answer!.status >= 400) throw this.refusal(method, answer!, 'services/proxy', path);
    return answer!;
  }

  /** The API server path that reaches `path` on the collector. */
  proxyPath(target: string, path: string): string {
    return `/api/v1/namespaces/${this.location.namespace}/services/${target}/proxy${path}`;
  }

  /** The sentence for a refused request: the API server's refusal or the collector's. */
  private refusal(method: string, answer: Answer, resource: string, path = ''): MirrorscopeError {
    const { namespace, service } = this.location;
    const status = kubeStatus(answer);
    const context = this.config.getCurrentContext();
    if (status !== null) {
      const said = status.message ?? status.reason ?? `HTTP ${answer.status}`;
      if (answer.status === 401)
        return fail(
          `the API server at ${this.server.origin} does not accept your credentials (kubeconfig context "${context}"): log in again (\`oc login\`, or refresh your kubeconfig)`,
        );
      if (answer.status === 403)
        return fail(
          `you may not ${resource === 'services' ? 'get' : proxyVerb(method)} ${resource} in namespace ${namespace}, which reaching the collector through the API server needs. Ask a cluster admin for a Role granting it (on Service ${service}). The API server said: ${said}`,
        );
      if (answer.status === 404)
        return fail(`the mirrorscope collector is not installed in this cluster (${said}); ${INSTALL_HINT}`);
      if (/no endpoints available/i.test(said))
        return fail(
          `the collector is installed but no pod of it is ready (Service ${service} in namespace ${namespace} has no endpoints): \`kubectl -n ${namespace} get pods -l app.kubernetes.io/name=mirrorscope-collector\``,
        );
      return fail(
        `the API server cannot reach the collector (Service ${service} in namespace ${namespace}): ${said}`,
      );
    }
    const why = collectorError(answer);
    if (answer.status === 401)
      return fail(
        `the collector cannot tell who you are (${why}). Through the API server it sees your identity only as a bearer token: with a client-certificate login, log in with a token (\`oc login\`; \`oc whoami -t\` shows it)`,
      );
    if (answer.status === 403) {
      const m = /may not (\S+) (\S+)/.exec(why);
      return fail(
        m === null
          ? `the collector refuses: ${why}`
          : `you may not ${m[1]} ${m[2]}, which the collector requires for ${path.includes('trace') ? 'traces (the node runs the pull for you)' : 'this request'} (checked with a SubjectAccessReview): ${why}`,
      );
    }
    const agentGone = /no agent is connected for node (\S+)/.exec(why);
    if (answer.status === 404 && agentGone !== null)
      return fail(
        `the agent on node ${agentGone[1]} is not connected to the collector: is the mirrorscope-agent pod on that node running? (\`kubectl -n ${namespace} get pods -l app.kubernetes.io/name=mirrorscope-agent --field-selector spec.nodeName=${agentGone[1]}\`)`,
      );
    if (answer.status === 404)
      return fail(`this collector does not serve ${path.split('?')[0]} (an older version?): ${why}`);
    return fail(`the collector answered HTTP ${answer.status}: ${why}`);
  }
}
