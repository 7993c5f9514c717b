// A registry v2 client for one source host, doing what containers/image's dockerClient does for a pull
// (without layers): ping /v2/ (https, then plain http only when insecure), remember the challenges of
// the ping, authenticate every later request from them (Basic, or a Bearer token for
// `repository:PATH:pull`), HEAD/GET the manifest with c/image's Accept list. Keep-alive agents, the
// ping and the tokens are kept so that a warm trace in the same process costs one round trip.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type https from 'node:https';
import tls from 'node:tls';
import type { Credentials } from '../core/credentials/secret.js';
import {
  describeChallenge,
  parseChallenges,
  pullScope,
  type AuthChallenge,
} from '../core/registry-protocol/challenge.js';
import { parseErrorBody } from '../core/registry-protocol/error-body.js';
import {
  isDigest,
  MANIFEST_ACCEPT_HEADER,
  MAX_ERROR_BODY_BYTES,
  MAX_MANIFEST_BYTES,
  MAX_TOKEN_BYTES,
  simplifyContentType,
} from '../core/registry-protocol/manifest-types.js';
import {
  classifyManifestStatus,
  classifyTransport,
  isTlsTrustFailure,
  type Classified,
} from '../core/registry-protocol/outcome.js';
import type { CertFile } from '../host/certs-d.js';
import { RoutedHttpAgent, RoutedHttpsAgent } from './connect-to.js';
import { exchange, timeoutError, TransportError, type HttpAnswer } from './http-request.js';
import { SentSecrets } from './sent-secrets.js';
import {
  MAX_REDIRECTS,
  realmWithholdReason,
  redirectDecision,
  REDIRECT_STATUSES,
  type AuthorizationKind,
} from './redirect-policy.js';

export interface ClientTls {
  /** Node path of the certs.d directory in use, null when none exists. */
  readonly dir: string | null;
  /** The node's system trust bundle; null means Node's bundled roots. */
  readonly system?: CertFile | null;
  readonly cas: readonly CertFile[];
  readonly clientCert: CertFile | null;
  readonly clientKey: CertFile | null;
}

export interface RegistryClientConfig {
  /** The host[:port] contacted (`registry-1.docker.io` for docker.io). */
  readonly host: string;
  readonly insecure: boolean;
  readonly tls: ClientTls;
  readonly credentials: Credentials;
  /** Whether `credentials` came from an auth file (only changes explanations). */
  readonly credentialsFound: boolean;
  readonly timeoutMs: number;
  readonly userAgent: string;
}

export interface ProbeStep {
  readonly kind: 'ping' | 'auth' | 'manifest' | 'fetch' | 'redirect' | 'tls';
  readonly message: string;
  readonly durationMs: number;
  readonly status: number | null;
}

export type StepLog = (step: ProbeStep) => void;

/** A failed step, classified; the trace records it as the source's outcome. */
export class ProbeFailure extends Error {
  override readonly name = 'ProbeFailure';
  constructor(readonly classified: Classified) {
    super(classified.reason);
  }
}

export interface PingInfo {
  readonly scheme: 'https' | 'http';
  readonly status: number;
  readonly challenges: readonly AuthChallenge[];
  /** `X-Registry-Supports-Signatures: 1` (the signature API extension). */
  readonly supportsSignatures: boolean;
}

export interface ManifestAnswer {
  readonly method: 'HEAD' | 'GET';
  readonly status: number;
  readonly classified: Classified;
  /** `Docker-Content-Digest` for HEAD; the sha256 of the bytes for GET. */
  readonly digest: string | null;
  readonly headerDigest: string | null;
  readonly mediaType: string;
  readonly bytes: Buffer | null;
}

const PING_TTL_MS = 30_000;
/** c/image `minimumTokenLifetimeSeconds`. */
const MIN_TOKEN_LIFETIME_S = 60;

function now(): number {
  return performance.now();
}

function ms(start: number): number {
  return Math.round((now() - start) * 100) / 100;
}

