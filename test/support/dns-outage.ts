// A cluster where one mirror host does not resolve: three nodes, ten images failing through it.
import type { AgentView, NodeInput } from '../../src/core/report/types.js';
import type { WireFinding } from '../../src/protocol/messages.js';
import { finding } from './protocol-agent.js';

export const NOW = Date.parse('2026-11-23T12:00:00Z');
export const HOST = 'mirror.corp.example:5000';
export const TEN_IMAGES = Array.from({ length: 10 }, (_, i) => `quay.io/acme/app${i}:1.${i}`);
const UNREACHABLE = finding({
  id: 'mirror-unreachable',
  key: `mirror-unreachable|${HOST}|${HOST}`,
  message: `Mirror ${HOST} is unreachable: pinging container registry ${HOST}: getaddrinfo ENOTFOUND mirror.corp.example (configured at /etc/containers/registries.conf:12).`,
  file: '/etc/containers/registries.conf',
  line: 12,
  scope: HOST,
  host: HOST,
});

function pullFails(image: string): WireFinding {
  return finding({
    id: 'image-pull-fails',
    key: `image-pull-fails||${image}`,
    severity: 'error',
    message: `${image} cannot be pulled: registry quay.io is blocked.`,
    image,
  });
}

/** A node whose agent saw mirror.corp.example not resolve, and ten images fail through it. */
export function dnsNode(name: string): NodeInput {
  const failing = TEN_IMAGES.map(pullFails);
  const agent: AgentView = {
    connected: true,
    lastSeenMs: NOW - 1000,
    agentVersion: 't',
    configHash: 'h1',
    files: [],
    findings: [UNREACHABLE, ...failing],
    hosts: [{ host: HOST, reachable: false, outcome: 'unreachable', latencyMs: null, probedAt: '' }],
    images: TEN_IMAGES.map((image, i) => ({
      image,
      pullable: false,
      source: null,
      digest: null,
      findingKeys: [UNREACHABLE.key, failing[i]!.key],
    })),
    scanAt: null,
  };
  return { name, pool: 'worker', registered: true, agent };
}
