// Who may call the HTTP API: a bearer token the API server accepts (TokenReview) whose user may do
// the request's Kubernetes-equivalent action (SubjectAccessReview): `get nodes/proxy` for traces.
import type { IncomingMessage } from 'node:http';
import type { AccessReviewer, ResourceAction } from '../kube/access-review.js';
import type { TokenReviewer } from '../kube/token-review.js';
import { describeKubeError } from '../kube/api-error.js';
import { bearerToken } from './bearer-token.js';

export type ApiAuthResult =
  | { readonly ok: true; readonly user: string }
  | {
      readonly ok: false;
      readonly status: 401 | 403 | 429 | 503;
      readonly reason: string;
      readonly retryAfterSeconds?: number;
    };

export interface ApiAuthorizer {
  authorize(req: IncomingMessage, action: ResourceAction): Promise<ApiAuthResult>;
}

export const openApiAuth: ApiAuthorizer = {
  authorize: () => Promise.resolve({ ok: true, user: 'anonymous' }),
};

export const TRACE_ACTION: ResourceAction = {
  verb: 'get',
  group: '',
  resource: 'nodes',
  subresource: 'proxy',
};
export const READ_ACTION: ResourceAction = { verb: 'get', group: '', resource: 'nodes' };

export function kubeApiAuth(tokens: TokenReviewer, access: AccessReviewer): ApiAuthorizer {
  return {
    async authorize(req, action) {
      const token = bearerToken(req);
      if (token === null) return { ok: false, status: 401, reason: 'a bearer token is required' };
      try {
        const answer = await tokens.review(token, req.socket.remoteAddress ?? '');
        if (!answer.ok)
          return answer.retryAfterSeconds === undefined
            ? { ok: false, status: 401, reason: answer.reason }
            : { ok: false, status: 429, reason: answer.reason, retryAfterSeconds: answer.retryAfterSeconds };
        const allowed = await access.allowed(answer.user, action);
        if (!allowed) {
          const what = `${action.verb} ${action.resource}${action.subresource ? `/${action.subresource}` : ''}`;
          return { ok: false, status: 403, reason: `${answer.user.username} may not ${what}` };
        }
        return { ok: true, user: answer.user.username };
      } catch (err) {
        return { ok: false, status: 503, reason: `cannot check the token: ${describeKubeError(err)}` };
      }
    },
  };
}