function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * A manifest's bytes in a buffer of their own. A small body is a view of node's shared 8 KiB buffer
 * pool, and an answer the agent keeps for its TTL would keep the whole slab alive with it (510 kept
 * manifests of the agent bench held 77 slabs, 630 KiB, for 204 KiB of bytes).
 */
function ownBytes(body: Buffer): Buffer {
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength) return body;
  const own = Buffer.allocUnsafeSlow(body.length);
  body.copy(own);
  return own;
}

function headerDigestOf(answer: HttpAnswer): string | null {
  const value = answer.headers['docker-content-digest'];
  return typeof value === 'string' && isDigest(value) ? value : null;
}

function splitHostPort(hostPort: string): { hostname: string; port: number | null } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostPort);
  if (!m) return { hostname: hostPort, port: null };
  return { hostname: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] === undefined ? null : Number(m[2]) };
}

export class RegistryClient {
  private readonly httpAgent: http.Agent;
  private httpsAgent: https.Agent | null = null;
  /**
   * The trust is the system roots plus the certs.d CAs. Parsing the system roots costs tens of ms,
   * so a client with certs.d CAs first verifies against those alone (a subset of the same trust) and
   * adds the system roots only when that fails.
   */
  private trust: 'certs-d' | 'full';
  private pingInfo: { info: PingInfo; at: number } | null = null;
  private readonly tokens = new Map<string, { token: string; expires: number }>();

  private readonly sent: SentSecrets;

  constructor(readonly config: RegistryClientConfig) {
    this.sent = new SentSecrets(config.credentials);
    this.httpAgent = new RoutedHttpAgent({ keepAlive: true, maxSockets: 8 });
    this.trust = config.tls.cas.length > 0 && !config.insecure ? 'certs-d' : 'full';
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent?.destroy();
    this.httpsAgent = null;
  }

  /** One TLS context per client and trust level (Node would otherwise rebuild it per connection). */
  private buildHttpsAgent(): https.Agent {
    const { cas, clientCert, clientKey, system } = this.config.tls;
    const extra = cas.map((c) => c.pem.toString('utf8'));
    let ca: string[] | undefined;
    if (this.config.insecure) ca = undefined;
    else if (this.trust === 'certs-d') ca = extra;
    else if (system) ca = [system.pem.toString('utf8'), ...extra];
    else if (extra.length > 0) ca = [tls.rootCertificates.join('\n'), ...extra];
    const secureContext = tls.createSecureContext({
      ...(ca !== undefined ? { ca } : {}),
      ...(clientCert && clientKey ? { cert: clientCert.pem, key: clientKey.pem } : {}),
    });
    return new RoutedHttpsAgent({
      keepAlive: true,
      maxSockets: 8,
      rejectUnauthorized: !this.config.insecure,
      secureContext,
    });
  }

  private agentFor(url: URL): http.Agent {
    if (url.protocol !== 'https:') return this.httpAgent;
    this.httpsAgent ??= this.buildHttpsAgent();
    return this.httpsAgent;
  }

  private widenTrust(): void {
    this.trust = 'full';
    this.httpsAgent?.destroy();
    this.httpsAgent = null;
  }

