// `--listen host:port` values, and whether every one of them is on loopback (required for --auth none).
import { isIP } from 'node:net';
import { MirrorscopeError } from '../core/errors.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export function parseListen(value: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  if (m === null)
    throw new MirrorscopeError(
      'usage',
      `--listen ${value}: expected HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080, 0.0.0.0:8080)`,
    );
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port > 65535) throw new MirrorscopeError('usage', `--listen ${value}: port ${port} is out of range`);
  return { host: host === '' ? '0.0.0.0' : host, port };
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
