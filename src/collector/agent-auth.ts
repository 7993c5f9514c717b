// Who may connect as an agent: a bearer token the API server accepts for audience `mirrorscope`,
// belonging to the agent's service account. With `--auth none` (loopback only) anyone may.
import type { IncomingMessage } from 'node:http';
import type { TokenReviewer } from '../kube/token-review.js';
import { describeKubeError } from '../kube/api-error.js';
import { bearerToken } from './bearer-token.js';

export interface AgentIdentity {
  readonly username: string | null;
  /** The node a bound service-account token was issued on, when the API server says. */
  readonly nodeName: string | null;
}

export type AgentAuthResult =
  | { readonly ok: true; readonly identity: AgentIdentity }
  | { readonly ok: false; readonly status: 401 | 403 | 503; readonly reason: string };

export interface AgentAuthenticator {
  authenticate(req: IncomingMessage): Promise<AgentAuthResult>;
}

export const openAgentAuth: AgentAuthenticator = {
  authenticate: () => Promise.resolve({ ok: true, identity: { username: null, nodeName: null } }),
};

const NODE_NAME_EXTRA = 'authentication.kubernetes.io/node-name';

export function kubeAgentAuth(reviewer: TokenReviewer, serviceAccountUser: string): AgentAuthenticator {
  return {
    async authenticate(req) {
      const token = bearerToken(req);
      if (token === null) return { ok: false, status: 401, reason: 'no bearer token' };
      let answer;
      try {
        answer = await reviewer.review(token);
      } catch (err) {
        return { ok: false, status: 503, reason: `TokenReview failed: ${describeKubeError(err)}` };
      }
      if (!answer.ok) return { ok: false, status: 401, reason: answer.reason };
      if (answer.user.username !== serviceAccountUser)
        return {
          ok: false,
          status: 403,
          reason: `${answer.user.username} is not the agent service account ${serviceAccountUser}`,
        };
      return {
        ok: true,
        identity: {
          username: answer.user.username,
          nodeName: answer.user.extra[NODE_NAME_EXTRA]?.[0] ?? null,
        },
      };
    },
  };
}
