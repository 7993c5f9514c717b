// `/api/v1/what-if`: POST runs one (the same authorization as traces: it makes agents trace), GET
// answers the last one (like the report).
import type { IncomingMessage } from 'node:http';
import type { ResourceAction } from '../kube/access-review.js';
import { WHAT_IF_PATH } from '../protocol/messages.js';
import { TRACE_ACTION } from './api-auth.js';

export { WHAT_IF_PATH };
import { MAX_WHAT_IF_BODY_BYTES, WhatIfError, type WhatIfService } from './what-if.js';

export interface WhatIfRouteAccess {
  authorize(action: ResourceAction): Promise<string>;
  read(): Promise<void>;
  rateLimit(user: string, cost: number): void;
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) throw new WhatIfError(413, `the body is larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > limit) throw new WhatIfError(413, `the body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function whatIfRoute(
  req: IncomingMessage,
  service: WhatIfService,
  access: WhatIfRouteAccess,
): Promise<{ status: number; body: unknown }> {
  try {
    if (req.method === 'GET' || req.method === 'HEAD') {
      await access.read();
      const last = service.last();
      return last === null
        ? { status: 404, body: { error: 'no what-if has run yet' } }
        : { status: 200, body: last };
    }
    if (req.method !== 'POST') return { status: 405, body: { error: `${req.method} is not supported` } };
    const user = await access.authorize(TRACE_ACTION);
    // One what-if runs at a time (409 otherwise); each costs what a one-node trace costs.
    access.rateLimit(user, 1);
    return { status: 200, body: await service.run(await readBody(req, MAX_WHAT_IF_BODY_BYTES)) };
  } catch (err) {
    if (err instanceof WhatIfError) return { status: err.status, body: { error: err.message } };
    throw err;
  }
}
