// A finding's digest, the name it travels by in a snapshot with `findingRefs`: the base64url
// SHA-256 of its JSON text exactly as the agent sends it. Both ends hash text, never a re-serialized
// object, so what the collector checks is the very text it then parses.
import { hash } from 'node:crypto';
import type { WireFinding } from './messages.js';

/** The finding's JSON text, as it travels in a snapshot, a delta or finding-bodies. */
export function findingText(f: WireFinding): string {
  return JSON.stringify(f);
}

/** One-shot `crypto.hash` (Node ≥ 20.12): a collector checks thousands of bodies a second. */
export function textDigest(text: string): string {
  return hash('sha256', text, 'base64url');
}
