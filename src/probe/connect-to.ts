// `--connect-to HOST[:PORT]=ADDR:PORT` (as curl's option): requests keep the configured name — in the
// URL, the Host header, TLS SNI and certificate verification — while the TCP connection goes to
// ADDR:PORT. ADDR must be an IP address, so a mapped name is never looked up in DNS. Node roots can
// then keep realistic names (mirror.corp.example:5000) while a lab, or a mirror with no DNS entry yet,
// answers.
//
// The routes are process-wide, installed once by the command (trace, agent, start), because every
// probe, token request and signature fetch of the process must follow them.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { MirrorscopeError } from '../core/errors.js';

export interface ConnectRoute {
  /** Lower-case host name or IP as written in the configuration (no brackets). */
  readonly host: string;
  /** null: every port of `host`. */
  readonly port: number | null;
  readonly address: string;
  readonly targetPort: number;
}

export interface ConnectTarget {
  readonly address: string;
  readonly port: number;
}

export interface ConnectRoutes {
  readonly routes: readonly ConnectRoute[];
  /**
   * Refuse every other name (the embedded lab): a host that is neither routed nor an IP address
   * fails at once, with no DNS lookup.
   */
  readonly exclusive: boolean;
  /** For the refusal message, e.g. "the embedded lab". */
  readonly scope: string;
}

function parsePort(text: string, flagValue: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535)
    throw new MirrorscopeError('usage', `--connect-to ${flagValue}: "${text}" is not a port number`);
  return port;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port`. */
function splitHostPort(text: string): { host: string; port: string | null } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::([^:]*))?$/.exec(text);
  if (!m) return null;
  return { host: (m[1] ?? m[2]!).toLowerCase(), port: m[3] ?? null };
}

export function parseConnectTo(values: readonly string[]): ConnectRoute[] {
  return values.map((value) => {
    const eq = value.indexOf('=');
    if (eq <= 0)
      throw new MirrorscopeError('usage', `--connect-to needs HOST[:PORT]=ADDR:PORT, got "${value}"`);
    const from = splitHostPort(value.slice(0, eq));
    const to = splitHostPort(value.slice(eq + 1));
    if (from === null)
      throw new MirrorscopeError(
        'usage',
        `--connect-to ${value}: "${value.slice(0, eq)}" is not HOST[:PORT]`,
      );
    if (to === null || to.port === null)
      throw new MirrorscopeError('usage', `--connect-to ${value}: the target must be ADDR:PORT`);
    if (net.isIP(to.host) === 0)
      throw new MirrorscopeError(
        'usage',
        `--connect-to ${value}: the target "${to.host}" must be an IP address (names would need DNS)`,
      );
    return {
      host: from.host,
      port: from.port === null ? null : parsePort(from.port, value),
      address: to.host,
      targetPort: parsePort(to.port, value),
    };
  });
}

let installed: ConnectRoutes | null = null;

/** Installs the routes for this process; returns a function that restores the previous ones. */
export function installConnectRoutes(routes: ConnectRoutes | null): () => void {
  const previous = installed;
  installed = routes;
  return () => {
    installed = previous;
  };
}

export function connectRoutes(): ConnectRoutes | null {
  return installed;
}

class NotRoutedError extends Error {
  readonly code = 'NOT_ROUTED';
}

/**
 * Where a connection to host:port goes: a route (exact port first, then any port), null for the
 * normal path, or an error when exclusive routes leave the name out.
 */
export function connectTarget(host: string, port: number): ConnectTarget | null {
  const routes = installed;
  if (routes === null) return null;
  const name = host.replace(/^\[|\]$/g, '').toLowerCase();
  const route =
    routes.routes.find((r) => r.host === name && r.port === port) ??
    routes.routes.find((r) => r.host === name && r.port === null);
  if (route !== undefined) return { address: route.address, port: route.targetPort };
  if (routes.exclusive && net.isIP(name) === 0)
    throw new NotRoutedError(
      `${name}:${port} is not part of ${routes.scope}: no connection attempted (and no DNS lookup)`,
    );
  return null;
}

/** A socket that fails with `err` once the caller has attached its listeners. */
function failedSocket(err: Error): net.Socket {
  const socket = new net.Socket();
  process.nextTick(() => socket.destroy(err));
  return socket;
}

type ConnectOptions = http.ClientRequestArgs & tls.ConnectionOptions;
type Callback = (err: Error | null, stream: Duplex) => void;

function portOf(options: ConnectOptions, fallback: number): number {
  return options.port === undefined || options.port === null ? fallback : Number(options.port);
}

function hostOf(options: ConnectOptions): string {
  return options.host ?? options.hostname ?? 'localhost';
}

/** An http.Agent whose connections follow the installed routes. */
export class RoutedHttpAgent extends http.Agent {
  override createConnection(options: ConnectOptions, callback?: Callback): Duplex | null | undefined {
    let target: ConnectTarget | null;
    try {
      target = connectTarget(hostOf(options), portOf(options, 80));
    } catch (err) {
      return failedSocket(err as Error);
    }
    if (target === null) return super.createConnection(options, callback);
    return net.createConnection({
      ...(options as net.NetConnectOpts),
      host: target.address,
      port: target.port,
    });
  }
}

/** An https.Agent whose connections follow the routes; SNI and verification keep the configured name. */
export class RoutedHttpsAgent extends https.Agent {
  override createConnection(options: ConnectOptions, callback?: Callback): Duplex | null | undefined {
    const host = hostOf(options);
    let target: ConnectTarget | null;
    try {
      target = connectTarget(host, portOf(options, 443));
    } catch (err) {
      return failedSocket(err as Error);
    }
    if (target === null) return super.createConnection(options, callback);
    const name = host.replace(/^\[|\]$/g, '');
    return super.createConnection(
      {
        ...options,
        host: target.address,
        port: target.port,
        ...(net.isIP(name) === 0 ? { servername: name } : {}),
        checkServerIdentity: (_address: string, cert: tls.PeerCertificate) =>
          tls.checkServerIdentity(name, cert),
      },
      callback,
    );
  }
}

/** tls.connect options for a direct TLS connection to host:port (the issuer diagnosis). */
export function routedTlsOptions(host: string, port: number): tls.ConnectionOptions {
  const target = connectTarget(host, port);
  const sni = net.isIP(host) === 0 ? { servername: host } : {};
  return target === null ? { host, port, ...sni } : { host: target.address, port: target.port, ...sni };
}