  /**
   * One request and its redirects, as Go's http.Client follows them for c/image (redirect-policy.ts).
   * One deadline covers the whole chain, so a slow registry cannot multiply it by redirecting.
   */
  private async request(
    method: 'GET' | 'HEAD' | 'POST',
    url: URL,
    headers: Record<string, string>,
    limits: { maxBodyBytes: number; overflow: 'truncate' | 'fail'; discardBody?: boolean; body?: string },
    log: StepLog,
    authorization: AuthorizationKind = headers.Authorization === undefined ? 'none' : this.secrecy(),
  ): Promise<HttpAnswer> {
    let current = url;
    let currentMethod = method;
    // Go copies the FIRST request's headers to every hop, Authorization only while it may go there.
    const firstHeaders: Record<string, string> = { 'User-Agent': this.config.userAgent, ...headers };
    let currentHeaders = firstHeaders;
    let body = limits.body;
    const deadline = now() + this.config.timeoutMs;
    const within = `within ${this.config.timeoutMs} ms`;
    for (let hop = 0; ; hop++) {
      const send = () => {
        const left = Math.floor(deadline - now());
        if (left <= 0) throw timeoutError(current, currentMethod, within);
        return exchange({
          url: current,
          method: currentMethod,
          headers: currentHeaders,
          agent: this.agentFor(current),
          timeoutMs: left,
          timeoutText: within,
          maxBodyBytes: limits.maxBodyBytes,
          maxErrorBodyBytes: MAX_ERROR_BODY_BYTES,
          overflow: limits.overflow,
          ...(limits.discardBody ? { discardBody: true } : {}),
          ...(body !== undefined ? { body } : {}),
        });
      };
      let answer: HttpAnswer;
      try {
        answer = await send();
      } catch (err) {
        if (!(err instanceof TransportError && isTlsTrustFailure(err.code) && this.trust === 'certs-d'))
          throw err;
        this.widenTrust();
        answer = await send();
      }
      const location = answer.headers.location;
      if (!REDIRECT_STATUSES.has(answer.status) || typeof location !== 'string') return answer;
      if (hop + 1 > MAX_REDIRECTS)
        throw new TransportError(
          'TOO_MANY_REDIRECTS',
          `${method} ${url.pathname}: stopped after ${MAX_REDIRECTS} redirects`,
        );
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        throw new TransportError('BAD_REDIRECT', `${method} ${current.pathname}: invalid redirect location`);
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:')
        throw new TransportError('BAD_REDIRECT', `redirect to unsupported scheme ${next.protocol}`);
      const decision = redirectDecision({
        status: answer.status,
        method: currentMethod,
        hasBody: body !== undefined,
        first: url,
        next,
        authorization,
      });
      if (decision.kind === 'stop') return answer;
      if (decision.kind === 'withhold') throw new TransportError('CREDENTIALS_WITHHELD', decision.reason);
      const { Authorization: _auth, 'Content-Type': _type, ...rest } = firstHeaders;
      if (!decision.keepBody) body = undefined;
      const dropped = authorization !== 'none' && !decision.authorization;
      if (dropped) authorization = 'none'; // once dropped, never restored in this chain
      currentHeaders = {
        ...rest,
        ...(authorization !== 'none' && _auth !== undefined ? { Authorization: _auth } : {}),
        ...(body !== undefined && _type !== undefined ? { 'Content-Type': _type } : {}),
      };
      currentMethod = decision.method;
      log({
        kind: 'redirect',
        message: `${answer.status} redirect to ${next.protocol}//${next.host}${next.pathname}${currentMethod !== method ? ` (now ${currentMethod}, without the body)` : ''}${dropped ? ' (without Authorization: another host or port)' : ''}`,
        durationMs: 0,
        status: answer.status,
      });
      current = next;
    }
  }

  /** What an Authorization header of this client carries: credentials, or nothing secret. */
  private secrecy(): AuthorizationKind {
    return this.config.credentials.isEmpty ? 'public' : 'secret';
  }

  /** `what` is the upstream error prefix, e.g. `pinging container registry HOST`. */
  private async failTransport(err: unknown, host: string, what: string): Promise<never> {
    if (!(err instanceof TransportError)) throw err;
    let classified = classifyTransport(err, { host, caFiles: this.config.tls.cas.map((c) => c.file) });
    classified = { ...classified, reason: `${what}: ${classified.reason}` };
    if (classified.outcome === 'tls-untrusted') {
      const { hostname, port } = splitHostPort(host);
      const { peerIssuer } = await import('./tls-diagnosis.js');
      const issuer = await peerIssuer(hostname, port ?? 443, Math.min(this.config.timeoutMs, 2000));
      if (issuer !== null) classified = { ...classified, reason: `${classified.reason} (${issuer})` };
    }
    throw new ProbeFailure(classified);
  }

