// GET requests to a running collector (`report`, `trace --node`): the address, the bearer token, and
// one readable sentence when the collector is unreachable or refuses.
import { readFile } from 'node:fs/promises';
import { MirrorscopeError } from '../core/errors.js';
import type { CommandIo } from './command.js';

export const COLLECTOR_FLAGS = {
  collector: { type: 'string' },
  'token-file': { type: 'string' },
} as const;

export type CollectorAnswer =
  { readonly ok: true; readonly body: string } | { readonly ok: false; readonly message: string };

export function collectorBase(flag: unknown, io: CommandIo): string {
  return ((flag as string | undefined) ?? io.env.MIRRORSCOPE_COLLECTOR ?? 'http://127.0.0.1:8080').replace(
    /\/+$/,
    '',
  );
}

export function getFromCollector(
  base: string,
  pathAndQuery: string,
  tokenFile: unknown,
  io: CommandIo,
): Promise<CollectorAnswer> {
  return askCollector(base, pathAndQuery, tokenFile, io, null);
}

/** POSTs a JSON body (`what-if`). */
export function postToCollector(
  base: string,
  path: string,
  body: unknown,
  tokenFile: unknown,
  io: CommandIo,
): Promise<CollectorAnswer> {
  return askCollector(base, path, tokenFile, io, JSON.stringify(body));
}

async function askCollector(
  base: string,
  pathAndQuery: string,
  tokenFile: unknown,
  io: CommandIo,
  body: string | null,
): Promise<CollectorAnswer> {
  let url: URL;
  try {
    url = new URL(`${base}${pathAndQuery}`);
  } catch {
    throw new MirrorscopeError('usage', `--collector ${base} is not a URL`);
  }
  let token = io.env.MIRRORSCOPE_TOKEN;
  if (typeof tokenFile === 'string') {
    try {
      token = (await readFile(tokenFile, 'utf8')).trim();
    } catch (err) {
      throw new MirrorscopeError('usage', `cannot read --token-file ${tokenFile}: ${(err as Error).message}`);
    }
  }
  let response: Response;
  try {
    const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
    response = await fetch(
      url,
      body === null
        ? { headers }
        : { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body },
    );
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return {
      ok: false,
      message: `cannot reach the collector at ${base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
    };
  }
  const text = await response.text();
  if (response.ok) return { ok: true, body: text };
  let reason = text.trim();
  try {
    reason = (JSON.parse(text) as { error?: string }).error ?? reason;
  } catch {
    // not JSON: keep the text
  }
  return { ok: false, message: `the collector at ${base} answered HTTP ${response.status}: ${reason}` };
}
