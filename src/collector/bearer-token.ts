import type { IncomingMessage } from 'node:http';

/**
 * The header the kubectl plugin repeats the caller's token in. A request that comes through the API
 * server's service proxy has lost its Authorization header (the API server consumes it once it has
 * authenticated the caller), so the collector could not tell who asks; the token here gets the same
 * TokenReview and SubjectAccessReview as an Authorization header would.
 */
export const FORWARDED_TOKEN_HEADER = 'x-mirrorscope-token';

/** The token of an `Authorization: Bearer …` header (else of FORWARDED_TOKEN_HEADER), or null. */
export function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (header === undefined) {
    const forwarded = req.headers[FORWARDED_TOKEN_HEADER];
    return typeof forwarded === 'string' && /^\S+$/.test(forwarded.trim()) ? forwarded.trim() : null;
  }
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m === null ? null : m[1]!;
}