  /** `detectProperties`: ping https, then http when insecure; 200 and 401 mean "a v2 registry". */
  ping(log: StepLog): Promise<PingInfo> {
    return this.unechoed(() => this.detectProperties(this.redacting(log)));
  }

  private async detectProperties(log: StepLog): Promise<PingInfo> {
    if (this.pingInfo !== null && now() - this.pingInfo.at < PING_TTL_MS) return this.pingInfo.info;
    const host = this.config.host;
    const attempt = async (scheme: 'https' | 'http'): Promise<PingInfo> => {
      const start = now();
      const url = new URL(`${scheme}://${host}/v2/`);
      let answer: HttpAnswer;
      try {
        answer = await this.request(
          'GET',
          url,
          {},
          { maxBodyBytes: MAX_ERROR_BODY_BYTES, overflow: 'truncate', discardBody: true },
          log,
        );
      } catch (err) {
        log({
          kind: 'ping',
          message: `GET ${url.href}: ${(err as Error).message}`,
          durationMs: ms(start),
          status: null,
        });
        throw err;
      }
      const challenges = parseChallenges(answer.wwwAuthenticate);
      const auth = challenges.length > 0 ? ` (${challenges.map(describeChallenge).join('; ')})` : '';
      log({
        kind: 'ping',
        message: `GET ${url.href} → ${answer.status}${auth}`,
        durationMs: ms(start),
        status: answer.status,
      });
      if (answer.status !== 200 && answer.status !== 401) {
        throw new TransportError(
          'PING_STATUS',
          `pinging container registry ${host}: unexpected HTTP status ${answer.status} from ${url.href}`,
        );
      }
      return {
        scheme,
        status: answer.status,
        challenges,
        supportsSignatures: answer.headers['x-registry-supports-signatures'] === '1',
      };
    };
    let info: PingInfo;
    try {
      info = await attempt('https');
    } catch (httpsErr) {
      if (!this.config.insecure)
        return this.failTransport(httpsErr, host, `pinging container registry ${host}`);
      try {
        info = await attempt('http');
      } catch (httpErr) {
        return this.failTransport(httpErr, host, `pinging container registry ${host}`);
      }
    }
    this.pingInfo = { info, at: now() };
    return info;
  }

  /** Forget the ping and the connections (after a failure, so the next trace starts afresh). */
  reset(): void {
    this.pingInfo = null;
    this.httpAgent.destroy();
    this.httpsAgent?.destroy();
    this.httpsAgent = null;
  }

  /** `setupRequestAuth`: the ping's challenges decide; the first supported one is used. */
  private async authorization(
    ping: PingInfo,
    repoPath: string,
    log: StepLog,
    extraScope: string | null = null,
  ): Promise<string | null> {
    const creds = this.config.credentials.reveal();
    for (const challenge of ping.challenges) {
      if (challenge.scheme === 'basic') {
        // c/image sends Basic even with empty credentials (`Og==`).
        return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      }
      if (challenge.scheme === 'bearer') {
        const scopes = extraScope === null ? [pullScope(repoPath)] : [pullScope(repoPath), extraScope];
        return `Bearer ${await this.bearerToken(ping, challenge, scopes, log)}`;
      }
    }
    return null;
  }

