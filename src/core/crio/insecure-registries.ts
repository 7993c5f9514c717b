// crio.conf `insecure_registries`: CRI-O's `IsSecureIndex` for the registry of the requested image.
// A match sets `DockerInsecureSkipTLSVerify` for the whole pull, so every source of it (mirrors
// included) skips TLS verification and may fall back to plain HTTP. Up to CRI-O 1.34 the list always
// ends with 127.0.0.0/8 (an entry without origin here); from 1.35 the setting has no effect.
import type { CrioSetting } from './crio-config.js';

export interface InsecureMatch {
  readonly entry: string;
  readonly origin: CrioSetting<string>['origin'];
  /** How it matched: the registry name itself, or a literal IP inside a CIDR. */
  readonly how: 'name' | 'cidr';
}

function ipv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m === null) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return parts.reduce((n, p) => n * 256 + p, 0);
}

function cidr(text: string): { base: number; bits: number } | null {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (m === null) return null;
  const base = ipv4(m[1]!);
  const bits = Number(m[2]);
  return base === null || bits > 32 ? null : { base, bits };
}

function inCidr(ip: number, net: { base: number; bits: number }): boolean {
  if (net.bits === 0) return true;
  const size = 2 ** (32 - net.bits);
  return Math.floor(ip / size) === Math.floor(net.base / size);
}

function hostOf(domain: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(domain) ?? /^([^:]+)(?::\d+)?$/.exec(domain);
  return m?.[1] ?? domain;
}

/** The IPv4 address CRI-O's lookup gives: a literal, or localhost (/etc/hosts); null for a name it must resolve. */
function addressOf(domain: string): number | null {
  const host = hostOf(domain);
  return host === 'localhost' ? ipv4('127.0.0.1') : ipv4(host);
}

/**
 * The entry that makes a pull of `domain` insecure. Host names are compared as CRI-O's index map
 * does (the exact `host[:port]`); a CIDR matches only a literal IPv4 here: CRI-O also resolves
 * host names through DNS, which a simulation must not do (see `cidrNeedsDns`).
 */
export function matchInsecureRegistry(
  entries: readonly CrioSetting<string>[],
  domain: string,
): InsecureMatch | null {
  for (const e of entries)
    if (cidr(e.value) === null && e.value === domain)
      return { entry: e.value, origin: e.origin, how: 'name' };
  const ip = addressOf(domain);
  if (ip === null) return null;
  for (const e of entries) {
    const net = cidr(e.value);
    if (net !== null && inCidr(ip, net)) return { entry: e.value, origin: e.origin, how: 'cidr' };
  }
  return null;
}

/** CIDR entries that CRI-O would compare with the DNS answer for a host name. */
export function cidrNeedsDns(entries: readonly CrioSetting<string>[], domain: string): string[] {
  if (addressOf(domain) !== null) return [];
  return entries.filter((e) => cidr(e.value) !== null).map((e) => e.value);
}

/** A registry CRI-O reaches on 127.0.0.0/8 (a literal address, or localhost). */
export function isLoopbackRegistry(domain: string): boolean {
  const ip = addressOf(domain);
  return ip !== null && inCidr(ip, cidr('127.0.0.0/8')!);
}
