// Who may connect as an agent, and for which node: a bearer token the API server accepts for
// audience `mirrorscope`, belonging to the agent's service account and bound to a pod, whose node
// is the node the agent speaks for — never the node the agent names itself. A token bound to no pod
// proves no node and is refused, unless the collector runs with --allow-unbound-agent-tokens.
// With `--auth none` (loopback only) anyone may connect, for any node.
import type { IncomingMessage } from 'node:http';
import type { BoundNodeResolver } from '../kube/bound-pod.js';
import type { TokenReviewer } from '../kube/token-review.js';
import { describeKubeError } from '../kube/api-error.js';
import { bearerToken } from './bearer-token.js';

export interface AgentIdentity {
  readonly username: string | null;
  /** The node the token proves; null only when no node binding is required (`--auth none`, unbound tokens allowed). */
  readonly nodeName: string | null;
  /** The node named in hello must exist as a Node object (an unbound token: the agent's word is all there is). */
  readonly nodeMustExist?: boolean;
}

export type AgentAuthResult =
  | { readonly ok: true; readonly identity: AgentIdentity }
  | {
      readonly ok: false;
      readonly status: 401 | 403 | 429 | 503;
      readonly reason: string;
      readonly retryAfterSeconds?: number;
    };

export interface AgentAuthenticator {
  authenticate(req: IncomingMessage): Promise<AgentAuthResult>;
}

export const openAgentAuth: AgentAuthenticator = {
  authenticate: () => Promise.resolve({ ok: true, identity: { username: null, nodeName: null } }),
};

export interface KubeAgentAuthOptions {
  readonly reviewer: TokenReviewer;
  /** `system:serviceaccount:<ns>:<name>` every agent token must belong to. */
  readonly serviceAccountUser: string;
  readonly nodes: BoundNodeResolver;
  /** Accept tokens bound to no pod, taking the agent's word for its node (--allow-unbound-agent-tokens). */
  readonly allowUnbound: boolean;
}

export function kubeAgentAuth(options: KubeAgentAuthOptions): AgentAuthenticator {
  return {
    async authenticate(req) {
      const token = bearerToken(req);
      if (token === null) return { ok: false, status: 401, reason: 'no bearer token' };
      let answer;
      try {
        answer = await options.reviewer.review(token, req.socket.remoteAddress ?? '');
      } catch (err) {
        return { ok: false, status: 503, reason: `TokenReview failed: ${describeKubeError(err)}` };
      }
      if (!answer.ok)
        return answer.retryAfterSeconds === undefined
          ? { ok: false, status: 401, reason: answer.reason }
          : { ok: false, status: 429, reason: answer.reason, retryAfterSeconds: answer.retryAfterSeconds };
      const username = answer.user.username;
      if (username !== options.serviceAccountUser)
        return {
          ok: false,
          status: 403,
          reason: `${username} is not the agent service account ${options.serviceAccountUser}`,
        };
      let bound;
      try {
        bound = await options.nodes.nodeOf(answer.user);
      } catch (err) {
        return { ok: false, status: 503, reason: `cannot read the token's pod: ${describeKubeError(err)}` };
      }
      switch (bound.kind) {
        case 'node':
          return { ok: true, identity: { username, nodeName: bound.node } };
        case 'refused':
          return { ok: false, status: 403, reason: bound.reason };
        case 'unbound':
          return options.allowUnbound
            ? { ok: true, identity: { username, nodeName: null, nodeMustExist: true } }
            : {
                ok: false,
                status: 403,
                reason:
                  'the token is bound to no pod, so it proves no node (use the projected service-account token of the agent pod, or start the collector with --allow-unbound-agent-tokens)',
              };
      }
    },
  };
}