  private async bearerToken(
    ping: PingInfo,
    challenge: AuthChallenge,
    scopes: readonly string[],
    log: StepLog,
  ): Promise<string> {
    const scope = scopes.join(' ');
    const cached = this.tokens.get(scope);
    if (cached !== undefined && Date.now() < cached.expires) return cached.token;
    const realm = challenge.params.realm;
    if (realm === undefined)
      throw new ProbeFailure({ outcome: 'error', reason: 'missing realm in bearer auth challenge' });
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new ProbeFailure({ outcome: 'error', reason: `invalid bearer realm "${realm}"` });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new ProbeFailure({ outcome: 'error', reason: `unsupported bearer realm scheme ${url.protocol}` });
    const creds = this.config.credentials.reveal();
    const sendsSecret = creds.identityToken !== '' || (creds.username !== '' && creds.password !== '');
    const withheld = sendsSecret
      ? realmWithholdReason(url, { scheme: ping.scheme, host: this.config.host })
      : null;
    if (withheld !== null) {
      log({ kind: 'auth', message: `token request not sent: ${withheld}`, durationMs: 0, status: null });
      throw new ProbeFailure({ outcome: 'error', reason: `requesting bearer token: ${withheld}` });
    }
    const service = challenge.params.service;
    const headers: Record<string, string> = {};
    let method: 'GET' | 'POST' = 'GET';
    let body: string | undefined;
    if (creds.identityToken !== '') {
      method = 'POST';
      const form = new URLSearchParams();
      if (service) form.append('service', service);
      for (const sc of scopes) form.append('scope', sc);
      form.append('grant_type', 'refresh_token');
      form.append('refresh_token', creds.identityToken);
      form.append('client_id', 'containers/image');
      body = form.toString();
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    } else {
      if (creds.username !== '') url.searchParams.append('account', creds.username);
      if (service) url.searchParams.append('service', service);
      for (const sc of scopes) url.searchParams.append('scope', sc);
      if (creds.username !== '' && creds.password !== '') {
        headers.Authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      }
    }
    const shown = `${method} ${url.protocol}//${url.host}${url.pathname} (service "${service ?? ''}", scope "${scope}"${this.config.credentialsFound ? ', with the credentials found' : ', anonymous'})`;
    const start = now();
    let answer: HttpAnswer;
    try {
      answer = await this.request(
        method,
        url,
        headers,
        { maxBodyBytes: MAX_TOKEN_BYTES, overflow: 'fail', ...(body !== undefined ? { body } : {}) },
        log,
        headers.Authorization === undefined ? 'none' : 'secret',
      );
    } catch (err) {
      log({
        kind: 'auth',
        message: `${shown}: ${(err as Error).message}`,
        durationMs: ms(start),
        status: null,
      });
      return this.failTransport(err, url.host, 'requesting bearer token');
    }
    log({
      kind: 'auth',
      message: `${shown} → ${answer.status}`,
      durationMs: ms(start),
      status: answer.status,
    });
    if (answer.status === 401 || answer.status === 403) {
      throw new ProbeFailure({
        outcome: answer.status === 401 ? 'unauthorized' : 'denied',
        reason: `unable to retrieve auth token: ${this.config.credentialsFound ? 'invalid username/password' : 'anonymous access refused'} (HTTP ${answer.status} from ${url.host})`,
      });
    }
    if (answer.status !== 200) {
      // c/image's httpResponseToError texts; a redirect left unfollowed is the answer itself.
      const context = method === 'POST' ? 'Trying to obtain access token' : 'Requesting bearer token';
      const unfollowed =
        method === 'POST' && REDIRECT_STATUSES.has(answer.status)
          ? '; Go does not replay the identity-token body on this redirect, so CRI-O gets the same'
          : '';
      throw new ProbeFailure({
        outcome: 'error',
        reason: `${context}: invalid status code from registry ${answer.status} (${http.STATUS_CODES[answer.status] ?? 'Unknown'}) from ${url.host}${unfollowed}`,
      });
    }
    let doc: unknown;
    try {
      doc = JSON.parse(answer.body.toString('utf8'));
    } catch {
      throw new ProbeFailure({
        outcome: 'error',
        reason: `decoding bearer token from ${url.host}: the answer is not JSON`,
      });
    }
    const t = doc as { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    const token =
      typeof t.token === 'string' && t.token !== ''
        ? t.token
        : typeof t.access_token === 'string'
          ? t.access_token
          : '';
    if (token === '' || /[\r\n]/.test(token))
      throw new ProbeFailure({
        outcome: 'error',
        reason: `decoding bearer token from ${url.host}: no usable token in the answer`,
      });
    const lifetime = Math.max(typeof t.expires_in === 'number' ? t.expires_in : 0, MIN_TOKEN_LIFETIME_S);
    const issued =
      typeof t.issued_at === 'string' && !Number.isNaN(Date.parse(t.issued_at))
        ? Date.parse(t.issued_at)
        : Date.now();
    this.sent.add(token);
    this.tokens.set(scope, { token, expires: issued + lifetime * 1000 });
    return token;
  }

  /**
   * An authenticated GET of another path of a repository (the signature extension, blobs). The
   * credentials and token are those of `repoPath`'s pull scope, as for its manifests; redirects
   * (blob storage) lose the Authorization header when they leave the host.
   */
  get(
    repoPath: string,
    path: string,
    maxBodyBytes: number,
    log: StepLog,
  ): Promise<{ status: number; body: Buffer }> {
    return this.unechoed(() => this.fetchPath(repoPath, path, maxBodyBytes, this.redacting(log)));
  }

  private async fetchPath(
    repoPath: string,
    path: string,
    maxBodyBytes: number,
    log: StepLog,
  ): Promise<{ status: number; body: Buffer }> {
    const ping = await this.ping(log);
    const url = new URL(`${ping.scheme}://${this.config.host}${path}`);
    const authorization = await this.authorization(ping, repoPath, log);
    const start = now();
    try {
      const answer = await this.request(
        'GET',
        url,
        authorization === null ? {} : { Authorization: authorization },
        { maxBodyBytes, overflow: 'fail' },
        log,
      );
      log({
        kind: 'fetch',
        message: `GET ${url.href} → ${answer.status}`,
        durationMs: ms(start),
        status: answer.status,
      });
      return { status: answer.status, body: answer.body };
    } catch (err) {
      log({
        kind: 'fetch',
        message: `GET ${url.href}: ${(err as Error).message}`,
        durationMs: ms(start),
        status: null,
      });
      throw err;
    }
  }

  /**
   * An authenticated HEAD of a blob of `repoPath` (whether the registry would serve it). Redirects to
   * blob storage are followed as a GET would be. Transport failures throw ProbeFailure.
   */
  blobHead(repoPath: string, digest: string, log: StepLog): Promise<{ status: number; via: string }> {
    return this.unechoed(() => this.headBlob(repoPath, digest, this.redacting(log)));
  }

  private async headBlob(
    repoPath: string,
    digest: string,
    log: StepLog,
  ): Promise<{ status: number; via: string }> {
    const ping = await this.ping(log);
    const url = new URL(`${ping.scheme}://${this.config.host}/v2/${repoPath}/blobs/${digest}`);
    const authorization = await this.authorization(ping, repoPath, log);
    const start = now();
    let answer: HttpAnswer;
    try {
      answer = await this.request(
        'HEAD',
        url,
        authorization === null ? {} : { Authorization: authorization },
        { maxBodyBytes: MAX_ERROR_BODY_BYTES, overflow: 'truncate', discardBody: true },
        log,
      );
    } catch (err) {
      log({
        kind: 'fetch',
        message: `HEAD ${url.href}: ${(err as Error).message}`,
        durationMs: ms(start),
        status: null,
      });
      return this.failTransport(
        err,
        this.config.host,
        `checking blob ${digest} in ${this.config.host}/${repoPath}`,
      );
    }
    log({
      kind: 'fetch',
      message: `HEAD ${url.href} → ${answer.status}`,
      durationMs: ms(start),
      status: answer.status,
    });
    return { status: answer.status, via: answer.url.host };
  }

  /**
   * The manifest answer for `repoPath` at `tagOrDigest`. A non-200 answer is returned classified;
   * transport failures throw ProbeFailure.
   */
  async manifest(
    repoPath: string,
    tagOrDigest: string,
    method: 'HEAD' | 'GET',
    log: StepLog,
  ): Promise<ManifestAnswer> {
    const answer = await this.unechoed(() =>
      this.fetchManifest(repoPath, tagOrDigest, method, this.redacting(log)),
    );
    return {
      ...answer,
      mediaType: this.sent.redact(answer.mediaType),
      classified: { ...answer.classified, reason: this.sent.redact(answer.classified.reason) },
    };
  }

  /** Every step this client logs, with anything it sent and the registry echoed redacted. */
  private redacting(log: StepLog): StepLog {
    return (step) => log({ ...step, message: this.sent.redact(step.message) });
  }

  /** Failures leave the client with any echoed secret redacted. */
  private async unechoed<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof ProbeFailure)
        throw new ProbeFailure({ ...err.classified, reason: this.sent.redact(err.classified.reason) });
      if (err instanceof TransportError) throw new TransportError(err.code, this.sent.redact(err.message));
      throw err;
    }
  }

  private async fetchManifest(
    repoPath: string,
    tagOrDigest: string,
    method: 'HEAD' | 'GET',
    log: StepLog,
  ): Promise<ManifestAnswer> {
    const ping = await this.ping(log);
    const url = new URL(`${ping.scheme}://${this.config.host}/v2/${repoPath}/manifests/${tagOrDigest}`);
    const send = async (extraScope: string | null): Promise<HttpAnswer> => {
      const authorization = await this.authorization(ping, repoPath, log, extraScope);
      const headers: Record<string, string> = {
        Accept: MANIFEST_ACCEPT_HEADER,
        'Docker-Distribution-API-Version': 'registry/2.0',
      };
      if (authorization !== null) headers.Authorization = authorization;
      const start = now();
      let answer: HttpAnswer;
      try {
        const limits = {
          maxBodyBytes: MAX_MANIFEST_BYTES,
          overflow: method === 'GET' ? 'fail' : 'truncate',
        } as const;
        answer = await this.request(method, url, headers, limits, log);
      } catch (err) {
        log({
          kind: 'manifest',
          message: `${method} ${url.href}: ${(err as Error).message}`,
          durationMs: ms(start),
          status: null,
        });
        this.pingInfo = null;
        return this.failTransport(
          err,
          this.config.host,
          `reading manifest ${tagOrDigest} in ${this.config.host}/${repoPath}`,
        );
      }
      const ok = answer.status === 200;
      const mediaType = simplifyContentType(answer.headers['content-type']);
      const digest = ok && method === 'GET' ? sha256Digest(answer.body) : headerDigestOf(answer);
      const what = ok
        ? ` ${mediaType || '(no Content-Type)'}${digest ? ` ${digest}` : ''}${method === 'GET' ? ` (${answer.body.length} bytes)` : ''}`
        : '';
      log({
        kind: 'manifest',
        message: `${method} ${url.href} → ${answer.status}${what}`,
        durationMs: ms(start),
        status: answer.status,
      });
      return answer;
    };
    let answer = await send(null);
    // c/image retries once, with the scope the registry names, when a token was insufficient.
    const insufficient = parseChallenges(answer.wwwAuthenticate).find(
      (c) => c.scheme === 'bearer' && c.params.error === 'insufficient_scope' && c.params.scope !== undefined,
    );
    if (
      answer.status === 401 &&
      insufficient !== undefined &&
      ping.challenges.some((c) => c.scheme === 'bearer')
    ) {
      answer = await send(insufficient.params.scope!);
    }
    const headerDigest = headerDigestOf(answer);
    const mediaType = simplifyContentType(answer.headers['content-type']);
    const ok = answer.status === 200;
    const bytes = ok && method === 'GET' ? ownBytes(answer.body) : null;
    const digest = bytes !== null ? sha256Digest(bytes) : headerDigest;
    const classified = classifyManifestStatus({
      status: answer.status,
      challenges: parseChallenges(answer.wwwAuthenticate),
      errors: ok ? [] : parseErrorBody(answer.body.subarray(0, MAX_ERROR_BODY_BYTES).toString('utf8')),
      credentialsFound: this.config.credentialsFound,
      reference: `${this.config.host}/${repoPath}${tagOrDigest.includes(':') ? '@' : ':'}${tagOrDigest}`,
    });
    return { method, status: answer.status, classified, digest, headerDigest, mediaType, bytes };
  }
}
