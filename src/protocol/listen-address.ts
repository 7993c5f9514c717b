// `--listen HOST:PORT` values for every server of mirrorscope (agent and collector), and whether an
// address is on loopback (required for the collector's --auth none).
import { isIP } from 'node:net';
import { MirrorscopeError } from '../core/errors.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * An empty host (`:8080`) means loopback, for the agent and the collector alike: an address that
 * opens a port to the network is written out (`0.0.0.0:8080`), never implied by a missing word. The
 * agent's full listener serves traces and the node's configuration, and the collector without
 * authentication is only allowed on loopback, so the short form must be the safe one.
 */
export const EMPTY_HOST_MEANS = '127.0.0.1';

export function parseListen(value: string, flag = 'listen'): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  if (m === null)
    throw new MirrorscopeError(
      'usage',
      `--${flag} ${value}: expected HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080, 0.0.0.0:8080)`,
    );
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port > 65535) throw new MirrorscopeError('usage', `--${flag} ${value}: port ${port} is out of range`);
  return { host: host === '' ? EMPTY_HOST_MEANS : host, port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./i.test(host);
  return false;
}

export function formatUrl(address: ListenAddress, scheme: 'http' | 'https' = 'http'): string {
  return `${scheme}://${isIP(address.host) === 6 ? `[${address.host}]` : address.host}:${address.port}`;
}
